"""The USD-CNY rate: set by an operator, kept as a dated history, read by every price."""

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.kit.time import utcnow
from kuajing.models import FxRate
from kuajing.pricing import repository
from kuajing.pricing.errors import FxRateUnavailable, UnknownCurrencyPair
from kuajing.pricing.fx import parse_rate
from kuajing.pricing.snapshots import FxSnapshots

PAIRS = {("USD", "CNY")}


def _pair(pair: str) -> tuple[str, str]:
    base, _, quote = pair.upper().partition("-")
    if (base, quote) not in PAIRS:
        raise UnknownCurrencyPair(message=f"Only USD-CNY is supported, not {pair!r}.")
    return base, quote


async def set_fx_rate(
    session: AsyncSession, fx: FxSnapshots, *, pair: str, rate: str, operator_id: int
) -> FxRate:
    base, quote = _pair(pair)
    added = await repository.add_rate(
        session, FxRate(base=base, quote=quote, rate=parse_rate(rate), set_by_id=operator_id, set_at=utcnow())
    )
    fx.forget()
    return added


async def fx_history(session: AsyncSession, *, pair: str, limit: int = 20) -> list[FxRate]:
    base, quote = _pair(pair)
    history = await repository.rate_history(session, base=base, quote=quote, limit=limit)
    if not history:
        raise FxRateUnavailable(message="No USD-CNY rate has been set yet.")
    return history
