"""The books for the operator (trial balance, an account's lines, an order's entries) and a
seller's own balance."""

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kuajing.auth.dependencies import OperatorPrincipal, SellerPrincipal
from kuajing.errors import NotFound
from kuajing.kit.ids import IdPath
from kuajing.kit.money_schemas import MoneyModel
from kuajing.kit.time import utcnow
from kuajing.ledger import service
from kuajing.ledger.accounts import CHART
from kuajing.ledger.repository import PostedLine
from kuajing.runtime import SessionDep

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
    after: int = Query(default=0, ge=0),
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
