"""FX rates, quotes and listing prices. A quote lists problems; placing an order raises them."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import category_rules
from kuajing.compliance import service as compliance_service
from kuajing.compliance.rules import Limits, PositiveEntry, RuleBook
from kuajing.kit.time import beijing_date, beijing_year, utcnow
from kuajing.models import BuyerIdentity, FxRate, Product
from kuajing.pricing import repository, snapshots
from kuajing.pricing.amounts import Channel, LineInput, OrderAmounts, price_order
from kuajing.pricing.errors import FxRateUnavailable, MixedSellers, UnknownCurrencyPair, UnknownProduct
from kuajing.pricing.fx import parse_rate
from kuajing.pricing.snapshots import FxFacts, ProductFacts, SellerFacts
from kuajing.pricing.tax import Measures, cbec_rate, consumption_tax_for

PAIRS = {("USD", "CNY")}
ORIGIN = "US"  # every seller ships from the United States


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    product_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.product_id is not None:
            out["product_id"] = self.product_id
        return out


@dataclass(slots=True)
class Quote:
    amounts: OrderAmounts
    fx: FxFacts
    seller: SellerFacts
    products: dict[int, ProductFacts]
    limit_year: int
    identity: BuyerIdentity | None
    limits: Limits
    problems: list[Problem] = field(default_factory=list)
    # positive-list prefix -> (grams or pieces this order holds, the yearly cap per person, unit)
    capped: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # product id -> (its positive-list row id, the additional-tariff row ids in force for it)
    rule_ids: dict[int, tuple[int, list[int]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListingPrice:
    price_cny: int
    tax_rate: Decimal
    landed: int
    freight: int
    tax: int
    # the positive list's remark: sold only from a bonded warehouse (仅限网购保税)
    bonded_only: bool = False


def _pair(pair: str) -> tuple[str, str]:
    base, _, quote = pair.upper().partition("-")
    if (base, quote) not in PAIRS:
        raise UnknownCurrencyPair(message=f"Only USD-CNY is supported, not {pair!r}.")
    return base, quote


async def set_fx_rate(session: AsyncSession, *, pair: str, rate: str, operator_id: int) -> FxRate:
    base, quote = _pair(pair)
    added = await repository.add_rate(
        session, FxRate(base=base, quote=quote, rate=parse_rate(rate), set_by_id=operator_id, set_at=utcnow())
    )
    snapshots.forget_fx()
    return added


async def fx_history(session: AsyncSession, *, pair: str, limit: int = 20) -> list[FxRate]:
    base, quote = _pair(pair)
    history = await repository.rate_history(session, base=base, quote=quote, limit=limit)
    if not history:
        raise FxRateUnavailable(message="No USD-CNY rate has been set yet.")
    return history


async def current_fx(session: AsyncSession, *, fresh: bool = False) -> FxFacts:
    rate = await snapshots.usd_cny(session, fresh=fresh)
    if rate is None:
        raise FxRateUnavailable(message="No USD-CNY rate has been set yet; an operator must set one.")
    return rate


def _line_input(
    product_id: int,
    hs_code: str,
    unit_price_usd: int,
    measures: Measures,
    quantity: int,
    *,
    rules: RuleBook,
    on: date,
    entry: PositiveEntry | None,
) -> LineInput | None:
    """The line priced by the rules in force, or None when the goods may not use the channel
    (`entry` is the product's positive-list line, looked up by the caller)."""
    rate = rules.tax_rate(hs_code, on)
    if rate is None or entry is None or entry.excluded:
        return None
    return LineInput(
        product_id=product_id,
        quantity=quantity,
        unit_price_usd=unit_price_usd,
        tax_rate=rate,
        additional_tariff_rate=rules.additional_tariff(ORIGIN, hs_code, on),
        within_limits_tariff_rate=rules.additional_tariff(ORIGIN, hs_code, on, within_limits=True),
        measures=measures,
    )


def _off_the_list(product: ProductFacts, entry: PositiveEntry | None) -> Problem:
    """Why a line cannot be priced for the channel."""
    if entry is None:
        return Problem(
            "not_on_positive_list", f"HS {product.hs_code} is not on the CBEC positive list.", product.id
        )
    if entry.excluded:
        return Problem(
            "excluded_from_positive_list",
            f"HS {product.hs_code} is on the CBEC positive list, but a remark excludes these goods.",
            product.id,
        )
    return Problem(
        "no_tax_rate",
        f"HS {product.hs_code} is on the CBEC positive list, but no tax rate for it is in force yet; "
        "an operator must import one.",
        product.id,
    )


def capped_amount(product: ProductFacts, quantity: int, entry: PositiveEntry) -> int | None:
    """How much of a capped line `quantity` units are, in the cap's unit: pieces, or grams of net
    content (a pack counts its `units` either way). None when a cap in grams meets goods whose
    net content is not declared in grams."""
    attributes = dict(product.attributes)
    units = category_rules.positive_number(attributes.get("units")) or Decimal(1)
    if entry.yearly_cap_unit == "piece":
        return int((units * quantity).to_integral_value(rounding=ROUND_CEILING))
    measures = category_rules.measures(attributes)
    if measures.net_unit != "g" or measures.net_content is None:
        return None
    return int((measures.net_content * units * quantity).to_integral_value(rounding=ROUND_CEILING))


async def quote(
    session: AsyncSession,
    *,
    lines: list[tuple[int, int]],
    buyer_id: int | None,
    now: datetime | None = None,
    fresh: bool = False,
    deal_prices: Mapping[int, int] | None = None,
    buyer: compliance_service.BuyerYear | None = None,
) -> Quote:
    """Price one seller's lines for a buyer (or anonymously) and list every problem found.

    `fresh` reads the database rather than this worker's snapshots: placing an order does.
    `buyer` is the buyer's identity and year for the year of `now`, when the caller has read
    them already (a flash-sale purchase reads them in a batch with other buyers'); without it
    they are read here.
    `deal_prices` maps a product to a Singles' Day deal's USD unit price: it replaces the list
    price, and the units come from the deal's allocation, so the product's stock is not checked.
    """
    deal_prices = deal_prices or {}
    now = now or utcnow()
    quantities: dict[int, int] = defaultdict(int)
    for product_id, quantity in lines:
        quantities[product_id] += quantity

    products = await snapshots.products(session, quantities, fresh=fresh)
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
    seller = (await snapshots.sellers(session, [seller_id], fresh=fresh))[
        seller_id
    ]  # listing needs a profile

    fx = await current_fx(session, fresh=fresh)
    rules = await compliance_service.rulebook(session)
    on = beijing_date(now)
    limits = rules.limits(on)
    problems: list[Problem] = []
    capped: dict[str, tuple[int, int, str]] = {}  # list prefix -> (amount, yearly cap, "g" or "piece")
    rule_ids: dict[int, tuple[int, list[int]]] = {}

    inputs = []
    for product_id in sorted(quantities):
        product, quantity = products[product_id], quantities[product_id]
        entry = rules.positive_entry(product.hs_code, on)
        line = _line_input(
            product.id,
            product.hs_code,
            product.price_amount,
            product.measures,
            quantity,
            rules=rules,
            on=on,
            entry=entry,
        )
        if line is None or entry is None:
            problems.append(_off_the_list(product, entry))
            continue
        rule_ids[product_id] = (entry.id, [t.id for t in rules.tariffs_in_force(ORIGIN, product.hs_code, on)])
        for capping in rules.caps(product.hs_code, on):
            amount = capped_amount(product, quantity, capping)
            if amount is None:
                problems.append(
                    Problem(
                        "net_content_missing",
                        f"HS {product.hs_code} has a yearly cap per person in grams: declare net_content "
                        "with unit g.",
                        product_id,
                    )
                )
                continue
            prior = capped.get(capping.hs_prefix, (0, 0, ""))[0]
            capped[capping.hs_prefix] = (
                prior + amount,
                capping.yearly_cap or 0,
                capping.yearly_cap_unit or "",
            )
        problems += [
            Problem(p.code, p.message, product_id)
            for p in category_rules.listing_problems(product.hs_code, product.attributes)
        ]
        if product_id not in deal_prices and quantity > product.stock:
            problems.append(
                Problem("out_of_stock", f"Only {product.stock} left of {product.title_en}.", product_id)
            )
        inputs.append(line)

    amounts = price_order(
        inputs, freight_usd=seller.shipping_fee_amount, fx_rate=fx.rate, per_order_limit=limits.per_order
    )
    if amounts.channel is Channel.over_order_limit:
        problems.append(
            Problem(
                "cbec_order_limit",
                f"Goods and freight come to {amounts.dutiable / 100:.2f} CNY; one cross-border order may "
                f"hold at most {limits.per_order / 100:.2f} CNY unless it is a single item. Split the order.",
            )
        )

    year = beijing_year(now)
    identity = None
    if buyer_id is not None:
        if buyer is None:
            buyer = (await compliance_service.buyer_years(session, [(buyer_id, year)]))[buyer_id, year]
        identity = buyer.identity
        if identity is None:
            problems.append(
                Problem("identity_required", "Add your real-name identity (name and ID number) first.")
            )
    if identity is not None:
        assert buyer is not None
        for product in products.values():
            problems += [
                Problem(p.code, p.message, product.id)
                for p in category_rules.buyer_problems(
                    product.hs_code, birth_date=identity.birth_date, today=on
                )
            ]
        held = buyer.quantities_used
        for prefix, (amount, cap, unit) in sorted(capped.items()):
            if held.get(prefix, 0) + amount > cap:
                problems.append(
                    Problem(
                        "yearly_quantity_cap",
                        f"HS {prefix} goods are capped at {cap} {unit} per person a year; you hold "
                        f"{held.get(prefix, 0)} {unit} and this order adds {amount} {unit}.",
                    )
                )
        used = buyer.annual_used
        if used + amounts.dutiable > limits.annual:
            problems.append(
                Problem(
                    "cbec_annual_limit",
                    f"This order would take your {year} cross-border total to "
                    f"{(used + amounts.dutiable) / 100:.2f} CNY, above the "
                    f"{limits.annual / 100:.2f} CNY yearly limit.",
                )
            )
    return Quote(
        amounts=amounts,
        fx=fx,
        seller=seller,
        products=products,
        limit_year=year,
        identity=identity,
        limits=limits,
        problems=problems,
        capped=capped,
        rule_ids=rule_ids,
    )


async def listing_prices(
    session: AsyncSession, products: Sequence[Product] | Sequence[ProductFacts]
) -> dict[int, ListingPrice]:
    """Yuan price, CBEC tax rate and landed cost of one unit (with the seller's freight) per product.

    Products with no rate (no FX yet, or HS code not on the positive list) are left out.
    """
    fx = await snapshots.usd_cny(session)
    if fx is None or not products:
        return {}
    rules = await compliance_service.rulebook(session)
    on = beijing_date(utcnow())
    profiles = await snapshots.sellers(session, {p.seller_id for p in products})
    prices = {}
    for product in products:
        facts = product if isinstance(product, ProductFacts) else ProductFacts.of(product)
        profile = profiles.get(facts.seller_id)
        if profile is None:
            continue
        price = _unit_listing_price(
            facts.hs_code, facts.price_amount, facts.measures, profile.shipping_fee_amount, fx.rate, rules, on
        )
        if price is not None:
            prices[facts.id] = price
    return prices


@lru_cache(maxsize=2048)
def _unit_listing_price(
    hs_code: str,
    price_usd: int,
    measures: Measures,
    freight_usd: int,
    fx_rate: Decimal,
    rules: RuleBook,
    on: date,
) -> ListingPrice | None:
    """One unit's listing price, a pure function of its arguments and so remembered: a search
    page prices two dozen listings whose inputs seldom change. A new rate, fee, price or rule
    book (hashed by identity: a reload is a new object) is a new key, never a stale answer."""
    entry = rules.positive_entry(hs_code, on)
    line = _line_input(0, hs_code, price_usd, measures, 1, rules=rules, on=on, entry=entry)
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
