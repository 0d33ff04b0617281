"""The worker's snapshot of the USD-CNY rate: quotes, listing prices and pages read it without a
database round trip. At most KUAJING_READ_CACHE_SECONDS old; setting a rate forgets it in the
worker that set it, and the others wait out the bound. Orders price from the database."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import reading
from kuajing.kit.ttl_cache import TTLCache
from kuajing.pricing import repository


@dataclass(frozen=True, slots=True)
class FxFacts:
    rate: Decimal


class FxSnapshots:
    def __init__(self, ttl_seconds: float) -> None:
        # None until a rate is set: a None entry reads as a miss, so the next read asks again.
        self._rates: TTLCache[str, FxFacts | None] = TTLCache(ttl_seconds)

    async def usd_cny(self, session: AsyncSession, *, fresh: bool = False) -> FxFacts | None:
        """The rate in force, None until an operator has set one; `fresh` reads the database."""

        async def load() -> FxFacts | None:
            async with reading(session) as read:
                row = await repository.latest_rate(read, base="USD", quote="CNY")
                return None if row is None else FxFacts(row.rate)

        if fresh:
            return await load()
        return await self._rates.get_or_load("USD-CNY", load)

    def forget(self) -> None:
        self._rates.clear()
