"""What a listing shows in yuan: one unit's price, its CBEC tax rate and its landed cost with the
seller's shipping, priced by the rules in force from the worker's snapshots."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.compliance.rules import RuleBook
from kuajing.kit.time import beijing_date, utcnow
from kuajing.models import Product
from kuajing.pricing.amounts import price_order
from kuajing.pricing.tax import Measures, cbec_rate, consumption_tax_for


@dataclass(frozen=True, slots=True)
class ListingPrice:
    price_cny: int
    tax_rate: Decimal
    landed: int
    freight: int
    tax: int
    # the positive list's remark: sold only from a bonded warehouse (仅限网购保税)
    bonded_only: bool = False


async def listing_prices(
    session: AsyncSession, snapshots: Snapshots, products: Sequence[Product] | Sequence[ProductFacts]
) -> dict[int, ListingPrice]:
    """Yuan price, CBEC tax rate and landed cost of one unit (with the seller's freight) per product.

    Products with no rate (no FX yet, or HS code not on the positive list) are left out.
    """
    fx = await snapshots.fx.usd_cny(session)
    if fx is None or not products:
        return {}
    rules = await snapshots.rules.in_force(session)
    on = beijing_date(utcnow())
    profiles = await snapshots.sellers.facts(session, {p.seller_id for p in products})
    prices = {}
    for product in products:
        facts = product if isinstance(product, ProductFacts) else ProductFacts.of(product)
        profile = profiles.get(facts.seller_id)
        if profile is None:
            continue
        price = unit_listing_price(
            facts.hs_code, facts.price_amount, facts.measures, profile.shipping_fee_amount, fx.rate, rules, on
        )
        if price is not None:
            prices[facts.id] = price
    return prices


# Memoised, not cached: a pure function of its arguments, so an entry is never stale; a search page
# prices two dozen listings whose inputs seldom change. A new rate, fee, price or rule book (hashed
# by identity: a reload is a new object) is a new key.
@lru_cache(maxsize=2048)
def unit_listing_price(
    hs_code: str,
    price_usd: int,
    measures: Measures,
    freight_usd: int,
    fx_rate: Decimal,
    rules: RuleBook,
    on: date,
) -> ListingPrice | None:
    """One unit's listing price under `rules` on the Beijing day `on`; None off the channel."""
    entry = rules.positive_entry(hs_code, on)
    line = rules.line_input(
        product_id=0,
        hs_code=hs_code,
        unit_price_usd=price_usd,
        measures=measures,
        quantity=1,
        on=on,
        entry=entry,
    )
    if line is None or entry is None:
        return None
    amounts = price_order(
        [line], freight_usd=freight_usd, fx_rate=fx_rate, per_order_limit=rules.limits(on).per_order
    )
    unit_price = amounts.lines[0].unit_price
    # the ad valorem consumption tax this unit really carries (a high-end cream: 15%)
    consumption = consumption_tax_for(line.tax_rate, unit_price=unit_price, quantity=1, measures=measures)
    return ListingPrice(
        price_cny=unit_price,
        tax_rate=cbec_rate(consumption.rate, line.tax_rate.vat).quantize(Decimal("0.0001")),
        landed=amounts.total,
        freight=amounts.freight,
        tax=amounts.tax,
        bonded_only=entry.bonded_only,
    )
