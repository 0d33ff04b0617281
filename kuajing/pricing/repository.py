from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import FxRate


async def latest_rate(session: AsyncSession, *, base: str, quote: str) -> FxRate | None:
    return await session.scalar(
        select(FxRate).where(FxRate.base == base, FxRate.quote == quote).order_by(FxRate.id.desc()).limit(1)
    )


async def rate_history(session: AsyncSession, *, base: str, quote: str, limit: int) -> list[FxRate]:
    rows = await session.scalars(
        select(FxRate)
        .where(FxRate.base == base, FxRate.quote == quote)
        .order_by(FxRate.id.desc())
        .limit(limit)
    )
    return list(rows)


async def add_rate(session: AsyncSession, rate: FxRate) -> FxRate:
    session.add(rate)
    await session.flush()
    return rate
