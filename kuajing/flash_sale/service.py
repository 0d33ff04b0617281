"""Singles' Day campaigns and their deals: an operator opens a campaign, sellers enroll products at
a deal price with units carved out of their stock, and the campaign's sales are counted.

Buying a deal is purchase.py; applying purchases in batches is batch.py; the live screen and the
sale's page are board.py.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import service as catalog_service
from kuajing.catalog import stock
from kuajing.catalog.errors import OutOfStock
from kuajing.catalog.snapshots import Snapshots
from kuajing.db import savepoint
from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import (
    CampaignEnded,
    CampaignNotFound,
    DealExists,
    DealNotFound,
    InvalidCampaignWindow,
)
from kuajing.flash_sale.reservations import TAKEN
from kuajing.kit.money import Money, convert
from kuajing.kit.pagination import decode_cursor, page_of
from kuajing.kit.time import utcnow
from kuajing.models import Campaign, Deal, Product
from kuajing.pricing.snapshots import FxSnapshots
from kuajing.seller.errors import CurrencyNotAllowed, SellerNotApproved

MAX_DEAL_PRICE_CENTS = 10_000_000  # $100,000, as for a listing


@dataclass(frozen=True, slots=True)
class DealView:
    deal: Deal
    campaign: Campaign
    price_cny: int | None  # None until an operator has set an FX rate


@dataclass(frozen=True, slots=True)
class CampaignStats:
    orders: int
    units: int
    gmv: int  # goods at the deal prices, in fen, of orders placed and not expired or cancelled


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign: Campaign
    deals: int
    stats: CampaignStats


@dataclass(frozen=True, slots=True)
class SellerDeal:
    deal: Deal
    campaign: Campaign
    product: Product


async def create_campaign(
    session: AsyncSession, *, name: str, starts_at: datetime, ends_at: datetime, operator_id: int
) -> Campaign:
    if ends_at <= starts_at:
        raise InvalidCampaignWindow(message="A campaign must end after it starts.")
    return await repository.add_campaign(
        session,
        Campaign(
            name=name.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            created_by_id=operator_id,
            created_at=utcnow(),
        ),
    )


async def get_campaign(session: AsyncSession, *, campaign_id: int) -> Campaign:
    campaign = await repository.get_campaign(session, campaign_id)
    if campaign is None:
        raise CampaignNotFound(message=f"No campaign {campaign_id}.")
    return campaign


async def price_cny(session: AsyncSession, fx: FxSnapshots, amount_usd: int) -> int | None:
    """A deal price in yuan at the worker's rate; None until an operator has set one."""
    rate = await fx.usd_cny(session)
    return None if rate is None else convert(Money(amount_usd, "USD"), rate.rate, "CNY").amount


def _named(product_id: int, sold_id: int) -> str:
    """What a deal sells, as a refusal names it: the product, or its variant."""
    return f"Variant {sold_id} of product {product_id}" if sold_id != product_id else f"Product {product_id}"


async def create_deal(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    seller_id: int,
    campaign_id: int,
    product_id: int,
    price: Money,
    quantity: int,
    per_buyer_limit: int,
    variant_id: int | None = None,
) -> DealView:
    """Enroll one of the seller's products, or one variant of a product with options: its units
    are carved out of that row's stock by a guarded update, or the deal is refused and nothing is
    written. Buyers of the deal get that variant only."""
    now = utcnow()
    campaign = await get_campaign(session, campaign_id=campaign_id)
    if campaign.rehearsal:  # marked once its own deal is in (kuajing.rehearsal.setup): takes no other
        raise CampaignNotFound(message=f"No campaign {campaign_id}.")
    if now >= campaign.ends_at:
        raise CampaignEnded(message=f"Campaign {campaign_id} has ended.")
    await catalog_service.owned_product(
        session,
        seller_id=seller_id,
        product_id=product_id,
        refusal="A seller enrolls only their own products.",
    )
    if not await catalog_service.seller_shown(session, snapshots, seller_id):
        raise SellerNotApproved(
            message="A seller enrolls products in a sale once an operator has approved them."
        )
    if price.currency != "USD":
        raise CurrencyNotAllowed(message="Deal prices are in USD, like listings.")
    if not 1 <= price.amount <= MAX_DEAL_PRICE_CENTS:
        raise CurrencyNotAllowed("invalid_price", "The price must be between $0.01 and $100,000.00.")
    [(sold_id, _)] = await catalog_service.sellable_lines(
        session, snapshots, [(product_id, variant_id, quantity)]
    )
    if await stock.take(session, snapshots.products, lines=[(sold_id, quantity)]) is not None:
        raise OutOfStock(message=f"{_named(product_id, sold_id)} has fewer than {quantity} units in stock.")
    deal = Deal(
        campaign_id=campaign_id,
        product_id=sold_id,
        variant_of=product_id if sold_id != product_id else None,
        seller_id=seller_id,
        price_amount=price.amount,
        price_currency=price.currency,
        quantity=quantity,
        remaining=quantity,
        reserved=0,
        sold=0,
        per_buyer_limit=per_buyer_limit,
        created_at=now,
    )
    try:
        async with savepoint(session):
            await repository.add_deal(session, deal)
    except IntegrityError as exc:
        raise DealExists(
            message=f"{_named(product_id, sold_id)} already has a deal in campaign {campaign_id}."
        ) from exc
    return DealView(deal, campaign, await price_cny(session, snapshots.fx, deal.price_amount))


async def get_deal(session: AsyncSession, fx: FxSnapshots, *, deal_id: int) -> DealView:
    found = await repository.get_deal(session, deal_id)
    if found is None or not await repository.deal_seller_approved(session, deal_id):
        raise DealNotFound(message=f"No deal {deal_id}.")  # an unapproved seller's: not shown
    deal, campaign = found
    return DealView(deal, campaign, await price_cny(session, fx, deal.price_amount))


async def campaign_stats(session: AsyncSession, *, campaign_id: int) -> CampaignStats:
    await get_campaign(session, campaign_id=campaign_id)
    orders, units, goods = await repository.campaign_totals(
        session, campaign_id=campaign_id, statuses=list(TAKEN)
    )
    return CampaignStats(orders, units, goods)


async def list_campaigns(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[CampaignSummary], str | None]:
    """Campaigns for the operator, the latest created first, each with its deals and what it
    has sold (campaign_stats, so the console counts exactly as the API's stats do)."""
    rows = await repository.list_campaigns(session, before_id=decode_cursor(cursor), limit=limit + 1)
    campaigns, next_cursor = page_of(rows, limit)
    deals = await repository.deal_counts(session, [campaign.id for campaign in campaigns])
    summaries = [
        CampaignSummary(c, deals.get(c.id, 0), await campaign_stats(session, campaign_id=c.id))
        for c in campaigns
    ]
    return summaries, next_cursor


async def open_campaigns(session: AsyncSession, *, now: datetime) -> list[Campaign]:
    return await repository.open_campaigns(session, now=now)


async def seller_deals(session: AsyncSession, *, seller_id: int) -> list[SellerDeal]:
    return [SellerDeal(*row) for row in await repository.deals_of_seller(session, seller_id)]
