"""Everything a checkout reads, fetched once: the products and their seller, the FX rate, the
rule book in force and, for a buyer, their real-name identity and CBEC year. The calculations and
problem checks that follow are pure functions of it."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.checkout.errors import MixedSellers, UnknownProduct
from kuajing.compliance import year
from kuajing.compliance.rules import Limits, RuleBook
from kuajing.compliance.year import BuyerYear
from kuajing.kit.time import beijing_date, beijing_year
from kuajing.pricing.errors import FxRateUnavailable
from kuajing.pricing.snapshots import FxFacts
from kuajing.seller.errors import SellerNotApproved
from kuajing.seller.snapshots import SellerFacts


@dataclass(frozen=True, slots=True)
class CheckoutInfo:
    quantities: dict[int, int]  # product id -> units, lines of one product added up, by id
    products: dict[int, ProductFacts]  # at the deal's price where a deal prices it
    seller: SellerFacts
    fx: FxFacts
    rules: RuleBook
    on: date  # the Beijing day the rules are read for
    year: int  # the Beijing year the limits count in
    limits: Limits
    priced_by_deal: frozenset[int]  # products whose units come from a deal, not from stock
    buyer_id: int | None  # None: an anonymous quote
    buyer: BuyerYear | None  # the buyer's identity and year; None for an anonymous quote


async def current_fx(session: AsyncSession, snapshots: Snapshots, *, fresh: bool = False) -> FxFacts:
    rate = await snapshots.fx.usd_cny(session, fresh=fresh)
    if rate is None:
        raise FxRateUnavailable(message="No USD-CNY rate has been set yet; an operator must set one.")
    return rate


async def fetch_checkout_info(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    lines: list[tuple[int, int]],
    buyer_id: int | None,
    now: datetime,
    fresh: bool,
    deal_prices: Mapping[int, int],
    buyer: BuyerYear | None,
    read: Mapping[int, ProductFacts] | None = None,
) -> CheckoutInfo:
    """Read what a checkout of `lines` needs. `fresh` reads products, the fee and the rate from
    the database rather than the worker's snapshots; `read` are products the caller read from
    the database in this request already (catalog.service.sellable_facts), not read again;
    `buyer` is the buyer's year when the caller read it already (a deal purchase reads it batched
    with other buyers'); `deal_prices` maps a product to a deal's USD unit price, which replaces
    its list price."""
    quantities: dict[int, int] = defaultdict(int)
    for product_id, quantity in lines:
        quantities[product_id] += quantity

    if fresh and read is not None:
        products = {product_id: read[product_id] for product_id in quantities if product_id in read}
        if unread := set(quantities) - set(products):  # the variants sold of products named
            products |= await snapshots.products.facts(session, unread, fresh=True)
    else:
        products = await snapshots.products.facts(session, quantities, fresh=fresh)
    for product_id, price in deal_prices.items():
        if product_id in products:
            products[product_id] = replace(products[product_id], price_amount=price)
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise UnknownProduct(message=f"No product with id {', '.join(map(str, missing))}.")
    sellers = {p.seller_id for p in products.values()}
    if len(sellers) != 1:
        raise MixedSellers(message="An order holds one seller's goods; split the cart per seller.")
    seller_id = sellers.pop()
    seller = (await snapshots.sellers.facts(session, [seller_id], fresh=fresh)).get(seller_id)
    if seller is None or not seller.approved:
        raise SellerNotApproved(
            message=f"Seller {seller_id} is not approved to sell on kuajing: their products cannot be bought."
        )

    fx = await current_fx(session, snapshots, fresh=fresh)
    rules = await snapshots.rules.in_force(session)
    on = beijing_date(now)
    the_year = beijing_year(now)
    if buyer_id is not None and buyer is None:
        buyer = (await year.buyer_years(session, [(buyer_id, the_year)]))[buyer_id, the_year]
    return CheckoutInfo(
        quantities=dict(quantities),
        products=products,
        seller=seller,
        fx=fx,
        rules=rules,
        on=on,
        year=the_year,
        limits=rules.limits(on),
        priced_by_deal=frozenset(deal_prices),
        buyer_id=buyer_id,
        buyer=buyer if buyer_id is not None else None,
    )
