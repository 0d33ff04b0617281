"""Checkout: a cart of one seller's lines becomes a quote (priced, every CBEC problem listed), and
a quote without problems becomes a pending order that holds the buyer's CBEC year and the stock.

Quotes read the worker's snapshots; placing an order reads products, fees and the rate from the
database (`fresh`), so what a buyer is charged never comes from a snapshot.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import stock
from kuajing.catalog.errors import OutOfStock, ProductNotFound
from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.checkout.calculations import Quote, calculate
from kuajing.checkout.errors import CheckoutRefused
from kuajing.checkout.info import fetch_checkout_info
from kuajing.compliance import category_rules, risk_notice, year
from kuajing.compliance.errors import RiskNoticeOutdated, RiskNoticeRequired
from kuajing.compliance.risk_notice import RiskNotice
from kuajing.compliance.year import BuyerYear, BuyerYearLoader
from kuajing.errors import KuajingError
from kuajing.kit.time import beijing_date, beijing_year, utcnow
from kuajing.models import Order
from kuajing.order import service as order_service
from kuajing.order.status import OrderStatus
from kuajing.pricing.amounts import OrderAmounts
from kuajing.seller.snapshots import SellerFacts

_CONFLICT_PROBLEMS = {"out_of_stock"}


async def quote(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    lines: list[tuple[int, int]],
    buyer_id: int | None,
    now: datetime | None = None,
    fresh: bool = False,
    deal_prices: Mapping[int, int] | None = None,
    buyer: BuyerYear | None = None,
    read: Mapping[int, ProductFacts] | None = None,
) -> Quote:
    """Price one seller's lines for a buyer (or anonymously) and list every problem found.

    `fresh` reads the database rather than this worker's snapshots: placing an order does.
    `buyer` is the buyer's identity and year for the year of `now`, when the caller has read
    them already (a flash-sale purchase reads them in a batch with other buyers'); without it
    they are read here.
    `deal_prices` maps a product to a Singles' Day deal's USD unit price: it replaces the list
    price, and the units come from the deal's allocation, so the product's stock is not checked.
    `read` are products a fresh quote's caller read from the database already (placing an order).
    """
    info = await fetch_checkout_info(
        session,
        snapshots,
        lines=lines,
        buyer_id=buyer_id,
        now=now or utcnow(),
        fresh=fresh,
        deal_prices=deal_prices or {},
        buyer=buyer,
        read=read,
    )
    return calculate(info)


async def checked_quote(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    buyer_id: int,
    lines: list[tuple[int, int]],
    risk_notice_accepted: bool,
    risk_notice_version: str | None,
    now: datetime,
    deal_prices: Mapping[int, int] | None = None,
    fresh: bool = True,
    buyer: BuyerYear | None = None,
    read: Mapping[int, ProductFacts] | None = None,
) -> tuple[Quote, RiskNotice]:
    """The risk notice accepted and a quote with no problems, or the first problem raised (with
    all of them listed). Nothing is written."""
    notice = accepted_notice(risk_notice_accepted, risk_notice_version, now=now)
    found = await quote(
        session,
        snapshots,
        lines=lines,
        buyer_id=buyer_id,
        now=now,
        fresh=fresh,
        deal_prices=deal_prices,
        buyer=buyer,
        read=read,
    )
    refuse_problems(found)
    return found, notice


def accepted_notice(accepted: bool, version: str | None, *, now: datetime) -> RiskNotice:
    """The risk notice in force, which the buyer must have accepted (in its current version when
    they name one), or the refusal raised."""
    if not accepted:
        raise RiskNoticeRequired(message="Accept the cross-border shopping risk notice to place the order.")
    notice = risk_notice.in_force(beijing_date(now))
    if version is not None and version != notice.version:
        raise RiskNoticeOutdated(
            message=f"The risk notice changed (now version {notice.version}); read it and accept it again."
        )
    return notice


def refuse_problems(found: Quote) -> None:
    """Raise the quote's first problem, with all of them listed; nothing when it has none."""
    if found.problems:
        first = found.problems[0]
        error = CheckoutRefused(first.code, first.message, problems=[p.as_dict() for p in found.problems])
        if first.code in _CONFLICT_PROBLEMS:
            error.status = 409
        raise error


def item_name(title: str, product: ProductFacts, *, zh: bool = False) -> str:
    """What a line declares it sold: the title, and a variant's values after it ("Tee (L / Navy)")."""
    label = product.variant_label
    if not label:
        return title
    return (f"{title}（{label}）" if zh else f"{title} ({label})")[:200]


def order_fields(
    priced: Quote,
    *,
    buyer_id: int,
    shipping_address: dict[str, str],
    notice: RiskNotice,
    now: datetime,
    ttl_seconds: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The columns of a new pending order and of its lines, as the quote priced them."""
    common, lines = priced_fields(priced)
    return buyer_fields(
        common,
        priced,
        buyer_id=buyer_id,
        shipping_address=shipping_address,
        notice=notice,
        now=now,
        ttl_seconds=ttl_seconds,
    ), lines


def buyer_fields(
    common: dict[str, Any],
    priced: Quote,
    *,
    buyer_id: int,
    shipping_address: dict[str, str],
    notice: RiskNotice,
    now: datetime,
    ttl_seconds: float,
) -> dict[str, Any]:
    """An order's columns: what the priced lines gave every buyer (priced_fields), and what is
    this buyer's and this moment's."""
    identity = priced.identity
    assert identity is not None  # a quote for a buyer without one has the identity_required problem
    return {
        **common,
        "buyer_id": buyer_id,
        "buyer_name": identity.name,
        "buyer_id_number": identity.id_number,
        "shipping_address": shipping_address,
        "risk_notice_accepted_at": now,
        "risk_notice_version": notice.version,
        "expires_at": now + timedelta(seconds=ttl_seconds),
        "created_at": now,
        "updated_at": now,
    }


def priced_fields(priced: Quote) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The columns of an order and of its lines that its pricing decides, whoever the buyer:
    a deal computes them once for each quantity (flash_sale.templates). Not to be modified."""
    amounts = priced.amounts
    order = {
        "seller_id": priced.seller.user_id,
        "status": OrderStatus.pending_payment.value,
        "channel": amounts.channel.value,
        "fx_rate": priced.fx.rate,
        "currency": "CNY",
        "goods_amount": amounts.goods,
        "freight_amount": amounts.freight,
        "consumption_tax_amount": amounts.consumption_tax,
        "vat_amount": amounts.vat,
        "tariff_amount": amounts.tariff,
        "tax_amount": amounts.tax,
        "total_amount": amounts.total,
        "dutiable_amount": amounts.dutiable,
        "goods_usd_amount": amounts.goods_usd,
        "freight_usd_amount": amounts.freight_usd,
        "limit_year": priced.limit_year,
        "cbec_limit_id": priced.limits.id,
        "capped_quantities": {prefix: amount for prefix, (amount, _cap, _unit) in priced.capped.items()},
    }
    lines = [
        {
            "product_id": line.product_id,
            "variant_of": priced.products[line.product_id].parent_id,
            "quantity": line.quantity,
            "hs_code": priced.products[line.product_id].hs_code,
            "tax_rule_id": line.tax_rate_id,
            "positive_entry_id": priced.rule_ids[line.product_id][0],
            "origin_tariff_ids": priced.rule_ids[line.product_id][1],
            "unit_price_usd_amount": line.unit_price_usd,
            "unit_price_amount": line.unit_price,
            "goods_amount": line.goods,
            "freight_amount": line.freight,
            "consumption_tax_amount": line.taxes.consumption_tax,
            "vat_amount": line.taxes.vat,
            "tariff_amount": line.taxes.tariff,
            "tax_amount": line.tax,
            # the product as ordered: the customs messages declare it so, whatever the seller
            # edits afterwards
            "item_name_zh": item_name(
                priced.products[line.product_id].title_zh, priced.products[line.product_id], zh=True
            ),
            "item_name_en": item_name(
                priced.products[line.product_id].title_en, priced.products[line.product_id]
            ),
            "item_sku": priced.products[line.product_id].sku,
            "weight_grams": priced.products[line.product_id].weight_grams,
        }
        for line in amounts.lines
    ]
    return order, lines


async def place_order(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    buyer_id: int,
    lines: list[tuple[int, int]],
    shipping_address: dict[str, str],
    risk_notice_accepted: bool,
    ttl_seconds: float,
    risk_notice_version: str | None = None,
    now: datetime | None = None,
    read: Mapping[int, ProductFacts] | None = None,
    buyer_years: BuyerYearLoader | None = None,
) -> Order:
    """Price, check every CBEC rule, then take the year's room and the stock, or nothing at all.

    `read`: the products named, read from the database in this request (sellable_facts), which
    the order is priced from. `buyer_years`: the buyer's identity and year are read through it,
    batched with other requests' reads (as a deal purchase reads them); the year's room is taken
    by a guarded statement all the same, so a read a moment old never lets an order through."""
    now = now or utcnow()
    buyer = None
    if buyer_years is not None:
        buyer = await buyer_years.load(session, (buyer_id, beijing_year(now)))
    priced, notice = await checked_quote(
        session,
        snapshots,
        buyer_id=buyer_id,
        lines=lines,
        risk_notice_accepted=risk_notice_accepted,
        risk_notice_version=risk_notice_version,
        now=now,
        buyer=buyer,
        read=read,
    )
    amounts = priced.amounts
    identity = priced.identity
    assert identity is not None
    # The year first, then products in id order: every writer takes locks in the same order.
    await year.take(
        session,
        id_number=identity.id_number,
        year=priced.limit_year,
        dutiable=amounts.dutiable,
        annual_limit=priced.limits.annual,
        capped={prefix: (amount, cap) for prefix, (amount, cap, _unit) in priced.capped.items()},
    )
    short = await stock.take(
        session, snapshots.products, lines=[(line.product_id, line.quantity) for line in amounts.lines]
    )
    if short is not None:
        raise OutOfStock(message=f"Product {short} sold out while you were checking out.")
    order, order_lines = order_fields(
        priced,
        buyer_id=buyer_id,
        shipping_address=shipping_address,
        notice=notice,
        now=now,
        ttl_seconds=ttl_seconds,
    )
    return await order_service.add_order(session, order=order, lines=order_lines, now=now)


@dataclass(frozen=True, slots=True)
class OneUnit:
    """A product on its page: one unit's landed amounts, tax and shipping included; for a product
    with options, those of the variant chosen, beside every variant to choose from."""

    product: ProductFacts
    amounts: OrderAmounts | None  # None: it cannot be priced (no FX rate, off the positive list)
    seller: SellerFacts  # approved: no other seller's product is shown
    variants: list[ProductFacts]  # empty for a product without options
    chosen: ProductFacts  # what the page prices and adds to the cart: the product or a variant
    zh_sizes: dict[int, str]  # garments: each variant's (or the product's) Chinese size, e.g. 175/92A


async def one_unit(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    product_id: int,
    now: datetime,
    variant_id: int | None = None,
) -> OneUnit:
    """One product for its page, read as a quote reads it (this worker's snapshots, at most
    KUAJING_READ_CACHE_SECONDS old) and priced for one unit by the quote itself. A product with
    options shows `variant_id`, or else its first variant in stock."""
    product = (await snapshots.products.facts(session, [product_id])).get(product_id)
    if product is None or product.parent_id is not None:
        raise ProductNotFound(message=f"No product {product_id}.")
    seller = (await snapshots.sellers.facts(session, [product.seller_id])).get(product.seller_id)
    if seller is None or not seller.approved:  # only an approved seller's products are shown
        raise ProductNotFound(message=f"No product {product_id}.")
    found = await snapshots.products.facts(session, product.variant_ids)
    variants = [found[v] for v in product.variant_ids if v in found]
    chosen = next((v for v in variants if v.id == variant_id), None) or next(
        (v for v in variants if v.stock > 0), variants[0] if variants else product
    )
    amounts = None
    try:
        priced = await quote(session, snapshots, lines=[(chosen.id, 1)], buyer_id=None, now=now)
    except KuajingError:
        pass  # no FX rate yet: the page says it cannot price the goods
    else:
        # goods off the positive list leave no line to price, only a problem
        amounts = priced.amounts if priced.amounts.lines else None
    sizes = {
        row.id: size
        for row in variants or [product]
        if (size := category_rules.zh_size(row.hs_code, dict(row.attributes))) is not None
    }
    return OneUnit(product, amounts, seller, variants, chosen, sizes)
