"""The worker's copy of the rule book in force. Rules change by data import, so a copy up to
KUAJING_RULES_CACHE_SECONDS old (a minute by default) is fine; an import forgets it in the
process that made it. Loads are single-flight: one query however many requests ask at once."""

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import repository
from kuajing.compliance.rules import RuleBook
from kuajing.db import reading
from kuajing.kit.ttl_cache import TTLCache


class RuleBooks:
    def __init__(self, ttl_seconds: float) -> None:
        self._books: TTLCache[str, RuleBook] = TTLCache(ttl_seconds)

    async def in_force(self, session: AsyncSession) -> RuleBook:
        async def load() -> RuleBook:
            async with reading(session) as read:
                return await repository.load_rulebook(read)

        return await self._books.get_or_load("rules", load)

    def forget(self) -> None:
        self._books.clear()
