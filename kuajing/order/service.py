"""Orders: writing them as checkout priced them, reading them for whoever may see them, and moving
them through the status machine with an event for every move. What a move sets off elsewhere
(stock, the buyer's CBEC year, deal units, payments, customs) is fulfillment's."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.kit.pagination import decode_cursor, page_of
from kuajing.kit.time import BEIJING, beijing_date, utcnow
from kuajing.models import Order, OrderEvent, OrderLine, OrderReturn, Role
from kuajing.observability import metrics
from kuajing.order import repository
from kuajing.order.errors import OrderNotFound
from kuajing.order.status import PAID, OrderStatus, check_transition


@dataclass(frozen=True, slots=True)
class DaySales:
    day: date  # in Beijing time, where the orders are placed
    orders: int
    goods_usd: int  # cents: what the seller's goods sold for, before tax and shipping


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    role: str


async def add_order(
    session: AsyncSession, *, order: dict[str, Any], lines: list[dict[str, Any]], now: datetime
) -> Order:
    """Write a pending order and its lines (their columns as checkout priced them), and the
    event that it was placed; the order as stored, lines loaded. Nothing is read back: every
    column is the caller's, a default or the new id, so the Order answered is built from them
    (outside the session; read the order to change it)."""
    order_id = await repository.add_order(
        session,
        order,
        lines,
        event={
            "from_status": None,
            "to_status": order["status"],
            "actor_id": order["buyer_id"],
            "reason": "placed",
            "created_at": now,
        },
    )
    # counted when written: a transaction that then fails to commit (rare) is counted all the same
    metrics.order_placed(order["channel"])
    placed = Order(**(_defaults(Order) | order | {"id": order_id}))
    placed.lines = [OrderLine(**(_defaults(OrderLine) | line | {"order_id": order_id})) for line in lines]
    placed.return_request = None
    return placed


def _defaults(model: type[Order] | type[OrderLine]) -> dict[str, Any]:
    """Each column of `model` as a row inserted without it holds it: its default, or None."""
    found: dict[str, Any] = {}
    for column in model.__table__.columns:
        default = column.default
        if default is None or not hasattr(default, "arg"):
            found[column.key] = None
        elif callable(default.arg):
            found[column.key] = default.arg(None)  # SQLAlchemy wraps it to take the context
        else:
            found[column.key] = default.arg
    return found


async def add_orders(
    session: AsyncSession,
    placed: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    *,
    reason: str,
    now: datetime,
) -> list[int]:
    """add_order for a batch of (order, lines) columns, one INSERT per table for all of them:
    the new orders' ids, in the order given. Nothing is loaded back: the caller has the columns."""
    order_ids = await repository.add_orders(session, placed, reason=reason, now=now)
    for order, _lines in placed:
        metrics.order_placed(order["channel"])
    return order_ids


async def next_order_ids(session: AsyncSession, n: int) -> list[int]:
    """n order ids taken ahead, for orders add_orders writes later with them (a purchase answered
    before its order is written); PostgreSQL only."""
    return await repository.next_order_ids(session, n)


async def present(session: AsyncSession, order_ids: Sequence[int]) -> set[int]:
    """Which of these order ids are written."""
    return await repository.present(session, order_ids) if order_ids else set()


async def find_order(session: AsyncSession, order_id: int) -> Order | None:
    """The order as it stands now, None if there is none; for the system, never a viewer."""
    return await repository.get_order(session, order_id)


async def reload(session: AsyncSession, order_id: int) -> Order:
    """The order as it stands now, whoever asks."""
    order = await repository.get_order(session, order_id)
    if order is None:
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


# How long a request for an order whose id was handed out but is not written yet waits for it:
# a flash-sale purchase is answered before its order is written (stock_ledger.redis_ledger),
# and its buyer may ask for the order, pay or cancel within milliseconds.
WRITTEN_SOON_SECONDS = 2.0
# Requests of a worker waiting so at once, each holding its connection: ids handed out that no
# order got (a worker's ids taken ahead, one that stopped) would otherwise let a buyer asking
# for them tie up the pool. Beyond this many, a missing order is not found at once.
WRITTEN_SOON_WAITERS = 2
_waiters = asyncio.Semaphore(WRITTEN_SOON_WAITERS)


async def _written_soon(
    session: AsyncSession, order_id: int, fetch: Callable[[AsyncSession, int], Awaitable[Order | None]]
) -> Order | None:
    """The order once written, looked for every 20 ms for WRITTEN_SOON_SECONDS; None after (an
    id its worker never used: a gap in the sequence, not an order)."""
    if _waiters.locked():
        return None
    async with _waiters:
        waited = 0.0
        while waited < WRITTEN_SOON_SECONDS:
            await asyncio.sleep(0.02)
            waited += 0.02
            order = await fetch(session, order_id)
            if order is not None:
                return order
    return None


def _visible_to(order: Order, viewer: Viewer) -> bool:
    if viewer.role == Role.operator:
        return True
    if viewer.role == Role.seller:
        return order.seller_id == viewer.user_id
    return order.buyer_id == viewer.user_id


async def get_order(session: AsyncSession, *, order_id: int, viewer: Viewer, lock: bool = False) -> Order:
    """The order if `viewer` may see it; with `lock`, its row locked first as `lock` takes it, in
    the same statement (a capture reads the order it decides on under the lock)."""
    fetch = repository.get_locked if lock else repository.get_order
    order = await fetch(session, order_id)
    if order is None and await repository.issued(session, order_id):
        order = await _written_soon(session, order_id, fetch)
    if order is None or not _visible_to(order, viewer):
        # The same answer for "missing" and "not yours": ids leak nothing.
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


ADDRESS_PARTS = ("name", "phone", "province", "city", "district", "street")


async def has_orders(session: AsyncSession, *, buyer_id: int) -> bool:
    return await repository.has_orders(session, buyer_id=buyer_id)


# A flash-sale order is placed before its address is given: look a few orders back.
ADDRESS_LOOKBACK = 10


async def last_address(session: AsyncSession, *, buyer_id: int) -> dict[str, str] | None:
    """The address the buyer last shipped to (every part of it given), to offer at checkout."""
    for address in await repository.recent_addresses(session, buyer_id=buyer_id, limit=ADDRESS_LOOKBACK):
        if address and all(str(address.get(part) or "").strip() for part in ADDRESS_PARTS):
            return {part: str(address[part]) for part in ADDRESS_PARTS}
    return None


async def order_events(session: AsyncSession, *, order_id: int) -> list[OrderEvent]:
    return await repository.events(session, order_id)


async def list_orders(
    session: AsyncSession, *, viewer: Viewer, status: str | None, cursor: str | None, limit: int
) -> tuple[list[Order], str | None]:
    """The viewer's orders, newest first: a buyer's own, a seller's own, all for an operator
    but a rehearsal's (kuajing.rehearsal: its synthetic seller's orders)."""
    rows = await repository.list_orders(
        session,
        buyer_id=viewer.user_id if viewer.role == Role.buyer else None,
        seller_id=viewer.user_id if viewer.role == Role.seller else None,
        status=status,
        before_id=decode_cursor(cursor),
        limit=limit + 1,
        hide_rehearsal=viewer.role == Role.operator,
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
    expired: bool | None = None,
) -> bool:
    """Move `order` to `to` if it is still where the caller saw it (and, with `expired`, only if
    its payment window has or has not passed); record the event. False: someone moved it first."""
    now = now or utcnow()
    check_transition(order.status, to)
    return await repository.move_status(
        session,
        order_id=order.id,
        from_status=order.status,
        to_status=to.value,
        now=now,
        expired=expired,
        values=values,
        event={"actor_id": actor_id, "reason": reason},
    )


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


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int = 200) -> list[int]:
    return await repository.due_for_expiry(session, now=now, limit=limit)


async def add_return(
    session: AsyncSession, *, order_id: int, reason: str, buyer_id: int, now: datetime
) -> None:
    """Record the buyer's return request (the order was moved to return_requested)."""
    await repository.add_return(
        session, OrderReturn(order_id=order_id, reason=reason, requested_by=buyer_id, requested_at=now)
    )


async def decide_return(session: AsyncSession, *, order_id: int, values: dict[str, Any]) -> bool:
    """Record the decision on the order's open return request; False when it has none."""
    return await repository.decide_return(session, order_id=order_id, values=values)


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


async def take_refunded(session: AsyncSession, *, line_id: int, quantity: int) -> bool:
    """Count `quantity` more units of a line as refunded; False if that would refund more
    units than the line has (a racing refund took them)."""
    return await repository.take_refunded(session, line_id=line_id, quantity=quantity)


async def give_address(
    session: AsyncSession, *, order_id: int, address: dict[str, Any], now: datetime
) -> bool:
    """The unpaid order ships to `address` (False once it is no longer unpaid)."""
    return await repository.give_address(session, order_id=order_id, address=address, now=now)


async def locked(session: AsyncSession, *, order_id: int) -> Order:
    """lock, then reload, in one statement; for the system, never a viewer."""
    order = await repository.get_locked(session, order_id)
    if order is None:
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


async def lock(session: AsyncSession, *, order_id: int) -> None:
    """Take the order's row lock first, as moving it does: whatever a flow changes of an order's
    money (a capture, a refund, a delivery) is decided under it, one flow at a time."""
    await repository.lock(session, order_id)


async def set_paid_by(session: AsyncSession, *, order_id: int, payment_id: int) -> None:
    """Record the payment that paid the order (once)."""
    await repository.set_paid_by(session, order_id=order_id, payment_id=payment_id)


async def give_back_refunded(session: AsyncSession, *, line_id: int, quantity: int) -> None:
    """A refund that failed: its units of the line are no longer refunded."""
    await repository.give_back_refunded(session, line_id=line_id, quantity=quantity)


async def hold(session: AsyncSession, *, order: Order, reason: str, note_text: str, now: datetime) -> bool:
    """Keep the order from shipping (`reason`, a stable code), with an event saying why."""
    held = await repository.hold(session, order_id=order.id, reason=reason, now=now)
    if held:
        await note(session, order=order, actor_id=None, reason=note_text, now=now)
    return held
