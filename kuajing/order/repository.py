from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from kuajing.db import insert_family, insert_rows, next_ids, rowcount
from kuajing.models import Order, OrderEvent, OrderLine, OrderReturn, SellerProfile

ORDERS, ORDER_LINES, ORDER_EVENTS = Order.__table__, OrderLine.__table__, OrderEvent.__table__


async def add_order(
    session: AsyncSession,
    order: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    event: Mapping[str, Any],
) -> int:
    """An order, its lines and its first event (their columns, the event's without its order):
    one statement on PostgreSQL (db.insert_family), no ORM objects. The new order's id."""
    order_id = await insert_family(
        session, ORDERS, order, [(ORDER_LINES, "order_id", lines), (ORDER_EVENTS, "order_id", [event])]
    )
    assert order_id is not None
    return order_id


async def add_orders(
    session: AsyncSession,
    placed: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
    *,
    reason: str,
    now: datetime,
) -> list[int]:
    """Insert a batch's orders (their columns), then their lines and placed events: one INSERT
    per table (db.insert_rows), no ORM objects. The new order ids, in the order given."""
    orders = [order for order, _lines in placed]
    missing = [i for i, order in enumerate(orders) if order.get("id") is None]
    if missing and len(missing) < len(orders):
        # some came with ids taken ahead (next_order_ids), so every row names its id
        for i, new_id in zip(missing, await next_ids(session, ORDERS, len(missing)), strict=True):
            orders[i] = {**orders[i], "id": new_id}
    order_ids = await insert_rows(session, ORDERS, orders, new_ids=True)
    await insert_rows(
        session,
        ORDER_LINES,
        [
            {**line, "order_id": order_id}
            for order_id, (_order, order_lines) in zip(order_ids, placed, strict=True)
            for line in order_lines
        ],
    )
    await insert_rows(
        session,
        ORDER_EVENTS,
        [
            {
                "order_id": order_id,
                "from_status": None,
                "to_status": order["status"],
                "actor_id": order["buyer_id"],
                "reason": reason,
                "created_at": now,
            }
            for order_id, (order, _lines) in zip(order_ids, placed, strict=True)
        ],
    )
    return order_ids


async def present(session: AsyncSession, order_ids: Sequence[int]) -> set[int]:
    found = await session.scalars(select(Order.id).where(Order.id.in_(order_ids)))
    return set(found)


_ISSUED = text("SELECT :order_id <= pg_sequence_last_value(pg_get_serial_sequence('orders', 'id')::regclass)")


async def issued(session: AsyncSession, order_id: int) -> bool:
    """Whether the orders' sequence has handed out this id (PostgreSQL; never on SQLite, whose
    orders are always written before their id is told)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(await session.scalar(_ISSUED, {"order_id": order_id}))


async def next_order_ids(session: AsyncSession, n: int) -> list[int]:
    return await next_ids(session, ORDERS, n)


async def add_event(
    session: AsyncSession,
    *,
    order_id: int,
    from_status: str | None,
    to_status: str,
    actor_id: int | None,
    reason: str,
    now: datetime,
) -> None:
    # a plain INSERT: the event is never read back in the transaction that writes it
    await session.execute(
        _ADD_EVENT,
        {
            "order_id": order_id,
            "from_status": from_status,
            "to_status": to_status,
            "actor_id": actor_id,
            "reason": reason,
            "created_at": now,
        },
    )


# One order as a request reads it, its lines joined rather than read by a second SELECT (one
# round trip on the hot path of paying and capturing; an order holds a handful of lines). Built
# once: the statement and its cache key are not made again for every request.
_ORDER = (
    select(Order)
    .where(Order.id == bindparam("order_id"))
    .options(joinedload(Order.lines), joinedload(Order.return_request))
    .execution_options(populate_existing=True)
)
# the same, FOR UPDATE OF the order's row only (not its lines', nor the return request's)
_LOCKED_ORDER = _ORDER.with_for_update(of=ORDERS)
_ADD_EVENT = insert(ORDER_EVENTS)


async def get_order(session: AsyncSession, order_id: int) -> Order | None:
    return (await session.execute(_ORDER, {"order_id": order_id})).unique().scalar_one_or_none()


async def get_locked(session: AsyncSession, order_id: int) -> Order | None:
    """The order as it stands, its row held until the transaction ends (as `lock`), read in
    the same statement."""
    return (await session.execute(_LOCKED_ORDER, {"order_id": order_id})).unique().scalar_one_or_none()


async def has_orders(session: AsyncSession, *, buyer_id: int) -> bool:
    found = await session.scalar(select(Order.id).where(Order.buyer_id == buyer_id).limit(1))
    return found is not None


async def recent_addresses(session: AsyncSession, *, buyer_id: int, limit: int) -> list[dict[str, Any]]:
    """The shipping addresses of the buyer's latest orders, newest first."""
    query = select(Order.shipping_address).where(Order.buyer_id == buyer_id).order_by(Order.id.desc())
    return list(await session.scalars(query.limit(limit)))


async def events(session: AsyncSession, order_id: int) -> list[OrderEvent]:
    return list(
        await session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        )
    )


async def list_orders(
    session: AsyncSession,
    *,
    buyer_id: int | None,
    seller_id: int | None,
    status: str | None,
    before_id: int | None,
    limit: int,
    hide_rehearsal: bool = False,
) -> list[Order]:
    """A page of orders, the newest first; `hide_rehearsal` leaves out a rehearsal seller's."""
    query = (
        select(Order)
        .options(selectinload(Order.lines), joinedload(Order.return_request))
        .order_by(Order.id.desc())
        .limit(limit)
    )
    if hide_rehearsal:
        rehearsal_sellers = select(SellerProfile.user_id).where(SellerProfile.rehearsal)
        query = query.where(Order.seller_id.not_in(rehearsal_sellers))
    if buyer_id is not None:
        query = query.where(Order.buyer_id == buyer_id)
    if seller_id is not None:
        query = query.where(Order.seller_id == seller_id)
    if status is not None:
        query = query.where(Order.status == status)
    if before_id is not None:
        query = query.where(Order.id < before_id)
    return list(await session.scalars(query))


async def move_status(
    session: AsyncSession,
    *,
    order_id: int,
    from_status: str,
    to_status: str,
    now: datetime,
    expired: bool | None = None,
    values: dict[str, Any] | None = None,
    event: Mapping[str, Any] | None = None,
) -> bool:
    """The guarded transition: only the caller that finds the order in `from_status` moves it;
    with `expired`, only if its payment window has (True) or has not (False) passed at `now`.
    With `event` (its actor_id and reason), the move's event is written when the order moved:
    on PostgreSQL in the same statement (the UPDATE a CTE the INSERT reads), one round trip."""
    extra: list[ColumnElement[bool]] = []
    if expired is not None:
        extra.append(ORDERS.c.expires_at <= now if expired else ORDERS.c.expires_at > now)
    move = (
        update(ORDERS)
        .where(ORDERS.c.id == order_id, ORDERS.c.status == from_status, *extra)
        .values(status=to_status, updated_at=now, **(values or {}))
    )
    if event is None or session.get_bind().dialect.name != "postgresql":
        moved = rowcount(await session.execute(move)) == 1
        if moved and event is not None:
            await add_event(
                session,
                order_id=order_id,
                from_status=from_status,
                to_status=to_status,
                actor_id=event["actor_id"],
                reason=event["reason"],
                now=now,
            )
        return moved
    done = move.returning(ORDERS.c.id).cte("moved")
    columns = ORDER_EVENTS.c
    recorded = insert(ORDER_EVENTS).from_select(
        ["order_id", "from_status", "to_status", "actor_id", "reason", "created_at"],
        select(
            done.c.id,
            literal(from_status, columns.from_status.type),
            literal(to_status, columns.to_status.type),
            literal(event["actor_id"], columns.actor_id.type),
            literal(event["reason"], columns.reason.type),
            literal(now, columns.created_at.type),
        ),
    )
    return rowcount(await session.execute(recorded)) == 1


async def due_for_expiry(session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
    rows = await session.scalars(
        select(Order.id)
        .where(Order.status == "pending_payment", Order.expires_at <= now)
        .order_by(Order.expires_at)
        .limit(limit)
    )
    return list(rows)


async def add_return(session: AsyncSession, order_return: OrderReturn) -> OrderReturn:
    session.add(order_return)
    await session.flush()
    return order_return


async def decide_return(session: AsyncSession, *, order_id: int, values: dict[str, Any]) -> bool:
    """Record the decision on an undecided return; the caller already moved the order under guard."""
    result = await session.execute(
        update(OrderReturn)
        .where(OrderReturn.order_id == order_id, OrderReturn.decision.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def sales_by_day(
    session: AsyncSession, *, seller_id: int, statuses: list[str], since: datetime
) -> list[tuple[str, int, int]]:
    """("YYYY-MM-DD" in Beijing time, orders, goods in US cents) per day with sales, in order."""
    if session.get_bind().dialect.name == "postgresql":
        day = func.to_char(func.timezone("Asia/Shanghai", Order.created_at), "YYYY-MM-DD")
    else:  # SQLite keeps UTC without an offset
        day = func.strftime("%Y-%m-%d", Order.created_at, "+8 hours")
    rows = await session.execute(
        select(day, func.count(Order.id), func.coalesce(func.sum(Order.goods_usd_amount), 0))
        .where(Order.seller_id == seller_id, Order.status.in_(statuses), Order.created_at >= since)
        .group_by(day)
        .order_by(day)
    )
    return [(str(d), int(n), int(usd)) for d, n, usd in rows.all()]


async def take_refunded(session: AsyncSession, *, line_id: int, quantity: int) -> bool:
    """Add `quantity` to a line's refunded units, only while they stay within the line's."""
    result = await session.execute(
        update(OrderLine)
        .where(OrderLine.id == line_id, OrderLine.refunded_quantity + quantity <= OrderLine.quantity)
        .values(refunded_quantity=OrderLine.refunded_quantity + quantity)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def give_address(
    session: AsyncSession, *, order_id: int, address: dict[str, Any], now: datetime
) -> bool:
    """Set the shipping address of an unpaid order (a flash-sale reservation placed without one)."""
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == "pending_payment")
        .values(shipping_address=address, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def lock(session: AsyncSession, order_id: int) -> None:
    """Hold the order's row until the transaction ends (PostgreSQL; SQLite's writers are serial)."""
    await session.execute(select(Order.id).where(Order.id == order_id).with_for_update())


async def set_paid_by(session: AsyncSession, *, order_id: int, payment_id: int) -> None:
    await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.paid_by_payment_id.is_(None))
        .values(paid_by_payment_id=payment_id)
        .execution_options(synchronize_session=False)
    )


async def give_back_refunded(session: AsyncSession, *, line_id: int, quantity: int) -> None:
    await session.execute(
        update(OrderLine)
        .where(OrderLine.id == line_id, OrderLine.refunded_quantity >= quantity)
        .values(refunded_quantity=OrderLine.refunded_quantity - quantity)
        .execution_options(synchronize_session=False)
    )


async def hold(session: AsyncSession, *, order_id: int, reason: str, now: datetime) -> bool:
    result = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.held_reason.is_(None))
        .values(held_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
