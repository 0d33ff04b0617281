from fastapi import APIRouter

from kuajing.auth.dependencies import OperatorPrincipal, OptionalPrincipal
from kuajing.db import SessionDep, read_only
from kuajing.kit.money_schemas import MoneyModel
from kuajing.models import FxRate, Role
from kuajing.pricing import service
from kuajing.pricing.amounts import LineAmounts, OrderAmounts
from kuajing.pricing.schemas import (
    FxRateEntry,
    FxRateIn,
    FxRateOut,
    ProblemOut,
    QuoteIn,
    QuoteLineOut,
    QuoteOut,
)

router = APIRouter(tags=["pricing"])


def _fx_out(history: list[FxRate]) -> FxRateOut:
    current = history[0]
    return FxRateOut(
        base=current.base,
        quote=current.quote,
        rate=str(current.rate),
        set_at=current.set_at,
        set_by=current.set_by_id,
        history=[FxRateEntry(rate=str(r.rate), set_at=r.set_at, set_by=r.set_by_id) for r in history],
    )


@router.put("/fx-rates/{pair}", response_model=FxRateOut)
async def put_fx_rate(
    pair: str, body: FxRateIn, operator: OperatorPrincipal, session: SessionDep
) -> FxRateOut:
    await service.set_fx_rate(session, pair=pair, rate=body.rate, operator_id=operator.user_id)
    return _fx_out(await service.fx_history(session, pair=pair))


@router.get("/fx-rates/{pair}", response_model=FxRateOut)
async def get_fx_rate(pair: str, session: SessionDep) -> FxRateOut:
    return _fx_out(await service.fx_history(session, pair=pair))


def line_out(line: LineAmounts) -> QuoteLineOut:
    cny = MoneyModel.cny
    return QuoteLineOut(
        product_id=line.product_id,
        quantity=line.quantity,
        unit_price=cny(line.unit_price),
        goods=cny(line.goods),
        freight=cny(line.freight),
        consumption_tax=cny(line.taxes.consumption_tax),
        vat=cny(line.taxes.vat),
        tariff=cny(line.taxes.tariff),
        tax=cny(line.tax),
    )


def amounts_out(amounts: OrderAmounts) -> dict[str, MoneyModel]:
    cny = MoneyModel.cny
    return {
        "goods": cny(amounts.goods),
        "freight": cny(amounts.freight),
        "consumption_tax": cny(amounts.consumption_tax),
        "vat": cny(amounts.vat),
        "tariff": cny(amounts.tariff),
        "tax": cny(amounts.tax),
        "total": cny(amounts.total),
    }


@router.post("/quotes", response_model=QuoteOut)
@read_only
async def create_quote(body: QuoteIn, caller: OptionalPrincipal, session: SessionDep) -> QuoteOut:
    buyer_id = caller.user_id if caller is not None and caller.role == Role.buyer else None
    quote = await service.quote(
        session, lines=[(line.product_id, line.quantity) for line in body.lines], buyer_id=buyer_id
    )
    return QuoteOut(
        lines=[line_out(line) for line in quote.amounts.lines],
        **amounts_out(quote.amounts),
        fx_rate=str(quote.fx.rate),
        channel=quote.amounts.channel.value,
        problems=[ProblemOut(**p.as_dict()) for p in quote.problems],  # type: ignore[arg-type]
    )
