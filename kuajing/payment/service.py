"""Paying an order: charge through a gateway, then move the order to paid, or refuse."""

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.errors import Conflict
from kuajing.kit.time import utcnow
from kuajing.models import Order, Payment, Role
from kuajing.order import repository as order_repository
from kuajing.order import service as order_service
from kuajing.order.errors import OrderExpired
from kuajing.order.status import PAID, OrderStatus
from kuajing.payment import repository
from kuajing.payment.gateway import GATEWAYS


class PaymentDeclined(Conflict):
    code = "payment_declined"


async def pay_order(session: AsyncSession, *, order_id: int, buyer_id: int, method: str) -> Order:
    """Pay a pending order once. Paying an order that is already paid answers with it unchanged.

    The order moves to paid by a guarded update before the gateway is asked, inside the same
    transaction: a second concurrent pay waits on that row and then finds it paid, so it never
    charges; a declined charge rolls the move back.
    """
    now = utcnow()
    viewer = order_service.Viewer(user_id=buyer_id, role=Role.buyer)
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status == OrderStatus.pending_payment and order.expires_at <= now:
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    if order.status == OrderStatus.pending_payment:
        moved = await order_service.transition(
            session,
            order=order,
            to=OrderStatus.paid,
            actor_id=buyer_id,
            reason=f"paid via {method}",
            now=now,
            extra=(order_repository.not_expired_condition(now),),
        )
        if moved:
            charge = await GATEWAYS[method].charge(
                order_id=order.id, amount=order.total_amount, currency=order.currency
            )
            if not charge.approved:
                raise PaymentDeclined(message="The payment was declined.")
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
        order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status in PAID:
        return order
    if order.status == OrderStatus.pending_payment:  # its window closed between our check and update
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    raise OrderExpired("order_not_payable", f"This order is {order.status} and cannot be paid.")
