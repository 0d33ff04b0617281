"""The demo's Singles' Day: a sale on now, ending a day after the demo is seeded, with deals on
demo products, and a flash sale that starts a few minutes after seeding, so /singles-day shows
both what is on and what is starting soon.

A sale is opened when none of its name is open (not ended yet): seeding again while it runs adds
nothing, and a demo seeded days ago gets a new one. Its deals are the demo sellers' own, enrolled
as a seller enrolls them, so their units are carved out of the products' stock.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from kuajing.catalog import service as catalog_service
from kuajing.catalog.errors import OutOfStock
from kuajing.catalog.snapshots import Snapshots
from kuajing.flash_sale import service as flash_sale_service
from kuajing.kit.money import Money
from kuajing.runtime import Runtime


@dataclass(frozen=True, slots=True)
class DemoDeal:
    sku: str  # the demo product's
    price: int  # US cents, a quarter or so below its listing
    quantity: int
    per_buyer_limit: int
    variant_sku: str | None = None  # a product with options sells one of its variants


@dataclass(frozen=True, slots=True)
class DemoSale:
    name: str
    starts_in: timedelta  # from seeding (negative: already on), rounded up to the minute
    lasts: timedelta
    deals: tuple[DemoDeal, ...]

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        starts = now + self.starts_in
        whole = starts.replace(second=0, microsecond=0)
        starts = whole if whole == starts else whole + timedelta(minutes=1)
        return starts, starts + self.lasts


ON_NOW = DemoSale(
    name="双11 美国好物节",
    starts_in=timedelta(hours=-1),
    lasts=timedelta(hours=25),  # a day from seeding
    deals=(
        DemoDeal("HALDEN-CAB-2021", price=4900, quantity=200, per_buyer_limit=2),  # listed at $68.00
        DemoDeal("KETTLE-HONEYCRISP-5KG", price=4200, quantity=150, per_buyer_limit=2),  # $58.00
        DemoDeal("MUCKALEE-HALVES-454G", price=1290, quantity=300, per_buyer_limit=5),  # $18.00
        DemoDeal("MAPLENOTCH-LOTION-236ML", price=1680, quantity=120, per_buyer_limit=3),  # $24.00
        # the cable sweater in size M, listed at $118.00
        DemoDeal(
            "PIEDMONT-KNIT-CABLE",
            price=8800,
            quantity=20,
            per_buyer_limit=1,
            variant_sku="PIEDMONT-KNIT-CABLE-M",
        ),
    ),
)
STARTING_SOON = DemoSale(
    name="双11 限时秒杀",
    starts_in=timedelta(minutes=10),
    lasts=timedelta(hours=2),
    deals=(
        DemoDeal("KETTLE-BING-2500G", price=3990, quantity=50, per_buyer_limit=1),  # listed at $64.00
        DemoDeal("TILLERY-PN-2022", price=2490, quantity=100, per_buyer_limit=2),  # $38.00
    ),
)
SALES = (ON_NOW, STARTING_SOON)


@dataclass(frozen=True, slots=True)
class Opened:
    campaigns: int
    deals: int


async def open_sales(
    runtime: Runtime, *, operator_id: int, sellers: Mapping[str, int], now: datetime
) -> Opened:
    """Open each demo sale that is not open already, with its deals. `sellers` maps each demo
    SKU to its (approved) seller."""
    snapshots = runtime.get(Snapshots)
    campaigns = deals = 0
    async with runtime.database.transaction(write=True) as session:
        running = {c.name for c in await flash_sale_service.open_campaigns(session, now=now)}
        for sale in SALES:
            if sale.name in running:
                continue
            starts_at, ends_at = sale.window(now)
            campaign = await flash_sale_service.create_campaign(
                session, name=sale.name, starts_at=starts_at, ends_at=ends_at, operator_id=operator_id
            )
            campaigns += 1
            for deal in sale.deals:
                seller_id = sellers[deal.sku]
                product = await catalog_service.find_by_sku(session, seller_id=seller_id, sku=deal.sku)
                assert product is not None, deal.sku  # the catalog seeded it
                variant_id = None
                if deal.variant_sku is not None:
                    variants = await catalog_service.variants_of(session, product)
                    variant_id = next(v.id for v in variants if v.sku == deal.variant_sku)
                try:
                    await flash_sale_service.create_deal(
                        session,
                        snapshots,
                        seller_id=seller_id,
                        campaign_id=campaign.id,
                        product_id=product.id,
                        price=Money(deal.price, "USD"),
                        quantity=deal.quantity,
                        per_buyer_limit=deal.per_buyer_limit,
                        variant_id=variant_id,
                    )
                except OutOfStock:
                    continue  # nothing was taken: a demo reseeded for months has sold this one out
                deals += 1
    return Opened(campaigns, deals)
