"""Paying an order: charge through a gateway, then move the order to paid, or refuse."""

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.errors import Conflict
from kuajing.kit.time import utcnow
from kuajing.models import Order, Payment, Role
from kuajing.order import repository as order_repository
from kuajing.order import service as order_service
from kuajing.order.errors import OrderExpired
from kuajing.order.status import OrderStatus
from kuajing.payment import repository
from kuajing.payment.gateway import GATEWAYS


class PaymentDeclined(Conflict):
    code = "payment_declined"


async def pay_order(session: AsyncSession, *, order_id: int, buyer_id: int, method: str) -> Order:
    """Pay a pending order once. Paying an order that is already paid answers with it unchanged."""
    now = utcnow()
    viewer = order_service.Viewer(user_id=buyer_id, role=Role.buyer)
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status in (OrderStatus.paid, OrderStatus.shipped, OrderStatus.delivered):
        return order
    if order.status == OrderStatus.pending_payment and order.expires_at <= now:
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    if order.status != OrderStatus.pending_payment:
        raise OrderExpired("order_not_payable", f"This order is {order.status} and cannot be paid.")

    charge = await GATEWAYS[method].charge(
        order_id=order.id, amount=order.total_amount, currency=order.currency
    )
    if not charge.approved:
        raise PaymentDeclined(message="The payment was declined.")
    moved = await order_service.transition(
        session,
        order=order,
        to=OrderStatus.paid,
        actor_id=buyer_id,
        reason=f"paid via {method}",
        now=now,
        extra=(order_repository.not_expired_condition(now),),
    )
    if not moved:  # the sweeper or a cancel got there first; nothing is charged in the sandbox
        raise OrderExpired(
            "order_not_payable", "This order was cancelled or expired before payment completed."
        )
    await repository.add_payment(
        session,
        Payment(
            order_id=order.id,
            method=method,
            amount=order.total_amount,
            currency=order.currency,
            status="captured",
            reference=charge.reference,
            created_at=now,
        ),
    )
    return await order_service.get_order(session, order_id=order_id, viewer=viewer)
