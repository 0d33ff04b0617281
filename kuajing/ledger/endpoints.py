"""The books for the operator (trial balance, an account's lines, an order's entries) and a
seller's own balance."""

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kuajing.auth.dependencies import OperatorPrincipal, SellerPrincipal
from kuajing.errors import InvalidInput, NotFound
from kuajing.kit.ids import IdPath
from kuajing.kit.input_model import InputModel
from kuajing.kit.money_schemas import MoneyIn, MoneyModel
from kuajing.kit.time import utcnow
from kuajing.ledger import payouts, service
from kuajing.ledger.accounts import CHART
from kuajing.ledger.repository import PostedLine
from kuajing.models import Payout
from kuajing.runtime import SessionDep, SettingsDep

router = APIRouter(tags=["ledger"])


class TrialBalanceAccount(BaseModel):
    code: str
    currency: str
    debit: int
    credit: int


class TrialBalance(BaseModel):
    accounts: list[TrialBalanceAccount]
    balanced: bool
    totals: dict[str, dict[str, int]]


class LineOut(BaseModel):
    entry_id: int
    key: str
    kind: str
    memo: str
    occurred_at: str
    order_id: int | None
    account: str
    party: str
    currency: str
    debit: int
    credit: int


class Lines(BaseModel):
    items: list[LineOut]
    next_after: int | None


def _line(line: PostedLine) -> LineOut:
    return LineOut(
        entry_id=line.entry_id,
        key=line.key,
        kind=line.kind,
        memo=line.memo,
        occurred_at=line.occurred_at.isoformat(),
        order_id=line.order_id,
        account=line.account,
        party=line.party,
        currency=line.currency,
        debit=line.debit,
        credit=line.credit,
    )


@router.get("/ledger/trial-balance", response_model=TrialBalance)
async def trial_balance(_operator: OperatorPrincipal, session: SessionDep) -> TrialBalance:
    """Every account's debits and credits per currency (minor units); in each currency the
    debits equal the credits."""
    rows = await service.trial_balance(session)
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        sums = totals.setdefault(row.currency, {"debit": 0, "credit": 0})
        sums["debit"] += row.debit
        sums["credit"] += row.credit
    return TrialBalance(
        accounts=[
            TrialBalanceAccount(code=r.code, currency=r.currency, debit=r.debit, credit=r.credit)
            for r in rows
        ],
        balanced=all(sums["debit"] == sums["credit"] for sums in totals.values()),
        totals=totals,
    )


@router.get("/ledger/accounts/{code}", response_model=Lines)
async def account_lines(
    code: str,
    _operator: OperatorPrincipal,
    session: SessionDep,
    party: str | None = None,
    after: int = Query(default=0, ge=0, le=2**31 - 1),
    limit: int = Query(default=100, ge=1, le=500),
) -> Lines:
    """An account's lines, oldest first; page on with `after` = the last entry id seen."""
    if code not in CHART:
        raise NotFound("account_not_found", f"No account {code!r}; accounts: {', '.join(sorted(CHART))}.")
    found = await service.account_lines(session, account=code, party=party, after_id=after, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return Lines(
        items=[_line(line) for line in found], next_after=found[-1].entry_id if more and found else None
    )


@router.get("/ledger/orders/{order_id}", response_model=Lines)
async def order_entries(order_id: IdPath, _operator: OperatorPrincipal, session: SessionDep) -> Lines:
    """Every line posted for an order: its capture, delivery and refunds."""
    found = await service.order_lines(session, order_id=order_id)
    return Lines(items=[_line(line) for line in found], next_after=None)


class SellerBalanceOut(BaseModel):
    pending: MoneyModel
    available: MoneyModel
    paid: MoneyModel


@router.get("/seller/balance", response_model=SellerBalanceOut)
async def seller_balance(seller: SellerPrincipal, session: SessionDep) -> SellerBalanceOut:
    """What the platform owes the seller, in dollars: pending (paid orders not yet delivered, or
    within their return window), available (payable at the next payout), paid out."""
    balance = await service.seller_balance(session, seller_id=seller.user_id, now=utcnow())
    return SellerBalanceOut(
        pending=MoneyModel.usd(balance.pending),
        available=MoneyModel.usd(balance.available),
        paid=MoneyModel.usd(balance.paid),
    )


class PayoutOut(BaseModel):
    id: int
    batch_id: int
    seller_id: int
    amount: MoneyModel
    created_at: str


def _payout(payout: Payout) -> PayoutOut:
    return PayoutOut(
        id=payout.id,
        batch_id=payout.batch_id,
        seller_id=payout.seller_id,
        amount=MoneyModel.usd(payout.amount_usd),
        created_at=payout.created_at.isoformat(),
    )


class BatchOut(BaseModel):
    id: int | None = Field(description="The batch written; null when no seller reached the minimum.")
    created_at: str | None
    rail: str
    minimum: MoneyModel
    total: MoneyModel
    payouts: list[PayoutOut]
    skipped_below_minimum: int
    bank_file: str | None


class RunPayoutsIn(InputModel):
    minimum: MoneyIn | None = Field(
        default=None, description="USD; KUAJING_PAYOUT_MINIMUM_CENTS when omitted."
    )


@router.post(
    "/payouts/run",
    status_code=201,
    response_model=BatchOut,
    responses={200: {"model": BatchOut, "description": "No seller reached the minimum: nothing written."}},
)
async def run_payouts(
    operator: OperatorPrincipal, session: SessionDep, settings: SettingsDep, body: RunPayoutsIn | None = None
) -> JSONResponse:
    """Pay every seller whose available dollars (delivered, return window closed) reach the
    minimum: one payout each, posted to the ledger, and the bank file to download. 201 with the
    batch; 200 with no batch when no seller reached the minimum (nothing is written)."""
    minimum = settings.payout_minimum_cents
    if body is not None and body.minimum is not None:
        if body.minimum.currency != "USD":
            raise InvalidInput("currency_not_usd", "Payouts are in US dollars.")
        minimum = body.minimum.amount
    result = await payouts.run_payouts(
        session, now=utcnow(), minimum_usd=minimum, actor_id=operator.user_id, rail=payouts.BankFileRail()
    )
    batch = result.batch
    answer = BatchOut(
        id=batch.id if batch else None,
        created_at=batch.created_at.isoformat() if batch else None,
        rail=payouts.BankFileRail.name,
        minimum=MoneyModel.usd(minimum),
        total=MoneyModel.usd(batch.total_usd_amount if batch else 0),
        payouts=[_payout(payout) for payout in result.payouts],
        skipped_below_minimum=result.skipped_below_minimum,
        bank_file=f"/api/v1/payouts/batches/{batch.id}/bank-file" if batch else None,
    )
    return JSONResponse(answer.model_dump(mode="json"), status_code=201 if batch else 200)


@router.get("/payouts/batches/{batch_id}/bank-file", response_class=Response)
async def bank_file(batch_id: IdPath, _operator: OperatorPrincipal, session: SessionDep) -> Response:
    """The batch's CSV for the operator's bank."""
    batch = await payouts.find_batch(session, batch_id)
    if batch is None:
        raise NotFound("batch_not_found", f"No payout batch {batch_id}.")
    name, content = await payouts.bank_file(session, batch, payouts.BankFileRail())
    return Response(
        content, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class StatementLineOut(BaseModel):
    order_id: int
    delivered_at: str | None
    goods: MoneyModel
    freight: MoneyModel
    commission: MoneyModel
    refunded: MoneyModel
    paid_before: MoneyModel
    amount: MoneyModel


class StatementOut(BaseModel):
    payout_id: int
    batch_id: int
    seller_id: int
    seller_name: str
    created_at: str
    lines: list[StatementLineOut]
    total: MoneyModel


def statement_out(found: payouts.Statement) -> StatementOut:
    usd = MoneyModel.usd
    return StatementOut(
        payout_id=found.payout_id,
        batch_id=found.batch_id,
        seller_id=found.seller_id,
        seller_name=found.seller_name,
        created_at=found.created_at.isoformat(),
        lines=[
            StatementLineOut(
                order_id=line.order_id,
                delivered_at=line.delivered_at.isoformat() if line.delivered_at else None,
                goods=usd(line.goods_usd),
                freight=usd(line.freight_usd),
                commission=usd(line.commission_usd),
                refunded=usd(line.refunded_usd),
                paid_before=usd(line.paid_before_usd),
                amount=usd(line.amount_usd),
            )
            for line in found.lines
        ],
        total=usd(found.total_usd),
    )


class SellerPayouts(BaseModel):
    items: list[PayoutOut]


@router.get("/seller/payouts", response_model=SellerPayouts)
async def seller_payouts(seller: SellerPrincipal, session: SessionDep) -> SellerPayouts:
    found = await payouts.payouts_of_seller(session, seller_id=seller.user_id)
    return SellerPayouts(items=[_payout(payout) for payout in found])


async def _own_statement(session: SessionDep, payout_id: int, seller_id: int) -> payouts.Statement:
    found = await payouts.statement(session, payout_id=payout_id)
    if found is None or found.seller_id != seller_id:
        raise NotFound("payout_not_found", f"No payout {payout_id}.")
    return found


@router.get("/seller/payouts/{payout_id}", response_model=StatementOut)
async def seller_statement(payout_id: IdPath, seller: SellerPrincipal, session: SessionDep) -> StatementOut:
    """The payout's statement: each order's goods, freight, commission and refunds, in dollars."""
    return statement_out(await _own_statement(session, payout_id, seller.user_id))


@router.get("/seller/payouts/{payout_id}/statement.csv", response_class=Response)
async def seller_statement_csv(payout_id: IdPath, seller: SellerPrincipal, session: SessionDep) -> Response:
    found = await _own_statement(session, payout_id, seller.user_id)
    return Response(
        payouts.statement_csv(found),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="kuajing-payout-{payout_id}.csv"'},
    )
