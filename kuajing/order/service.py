"""Placing orders and moving them through their lives. Stock and the buyer's CBEC year are
taken by guarded updates when an order is placed and given back when it is cancelled or expires."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository as catalog_repository
from kuajing.compliance import repository as compliance_repository
from kuajing.compliance import risk_notice
from kuajing.compliance.errors import RiskNoticeRequired
from kuajing.compliance.risk_notice import RiskNotice
from kuajing.compliance.service import BuyerYear
from kuajing.customs import service as customs_service
from kuajing.errors import Forbidden
from kuajing.flash_sale import reservations
from kuajing.kit.pagination import decode_cursor, page_of
from kuajing.kit.time import BEIJING, beijing_date, utcnow
from kuajing.models import Order, OrderEvent, OrderLine, Role
from kuajing.order import repository
from kuajing.order.errors import (
    AnnualLimitReached,
    OrderNotFound,
    OutOfStock,
    RiskNoticeOutdated,
    YearlyQuantityCapReached,
)
from kuajing.order.status import PAID, OrderStatus, check_transition
from kuajing.pricing import service as pricing_service
from kuajing.pricing import snapshots
from kuajing.pricing.errors import CheckoutRefused
from kuajing.pricing.service import Quote

_CONFLICT_PROBLEMS = {"out_of_stock"}


@dataclass(frozen=True, slots=True)
class DaySales:
    day: date  # in Beijing time, where the orders are placed
    orders: int
    goods_usd: int  # cents: what the seller's goods sold for, before tax and shipping


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    role: str


async def checked_quote(
    session: AsyncSession,
    *,
    buyer_id: int,
    lines: list[tuple[int, int]],
    risk_notice_accepted: bool,
    risk_notice_version: str | None,
    now: datetime,
    deal_prices: Mapping[int, int] | None = None,
    fresh: bool = True,
    buyer: BuyerYear | None = None,
) -> tuple[Quote, RiskNotice]:
    """The risk notice accepted and a quote with no problems, or the first problem raised (with
    all of them listed). Nothing is written. `fresh` reads products, fees and the FX rate from
    the database; without it they come from the worker's snapshots (see pricing.snapshots)."""
    if not risk_notice_accepted:
        raise RiskNoticeRequired(message="Accept the cross-border shopping risk notice to place the order.")
    notice = risk_notice.in_force(beijing_date(now))
    if risk_notice_version is not None and risk_notice_version != notice.version:
        raise RiskNoticeOutdated(
            message=f"The risk notice changed (now version {notice.version}); read it and accept it again."
        )
    quote = await pricing_service.quote(
        session, lines=lines, buyer_id=buyer_id, now=now, fresh=fresh, deal_prices=deal_prices, buyer=buyer
    )
    if quote.problems:
        first = quote.problems[0]
        error = CheckoutRefused(first.code, first.message, problems=[p.as_dict() for p in quote.problems])
        if first.code in _CONFLICT_PROBLEMS:
            error.status = 409
        raise error
    return quote, notice


def order_fields(
    quote: Quote,
    *,
    buyer_id: int,
    shipping_address: dict[str, str],
    notice: RiskNotice,
    now: datetime,
    ttl_seconds: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The columns of a new pending order and of its lines, as the quote priced them."""
    amounts = quote.amounts
    identity = quote.identity
    assert identity is not None  # a quote for a buyer without one has the identity_required problem
    order = {
        "buyer_id": buyer_id,
        "seller_id": quote.seller.user_id,
        "status": OrderStatus.pending_payment.value,
        "channel": amounts.channel.value,
        "fx_rate": quote.fx.rate,
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
        "limit_year": quote.limit_year,
        "cbec_limit_id": quote.limits.id,
        "capped_quantities": {prefix: amount for prefix, (amount, _cap, _unit) in quote.capped.items()},
        "buyer_name": identity.name,
        "buyer_id_number": identity.id_number,
        "shipping_address": shipping_address,
        "risk_notice_accepted_at": now,
        "risk_notice_version": notice.version,
        "expires_at": now + timedelta(seconds=ttl_seconds),
        "created_at": now,
        "updated_at": now,
    }
    lines = [
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "hs_code": quote.products[line.product_id].hs_code,
            "tax_rule_id": line.tax_rate_id,
            "positive_entry_id": quote.rule_ids[line.product_id][0],
            "origin_tariff_ids": quote.rule_ids[line.product_id][1],
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
            "item_name_zh": quote.products[line.product_id].title_zh,
            "item_name_en": quote.products[line.product_id].title_en,
            "item_sku": quote.products[line.product_id].sku,
            "weight_grams": quote.products[line.product_id].weight_grams,
        }
        for line in amounts.lines
    ]
    return order, lines


async def place_order(
    session: AsyncSession,
    *,
    buyer_id: int,
    lines: list[tuple[int, int]],
    shipping_address: dict[str, str],
    risk_notice_accepted: bool,
    ttl_seconds: float,
    risk_notice_version: str | None = None,
    now: datetime | None = None,
) -> Order:
    """Price, check every CBEC rule, then take the year's room and the stock, or nothing at all."""
    now = now or utcnow()
    quote, notice = await checked_quote(
        session,
        buyer_id=buyer_id,
        lines=lines,
        risk_notice_accepted=risk_notice_accepted,
        risk_notice_version=risk_notice_version,
        now=now,
    )
    amounts = quote.amounts
    identity = quote.identity
    assert identity is not None
    # Year first, then products in id order: every writer takes locks in the same order.
    if not await compliance_repository.consume_annual(
        session,
        id_number=identity.id_number,
        year=quote.limit_year,
        amount=amounts.dutiable,
        limit=quote.limits.annual,
    ):
        raise AnnualLimitReached(
            message=f"This order would pass your {quote.limit_year} cross-border yearly limit."
        )
    for prefix, (amount, cap, _unit) in sorted(quote.capped.items()):
        if not await compliance_repository.consume_quantity(
            session,
            id_number=identity.id_number,
            year=quote.limit_year,
            hs_prefix=prefix,
            quantity=amount,
            cap=cap,
        ):
            raise YearlyQuantityCapReached(
                message=f"This order would pass your {quote.limit_year} cap on HS {prefix} goods."
            )
    for line in sorted(amounts.lines, key=lambda line: line.product_id):
        if not await catalog_repository.take_stock(
            session, product_id=line.product_id, quantity=line.quantity
        ):
            raise OutOfStock(message=f"Product {line.product_id} sold out while you were checking out.")
    snapshots.forget_products(line.product_id for line in amounts.lines)

    order_values, line_values = order_fields(
        quote,
        buyer_id=buyer_id,
        shipping_address=shipping_address,
        notice=notice,
        now=now,
        ttl_seconds=ttl_seconds,
    )
    order = Order(**order_values)
    await repository.add_order(session, order, [OrderLine(**values) for values in line_values])
    await repository.add_event(
        session,
        order_id=order.id,
        from_status=None,
        to_status=order.status,
        actor_id=buyer_id,
        reason="placed",
        now=now,
    )
    return await _reload(session, order.id)


async def _reload(session: AsyncSession, order_id: int) -> Order:
    order = await repository.get_order(session, order_id)
    if order is None:
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


def _visible_to(order: Order, viewer: Viewer) -> bool:
    if viewer.role == Role.operator:
        return True
    if viewer.role == Role.seller:
        return order.seller_id == viewer.user_id
    return order.buyer_id == viewer.user_id


async def get_order(session: AsyncSession, *, order_id: int, viewer: Viewer) -> Order:
    order = await repository.get_order(session, order_id)
    if order is None or not _visible_to(order, viewer):
        # The same answer for "missing" and "not yours": ids leak nothing.
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


async def order_events(session: AsyncSession, *, order_id: int) -> list[OrderEvent]:
    return await repository.events(session, order_id)


async def list_orders(
    session: AsyncSession, *, viewer: Viewer, status: str | None, cursor: str | None, limit: int
) -> tuple[list[Order], str | None]:
    """The viewer's orders, newest first: a buyer's own, a seller's own, all for an operator."""
    rows = await repository.list_orders(
        session,
        buyer_id=viewer.user_id if viewer.role == Role.buyer else None,
        seller_id=viewer.user_id if viewer.role == Role.seller else None,
        status=status,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    return page_of(rows, limit)


async def transition(
    session: AsyncSession,
    *,
    order: Order,
    to: OrderStatus,
    actor_id: int | None,
    reason: str,
    now: datetime | None = None,
    values: dict[str, Any] | None = None,
    extra: tuple = (),
) -> bool:
    """Move `order` to `to` if it is still where the caller saw it; record the event."""
    now = now or utcnow()
    check_transition(order.status, to)
    moved = await repository.move_status(
        session,
        order_id=order.id,
        from_status=order.status,
        to_status=to.value,
        now=now,
        extra=extra,
        values=values,
    )
    if moved:
        await repository.add_event(
            session,
            order_id=order.id,
            from_status=order.status,
            to_status=to.value,
            actor_id=actor_id,
            reason=reason,
            now=now,
        )
    return moved


async def note(
    session: AsyncSession, *, order: Order, actor_id: int | None, reason: str, now: datetime
) -> None:
    """Record something that happened to an order without moving it (a refused payment)."""
    await repository.add_event(
        session,
        order_id=order.id,
        from_status=order.status,
        to_status=order.status,
        actor_id=actor_id,
        reason=reason,
        now=now,
    )


async def give_back_limits(session: AsyncSession, order: Order) -> None:
    """Give back what the order held of the buyer's yearly room and capped quantities (the
    first locks placing an order takes, in the same order)."""
    await compliance_repository.release_annual(
        session, id_number=order.buyer_id_number, year=order.limit_year, amount=order.dutiable_amount
    )
    for prefix, amount in sorted(order.capped_quantities.items()):
        await compliance_repository.release_quantity(
            session, id_number=order.buyer_id_number, year=order.limit_year, hs_prefix=prefix, quantity=amount
        )


async def _release(session: AsyncSession, order: Order, now: datetime) -> None:
    """Give back the buyer's yearly room and capped quantities, then the stock: the lock order
    place_order uses. A flash-sale order's units go back to its deal (the deal first, as a
    purchase batch locks it), never to the product."""
    from_deal = await reservations.release(session, order_id=order.id, now=now)
    await give_back_limits(session, order)
    if from_deal:
        return
    for line in sorted(order.lines, key=lambda line: line.product_id):
        await catalog_repository.return_stock(session, product_id=line.product_id, quantity=line.quantity)
    snapshots.forget_products(line.product_id for line in order.lines)


async def cancel_order(session: AsyncSession, *, order_id: int, viewer: Viewer) -> Order:
    order = await get_order(session, order_id=order_id, viewer=viewer)
    if viewer.role == Role.seller:
        raise Forbidden("not_allowed", "Sellers ship orders; the buyer or an operator cancels them.")
    now = utcnow()
    if await transition(
        session, order=order, to=OrderStatus.cancelled, actor_id=viewer.user_id, reason="cancelled", now=now
    ):
        await _release(session, order, now)
    else:
        order = await _reload(session, order_id)
        check_transition(order.status, OrderStatus.cancelled)
    return await _reload(session, order_id)


async def expire_order(session: AsyncSession, *, order_id: int, now: datetime) -> bool:
    """Expire one unpaid order whose time is up; False if someone else moved it first."""
    order = await repository.get_order(session, order_id)
    if order is None or order.status != OrderStatus.pending_payment:
        return False
    moved = await transition(
        session,
        order=order,
        to=OrderStatus.expired,
        actor_id=None,
        reason="payment window passed",
        now=now,
        extra=(repository.expired_condition(now),),
    )
    if moved:
        await _release(session, order, now)
    return moved


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int = 200) -> list[int]:
    return await repository.due_for_expiry(session, now=now, limit=limit)


async def ship_order(session: AsyncSession, *, order_id: int, viewer: Viewer, tracking_number: str) -> Order:
    order = await get_order(session, order_id=order_id, viewer=viewer)
    if viewer.role != Role.seller:
        raise Forbidden("not_allowed", "Only the seller ships an order.")
    now = utcnow()
    if await transition(
        session,
        order=order,
        to=OrderStatus.shipped,
        actor_id=viewer.user_id,
        reason="shipped",
        now=now,
        values={"tracking_number": tracking_number},
    ):
        await customs_service.draft_waybill(session, order_id=order_id, actor_id=viewer.user_id, now=now)
    else:
        check_transition((await _reload(session, order_id)).status, OrderStatus.shipped)
    return await _reload(session, order_id)


async def deliver_order(session: AsyncSession, *, order_id: int, viewer: Viewer) -> Order:
    order = await get_order(session, order_id=order_id, viewer=viewer)
    if viewer.role == Role.buyer:
        raise Forbidden("not_allowed", "The seller or an operator confirms delivery.")
    now = utcnow()
    if not await transition(
        session,
        order=order,
        to=OrderStatus.delivered,
        actor_id=viewer.user_id,
        reason="delivered",
        now=now,
        values={"delivered_at": now},
    ):
        check_transition((await _reload(session, order_id)).status, OrderStatus.delivered)
    return await _reload(session, order_id)


async def seller_sales(session: AsyncSession, *, seller_id: int, days: int, now: datetime) -> list[DaySales]:
    """The seller's paid sales on each of the last `days` Beijing days, today last, with the
    days without sales as zero. Paid means as the jobs report counts: paid and kept."""
    today = beijing_date(now)
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=BEIJING)
    rows = await repository.sales_by_day(
        session, seller_id=seller_id, statuses=[s.value for s in PAID], since=since
    )
    found = {day: (orders, usd) for day, orders, usd in rows}
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        orders, usd = found.get(day.isoformat(), (0, 0))
        out.append(DaySales(day, orders, usd))
    return out
