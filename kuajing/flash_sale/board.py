"""What the sale looks like from outside: the Singles' Day page (the sales on now and the next,
their deals priced with tax and their units left) and the live screen (sales ticking up, orders
per second, the top sellers and states, sales minute by minute).

Every open page polls or streams, so a worker reads each campaign at most once a second
(BoardSnapshots): the first request to ask loads it and the others share the answer.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.listing_prices import ListingPrice, listing_prices
from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.db import Database
from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import CampaignNotFound
from kuajing.flash_sale.reservations import TAKEN
from kuajing.flash_sale.service import CampaignStats, campaign_stats, get_campaign
from kuajing.kit.time import utcnow
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import Campaign, Deal, Product

LIVE_RATE_SECONDS = 10
LIVE_MINUTES = 30
TICK_SECONDS = 1.0
MAX_SALES_ON_NOW = 4  # the sale's page shows at most this many sales running at once


@dataclass(frozen=True, slots=True)
class DealCard:
    deal: Deal
    product: Product
    # One unit as a buyer pays for it, import tax and the seller's shipping included, as every
    # listing card prices it: at the listing's own price and at the deal's. None off the
    # positive list, or before an operator has set an FX rate.
    regular: ListingPrice | None
    on_deal: ListingPrice | None


@dataclass(frozen=True, slots=True)
class SinglesDay:
    campaign: Campaign
    deals: list[DealCard]


@dataclass(frozen=True, slots=True)
class LiveBoard:
    """The 11.11 big screen: totals, the rate now, who sells most, and sales minute by minute."""

    campaign: Campaign
    stats: CampaignStats
    orders_per_second: float  # over the last LIVE_RATE_SECONDS
    sellers: list[tuple[str, str, int, int]]  # (legal name, state, orders, goods in fen), largest first
    states: list[tuple[str, int, int]]  # (state, orders, goods in fen), largest first
    minutes: list[tuple[str, int, int]]  # ("YYYY-MM-DD HH:MM" UTC, orders, goods in fen)


@dataclass(frozen=True, slots=True)
class FeaturedDeal:
    deal_id: int
    photo_of: int  # the product whose photos show it (a size's are its product's)
    title_zh: str
    title_en: str
    option_values: tuple[str, ...]
    regular: ListingPrice | None  # as DealCard's
    on_deal: ListingPrice | None
    remaining: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Featured:
    """The sale on now or next and its first deals, as the home page shows them."""

    starts_at: datetime
    deals: tuple[FeaturedDeal, ...]


class BoardSnapshots:
    """Per campaign (None: the one on now or next), what the pages read once a second."""

    def __init__(self, ttl_seconds: float = TICK_SECONDS) -> None:
        self.remaining: TTLCache[int | None, dict[int, int]] = TTLCache(ttl_seconds)
        self.boards: TTLCache[int | None, LiveBoard | None] = TTLCache(ttl_seconds)
        self.featured: TTLCache[int, Featured | None] = TTLCache(ttl_seconds)


async def _shown_campaign(session: AsyncSession, campaign_id: int | None, now: datetime) -> Campaign | None:
    if campaign_id is not None:
        campaign = await get_campaign(session, campaign_id=campaign_id)
        if campaign.rehearsal:  # a rehearsal's is shown to no one, as if it were not there
            raise CampaignNotFound(message=f"No campaign {campaign_id}.")
        return campaign
    return await repository.current_campaign(session, now=now)


async def _cards(
    session: AsyncSession, snapshots: Snapshots, rows: Sequence[tuple[Deal, Product]]
) -> list[DealCard]:
    """The deals priced for one unit, at the listing's price and at the deal's, by the pricing
    every listing card uses (memoised on what it depends on, so never stale)."""
    listed = [ProductFacts.of(product) for _deal, product in rows]
    regular = await listing_prices(session, snapshots, listed)
    on_deal = await listing_prices(
        session,
        snapshots,
        [
            replace(facts, price_amount=deal.price_amount)
            for (deal, _), facts in zip(rows, listed, strict=True)
        ],
    )
    return [
        DealCard(deal, product, regular.get(product.id), on_deal.get(product.id)) for deal, product in rows
    ]


async def _sale(session: AsyncSession, snapshots: Snapshots, campaign: Campaign) -> SinglesDay:
    rows = await repository.deals_with_products(session, campaign.id)
    return SinglesDay(campaign, await _cards(session, snapshots, rows))


async def singles_day(
    session: AsyncSession, snapshots: Snapshots, *, campaign_id: int | None, now: datetime
) -> SinglesDay | None:
    """A campaign and its deals: the one asked for, else the one on now, else the next to start;
    None when there is none."""
    campaign = await _shown_campaign(session, campaign_id, now)
    return None if campaign is None else await _sale(session, snapshots, campaign)


async def sale_page(
    session: AsyncSession, snapshots: Snapshots, *, campaign_id: int | None, now: datetime
) -> list[SinglesDay]:
    """The sales /singles-day shows, each with its deals: the one asked for; else those on now
    (the latest to start first, at most MAX_SALES_ON_NOW), then the next to start, leaving out
    sales without deals yet. A sale that starts while another runs does not hide it."""
    if campaign_id is not None:
        asked = await _shown_campaign(session, campaign_id, now)
        return [] if asked is None else [await _sale(session, snapshots, asked)]
    open_sales = await repository.open_campaigns(session, now=now)  # the soonest to start first
    on_now = sorted(
        (c for c in open_sales if c.starts_at <= now), key=lambda c: (c.starts_at, c.id), reverse=True
    )
    shown: list[SinglesDay] = []
    for campaign in on_now:
        if len(shown) == MAX_SALES_ON_NOW:
            break
        if (sale := await _sale(session, snapshots, campaign)).deals:
            shown.append(sale)
    for campaign in (c for c in open_sales if c.starts_at > now):
        if (sale := await _sale(session, snapshots, campaign)).deals:
            shown.append(sale)
            break
    return shown


async def live_board(session: AsyncSession, *, campaign_id: int | None, now: datetime) -> LiveBoard | None:
    campaign = await _shown_campaign(session, campaign_id, now)
    if campaign is None:
        return None
    taken = list(TAKEN)
    stats = await campaign_stats(session, campaign_id=campaign.id)
    recent = await repository.campaign_sales_by_minute(
        session, campaign_id=campaign.id, statuses=taken, since=now - timedelta(seconds=LIVE_RATE_SECONDS)
    )
    sellers = await repository.campaign_sales_by_seller(
        session, campaign_id=campaign.id, statuses=taken, limit=1000
    )
    states: dict[str, list[int]] = {}
    for _seller_id, _name, state, orders, goods in sellers:
        totals = states.setdefault(state, [0, 0])
        totals[0] += orders
        totals[1] += goods
    minutes = await repository.campaign_sales_by_minute(
        session, campaign_id=campaign.id, statuses=taken, since=now - timedelta(minutes=LIVE_MINUTES)
    )
    return LiveBoard(
        campaign=campaign,
        stats=stats,
        orders_per_second=sum(orders for _m, orders, _g in recent) / LIVE_RATE_SECONDS,
        sellers=[(name, state, orders, goods) for _id, name, state, orders, goods in sellers[:10]],
        states=sorted(((state, o, g) for state, (o, g) in states.items()), key=lambda row: (-row[2], row[0])),
        minutes=minutes,
    )


async def shared_live_board(
    database: Database, boards: BoardSnapshots, *, campaign_id: int | None, now: datetime
) -> LiveBoard | None:
    """live_board, read at most once a second per worker for every screen showing it."""

    async def load() -> LiveBoard | None:
        async with database.transaction(write=False) as session:
            return await live_board(session, campaign_id=campaign_id, now=now)

    return await boards.boards.get_or_load(campaign_id, load)


async def featured(
    session: AsyncSession, boards: BoardSnapshots, snapshots: Snapshots, *, limit: int
) -> Featured | None:
    """The sale on now or next (None once it has ended, or without one) with its first `limit`
    deals, read at most once a second per worker for every home page."""

    async def load() -> Featured | None:
        now = utcnow()
        sale = await singles_day(session, snapshots, campaign_id=None, now=now)
        if sale is None or sale.campaign.ends_at <= now or not sale.deals:
            return None
        deals = tuple(
            FeaturedDeal(
                card.deal.id,
                card.deal.variant_of or card.product.id,
                card.product.title_zh,
                card.product.title_en,
                tuple(card.product.option_values or ()),
                card.regular,
                card.on_deal,
                card.deal.remaining,
                card.deal.quantity,
            )
            for card in sale.deals[:limit]
        )
        return Featured(sale.campaign.starts_at, deals)

    return await boards.featured.get_or_load(limit, load)


async def shared_remaining(
    database: Database, boards: BoardSnapshots, snapshots: Snapshots, *, campaign_id: int | None
) -> dict[int, int]:
    """Each deal's units left ({deal id: units}), read at most once a second per worker for
    every page streaming them."""

    async def load() -> dict[int, int]:
        async with database.transaction(write=False) as session:
            sale = await singles_day(session, snapshots, campaign_id=campaign_id, now=utcnow())
        return {} if sale is None else {card.deal.id: card.deal.remaining for card in sale.deals}

    return await boards.remaining.get_or_load(campaign_id, load)
