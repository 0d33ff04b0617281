"""A deal priced once, not once per attempt: for each quantity a buyer may take, the quote at the
deal's price and the columns of the order and its lines that the pricing decides. An admitted
attempt then only fills in the buyer (calculations.for_buyer, checkout.buyer_fields).

A template is kept with what it was computed from: the product's and the seller's facts, the
FX rate and the rule book in force, each as this worker's snapshots hold them, and the Beijing
day. Every attempt reads those (from memory) and compares them with the template's; when the
rate, a rule, the product or the seller's fee changed, or the day turned, the deal is priced
again. So a template follows a change as soon as the snapshots do, and never later.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.checkout import service as checkout
from kuajing.checkout.calculations import Quote, calculate
from kuajing.checkout.info import fetch_checkout_info
from kuajing.compliance.rules import RuleBook
from kuajing.flash_sale.ledger import DealFacts
from kuajing.pricing.snapshots import FxFacts
from kuajing.seller.snapshots import SellerFacts


@dataclass(frozen=True, slots=True)
class Priced:
    """One quantity of a deal, priced for any buyer. Shared by every attempt: never modified."""

    quote: Quote  # anonymous: the lines' and the order's problems only
    order: dict[str, Any]  # the order's columns the pricing decides
    lines: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Inputs:
    product: ProductFacts
    seller: SellerFacts
    fx: FxFacts
    rules: RuleBook
    on: date

    def same_as(self, other: "_Inputs") -> bool:
        # the rule book is compared by identity: the snapshot hands out the same object until
        # it reloads, and a reloaded book may differ in any table
        return (
            self.rules is other.rules
            and self.on == other.on
            and self.fx == other.fx
            and self.product == other.product
            and self.seller == other.seller
        )


@dataclass(slots=True)
class _Template:
    inputs: _Inputs
    by_quantity: dict[int, Priced]


class DealTemplates:
    """The worker's templates, by deal id. Counts how often it priced, for tests and reports."""

    def __init__(self) -> None:
        self._templates: dict[int, _Template] = {}
        self.pricings = 0

    async def priced(
        self, session: AsyncSession, snapshots: Snapshots, *, deal: DealFacts, quantity: int, now: datetime
    ) -> Priced:
        """The deal's template for `quantity` units, priced now if what it depends on changed.
        Raises what a checkout raises before pricing (an unknown product, a seller no longer
        approved, no FX rate)."""
        info = await fetch_checkout_info(
            session,
            snapshots,
            lines=[(deal.product_id, quantity)],
            buyer_id=None,
            now=now,
            fresh=False,
            deal_prices={deal.product_id: deal.price_amount},
            buyer=None,
        )
        inputs = _Inputs(info.products[deal.product_id], info.seller, info.fx, info.rules, info.on)
        template = self._templates.get(deal.id)
        if template is None or not template.inputs.same_as(inputs):
            template = self._templates[deal.id] = _Template(inputs, {})
        priced = template.by_quantity.get(quantity)
        if priced is None:
            quote = calculate(info)
            order, lines = checkout.priced_fields(quote)
            priced = template.by_quantity[quantity] = Priced(quote, order, lines)
            self.pricings += 1
        return priced
