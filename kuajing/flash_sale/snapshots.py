"""The worker's memory of deals: a deal's price, product, per-buyer limit and window never change
once it is created, so a purchase reads them from here for minutes rather than from the database."""

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import DealNotFound
from kuajing.flash_sale.ledger import DealFacts
from kuajing.kit.ttl_cache import TTLCache

DEAL_SECONDS = 300.0


class DealSnapshots:
    def __init__(self, ttl_seconds: float = DEAL_SECONDS) -> None:
        self._deals: TTLCache[int, DealFacts] = TTLCache(ttl_seconds)

    def known(self, deal_id: int) -> DealFacts | None:
        """The deal if this worker holds it, without asking the database."""
        return self._deals.get(deal_id)

    async def facts(self, session: AsyncSession, *, deal_id: int) -> DealFacts:
        async def load() -> DealFacts:
            found = await repository.get_deal(session, deal_id)
            if found is None:
                raise DealNotFound(message=f"No deal {deal_id}.")
            deal, campaign = found
            return DealFacts(
                id=deal.id,
                campaign_id=deal.campaign_id,
                product_id=deal.product_id,
                seller_id=deal.seller_id,
                price_amount=deal.price_amount,
                per_buyer_limit=deal.per_buyer_limit,
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
            )

        return await self._deals.get_or_load(deal_id, load)
