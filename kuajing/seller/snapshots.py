"""The worker's snapshots of seller profiles: what quotes, listing prices and the storefront read
about a seller (shipping fee, name, state, story) and the home page's featured sellers, without a
database round trip per request. At most KUAJING_READ_CACHE_SECONDS old; a profile saved (or a
product listed) in this worker is forgotten here at once, the other workers wait out the bound."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import reading
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import SellerProfile
from kuajing.seller import repository


@dataclass(frozen=True, slots=True)
class SellerFacts:
    user_id: int
    shipping_fee_amount: int
    legal_name: str
    us_state: str
    story_en: str
    story_zh: str
    status: str  # kuajing.seller.status: only an approved seller's products are shown or sold
    # A rehearsal's synthetic seller (kuajing.rehearsal): sells its deal, is never shown.
    rehearsal: bool = False

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def shown(self) -> bool:
        """Whether buyers see the seller and what it lists: approved, and not a rehearsal's."""
        return self.approved and not self.rehearsal

    @classmethod
    def of(cls, profile: SellerProfile) -> "SellerFacts":
        return cls(
            profile.user_id,
            profile.shipping_fee_amount,
            profile.legal_name,
            profile.us_state,
            profile.story_en,
            profile.story_zh,
            profile.status,
            profile.rehearsal,
        )


class SellerSnapshots:
    def __init__(self, ttl_seconds: float) -> None:
        self._facts: TTLCache[int, SellerFacts] = TTLCache(ttl_seconds)
        self._by_state: TTLCache[int, dict[str, list[SellerFacts]]] = TTLCache(ttl_seconds)

    async def facts(
        self, session: AsyncSession, seller_ids: Iterable[int], *, fresh: bool = False
    ) -> dict[int, SellerFacts]:
        """The sellers that have a profile, by id; `fresh` reads the database."""

        async def load(missing: set[int]) -> dict[int, SellerFacts]:
            async with reading(session) as read:
                rows = await repository.get_profiles(read, missing)
                return {seller_id: SellerFacts.of(profile) for seller_id, profile in rows.items()}

        if fresh:
            return await load(set(seller_ids))
        return await self._facts.get_many_or_load(seller_ids, load)

    async def featured(self, session: AsyncSession, *, per_state: int) -> dict[str, list[SellerFacts]]:
        """The home page's sellers by state (see service.sellers_by_state)."""

        async def load() -> dict[str, list[SellerFacts]]:
            grouped: dict[str, list[SellerFacts]] = {}
            for profile in await repository.profiles_by_state(session, per_state=per_state):
                grouped.setdefault(profile.us_state, []).append(SellerFacts.of(profile))
            return grouped

        return await self._by_state.get_or_load(per_state, load)

    def forget(self, seller_id: int) -> None:
        """A profile (or the seller's status) changed: its facts and the featured sellers."""
        self._facts.forget(seller_id)
        self._by_state.clear()

    def forget_featured(self) -> None:
        """A seller listed a product: the featured sellers may change."""
        self._by_state.clear()
