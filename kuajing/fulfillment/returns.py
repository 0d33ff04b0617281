"""Returns: a buyer asks to return a whole delivered order within 30 days; the owning seller or an
operator accepts it (a full refund, the tax inside it, the buyer's CBEC yearly room restored, the
goods optionally restocked) or refuses it with a reason. A return is asked for once per order.

Each step moves the order by a guarded status update first, so of two concurrent decisions only
one finds the order where it expects it; the other is refused and writes nothing.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import stock
from kuajing.customs import service as customs_service
from kuajing.errors import Conflict, Forbidden
from kuajing.fulfillment import refunds
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.money import minor_text
from kuajing.kit.time import utcnow
from kuajing.models import Order, Role
from kuajing.order import service as order_service
from kuajing.order.errors import ReturnWindowClosed
from kuajing.order.return_window import RETURN_WINDOW, window_open
from kuajing.order.service import Viewer
from kuajing.order.status import InvalidTransition, OrderStatus, check_transition


async def _moved_or_refuse(session: AsyncSession, moved: bool, *, order_id: int, to: OrderStatus) -> None:
    """A guarded move that found nothing to move lost a race: say where the order is now."""
    if not moved:
        current = (await order_service.reload(session, order_id)).status
        raise InvalidTransition(message=f"An order that is {current} cannot become {to.value}.")


def _decider(viewer: Viewer) -> None:
    if viewer.role == Role.buyer:
        raise Forbidden("not_allowed", "The seller of the order or an operator decides on a return.")


async def request_return(
    session: AsyncSession, *, order_id: int, buyer_id: int, reason: str, now: datetime | None = None
) -> Order:
    """The buyer asks to return the whole order: only a delivered one, within the window."""
    now = now or utcnow()
    order = await order_service.get_order(session, order_id=order_id, viewer=Viewer(buyer_id, Role.buyer))
    check_transition(order.status, OrderStatus.return_requested)
    if not window_open(order.delivered_at, now):
        raise ReturnWindowClosed(
            message=f"A return must be asked for within {RETURN_WINDOW.days} days of delivery."
        )
    moved = await order_service.transition(
        session, order=order, to=OrderStatus.return_requested, actor_id=buyer_id, reason=reason, now=now
    )
    await _moved_or_refuse(session, moved, order_id=order_id, to=OrderStatus.return_requested)
    await order_service.add_return(session, order_id=order.id, reason=reason, buyer_id=buyer_id, now=now)
    return await order_service.reload(session, order_id)


async def accept_return(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    order_id: int,
    viewer: Viewer,
    restock: bool,
    now: datetime | None = None,
) -> Order:
    """Accept a requested return: refund everything paid and not refunded before, restore the
    buyer's yearly room by that dutiable value in its limit year, and put the goods back on sale
    if asked."""
    now = now or utcnow()
    _decider(viewer)
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    check_transition(order.status, OrderStatus.returned)
    left = await refunds.left_to_refund(session, order)
    reason = f"return accepted: refunded {minor_text(left.amount)} {order.currency}"
    reason += f" incl. tax {minor_text(left.tax)}" + ("; restocked" if restock else "")
    moved = await order_service.transition(
        session, order=order, to=OrderStatus.returned, actor_id=viewer.user_id, reason=reason, now=now
    )
    await _moved_or_refuse(session, moved, order_id=order_id, to=OrderStatus.returned)
    # customs must not be told of a sale that no longer stands
    await customs_service.hold_for_return(session, order_id=order.id, actor_id=viewer.user_id, now=now)

    # The refund gives back the yearly room and caps first, then the products go back in id order
    # (the lock order placing an order uses), and the provider is asked last. If the commit fails
    # after it refunded, a retry sends the same request number and gets the first refund back.
    # everything may have been refunded already (a goodwill refund before the return): the return
    # is still accepted, refunding nothing more
    refund = (
        await refunds.refund_lines(
            session, context, order=order, by_product=None, reason=reason, actor_id=viewer.user_id, now=now
        )
        if left.amount
        else None
    )
    if restock:
        await stock.give_back(
            session, context.products, lines=[(line.product_id, line.quantity) for line in order.lines]
        )
    if refund is not None:
        # the provider last: nothing of this transaction but the record of its answer is written
        # after it has paid
        refund = await refunds.send(session, context, refund=refund, now=now)
    decided = await order_service.decide_return(
        session,
        order_id=order.id,
        values={
            "decision": "accepted",
            "decided_by": viewer.user_id,
            "decided_at": now,
            "restocked": restock,
            "refund_amount": refund.amount if refund else 0,
            "refund_tax_amount": refund.tax_amount if refund else 0,
            "refund_currency": refund.currency if refund else order.currency,
            "refund_reference": (refund.reference or refund.request_no) if refund else None,
        },
    )
    if not decided:
        raise Conflict("return_missing", f"Order {order.id} has no open return request.")
    return await order_service.reload(session, order_id)


async def reject_return(
    session: AsyncSession, *, order_id: int, viewer: Viewer, reason: str, now: datetime | None = None
) -> Order:
    """Refuse a requested return with a reason; the order stays sold and cannot be asked again."""
    now = now or utcnow()
    _decider(viewer)
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    check_transition(order.status, OrderStatus.return_rejected)
    moved = await order_service.transition(
        session, order=order, to=OrderStatus.return_rejected, actor_id=viewer.user_id, reason=reason, now=now
    )
    await _moved_or_refuse(session, moved, order_id=order_id, to=OrderStatus.return_rejected)
    decided = await order_service.decide_return(
        session,
        order_id=order.id,
        values={
            "decision": "rejected",
            "decided_by": viewer.user_id,
            "decided_at": now,
            "rejection_reason": reason,
        },
    )
    if not decided:
        raise Conflict("return_missing", f"Order {order.id} has no open return request.")
    return await order_service.reload(session, order_id)
