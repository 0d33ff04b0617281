"""A checkout priced and checked: the amounts of each line and of the order, the problems found,
and what the order would take of the buyer's capped quantities. Pure: a function of CheckoutInfo."""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, Decimal

from kuajing.catalog.snapshots import ProductFacts
from kuajing.checkout import problems
from kuajing.checkout.info import CheckoutInfo
from kuajing.checkout.problems import Capped, Problem
from kuajing.compliance import category_rules
from kuajing.compliance.rules import ORIGIN, Limits, PositiveEntry
from kuajing.compliance.year import BuyerYear
from kuajing.models import BuyerIdentity
from kuajing.pricing.amounts import LineInput, OrderAmounts, price_order
from kuajing.pricing.snapshots import FxFacts
from kuajing.seller.snapshots import SellerFacts


@dataclass(slots=True)
class Quote:
    amounts: OrderAmounts
    fx: FxFacts
    seller: SellerFacts
    products: dict[int, ProductFacts]
    limit_year: int
    identity: BuyerIdentity | None
    limits: Limits
    on: date  # the Beijing day the rules were read for
    problems: list[Problem] = field(default_factory=list)
    capped: Capped = field(default_factory=dict)
    # product id -> (its positive-list row id, the additional-tariff row ids in force for it)
    rule_ids: dict[int, tuple[int, list[int]]] = field(default_factory=dict)


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


def calculate(info: CheckoutInfo) -> Quote:
    """Price one seller's lines for the buyer (or anonymously) and list every problem found, in
    the order a refusal names them: each line's (by product id), the order's, then the buyer's."""
    rules, on = info.rules, info.on
    found: list[Problem] = []
    capped: Capped = {}
    rule_ids: dict[int, tuple[int, list[int]]] = {}
    inputs: list[LineInput] = []
    for product_id in sorted(info.quantities):
        product, quantity = info.products[product_id], info.quantities[product_id]
        entry = rules.positive_entry(product.hs_code, on)
        line = rules.line_input(
            product_id=product.id,
            hs_code=product.hs_code,
            unit_price_usd=product.price_amount,
            measures=product.measures,
            quantity=quantity,
            on=on,
            entry=entry,
        )
        if line is None or entry is None:
            found.append(problems.off_the_list(product, entry))
            continue
        rule_ids[product_id] = (entry.id, [t.id for t in rules.tariffs_in_force(ORIGIN, product.hs_code, on)])
        for capping in rules.caps(product.hs_code, on):
            amount = capped_amount(product, quantity, capping)
            if amount is None:
                found.append(problems.net_content_missing(product))
                continue
            prior = capped.get(capping.hs_prefix, (0, 0, ""))[0]
            capped[capping.hs_prefix] = (
                prior + amount,
                capping.yearly_cap or 0,
                capping.yearly_cap_unit or "",
            )
        found += problems.listing_problems(product)
        if product_id not in info.priced_by_deal and (short := problems.out_of_stock(product, quantity)):
            found.append(short)
        inputs.append(line)

    amounts = price_order(
        inputs,
        freight_usd=info.seller.shipping_fee_amount,
        fx_rate=info.fx.rate,
        per_order_limit=info.limits.per_order,
    )
    if over := problems.over_order_limit(amounts, info.limits):
        found.append(over)

    anonymous = Quote(
        amounts=amounts,
        fx=info.fx,
        seller=info.seller,
        products=info.products,
        limit_year=info.year,
        identity=None,
        limits=info.limits,
        on=on,
        problems=found,
        capped=capped,
        rule_ids=rule_ids,
    )
    if info.buyer_id is None:
        return anonymous
    return for_buyer(anonymous, info.buyer)


def for_buyer(anonymous: Quote, buyer: BuyerYear | None) -> Quote:
    """An anonymous quote made the buyer's: their identity, and the buyer's problems after the
    lines' and the order's (no identity yet, an ID number another account holds, of age for
    alcohol, room left in their CBEC year). Pure and cheap: a Singles' Day deal prices its lines
    once (flash_sale.templates) and makes that quote each buyer's here."""
    identity = buyer.identity if buyer is not None else None
    found = list(anonymous.problems)
    if identity is None:
        found.append(problems.identity_required())
    elif identity.person_key is None:
        found.append(problems.id_number_in_use())
    if buyer is not None and identity is not None:
        found += problems.buyer_problems(
            buyer,
            list(anonymous.products.values()),
            capped=anonymous.capped,
            dutiable=anonymous.amounts.dutiable,
            limits=anonymous.limits,
            year=anonymous.limit_year,
            on=anonymous.on,
        )
    return replace(anonymous, identity=identity, problems=found)
