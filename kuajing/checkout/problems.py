"""The CBEC problems a checkout can have, each a pure function of what was fetched: a quote lists
them all for the page to show; placing an order raises the first. Sources: domain-facts §§1–7."""

from dataclasses import dataclass
from datetime import date

from kuajing.catalog.snapshots import ProductFacts
from kuajing.compliance import category_rules
from kuajing.compliance.rules import Limits, PositiveEntry
from kuajing.compliance.year import BuyerYear
from kuajing.pricing.amounts import Channel, OrderAmounts


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


# positive-list prefix -> (grams or pieces an order holds, the yearly cap per person, "g" or "piece")
Capped = dict[str, tuple[int, int, str]]


def off_the_list(product: ProductFacts, entry: PositiveEntry | None) -> Problem:
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


def net_content_missing(product: ProductFacts) -> Problem:
    return Problem(
        "net_content_missing",
        f"HS {product.hs_code} has a yearly cap per person in grams: declare net_content with unit g.",
        product.id,
    )


def listing_problems(product: ProductFacts) -> list[Problem]:
    """What the goods' category requires of the listing (a wine's Chinese label, say)."""
    return [
        Problem(p.code, p.message, product.id)
        for p in category_rules.listing_problems(product.hs_code, product.attributes)
    ]


def out_of_stock(product: ProductFacts, quantity: int) -> Problem | None:
    if quantity <= product.stock:
        return None
    return Problem("out_of_stock", f"Only {product.stock} left of {product.title_en}.", product.id)


def over_order_limit(amounts: OrderAmounts, limits: Limits) -> Problem | None:
    if amounts.channel is not Channel.over_order_limit:
        return None
    return Problem(
        "cbec_order_limit",
        f"Goods and freight come to {amounts.dutiable / 100:.2f} CNY; one cross-border order may "
        f"hold at most {limits.per_order / 100:.2f} CNY unless it is a single item. Split the order.",
    )


def identity_required() -> Problem:
    return Problem("identity_required", "Add your real-name identity (name and ID number) first.")


def id_number_in_use() -> Problem:
    return Problem(
        "id_number_in_use",
        "Another account held this ID number first; an operator must resolve the claim before "
        "this account can order.",
    )


def buyer_problems(
    buyer: BuyerYear,
    products: list[ProductFacts],
    *,
    capped: Capped,
    dutiable: int,
    limits: Limits,
    year: int,
    on: date,
) -> list[Problem]:
    """What the buyer must be (of age for alcohol) and what their year still has room for: the
    capped quantities they hold and the yearly limit."""
    identity = buyer.identity
    assert identity is not None
    problems = [
        Problem(p.code, p.message, product.id)
        for product in products
        for p in category_rules.buyer_problems(product.hs_code, birth_date=identity.birth_date, today=on)
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
    if used + dutiable > limits.annual:
        problems.append(
            Problem(
                "cbec_annual_limit",
                f"This order would take your {year} cross-border total to "
                f"{(used + dutiable) / 100:.2f} CNY, above the "
                f"{limits.annual / 100:.2f} CNY yearly limit.",
            )
        )
    return problems
