"""Payments: an order's charge through its gateway, recorded as captured, and its refund, once."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.errors import Conflict
from kuajing.models import Order, Payment
from kuajing.payment import repository
from kuajing.payment.errors import PaymentDeclined, RefundDeclined
from kuajing.payment.gateway import Gateways


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    amount: int
    currency: str
    reference: str


async def capture(
    session: AsyncSession, gateways: Gateways, *, order: Order, method: str, now: datetime
) -> Payment:
    """Charge the order's total through `method` and record the payment as captured; a declined
    charge raises and the caller's transaction rolls back. Callers move the order to paid by a
    guarded update first, so a second concurrent payment finds it paid and never charges."""
    charge = await gateways[method].charge(
        order_id=order.id, amount=order.total_amount, currency=order.currency
    )
    if not charge.approved:
        raise PaymentDeclined(message="The payment was declined.")
    return await repository.add_payment(
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


async def payment_for(session: AsyncSession, *, order_id: int) -> Payment | None:
    """The order's payment, None if it has none."""
    return await repository.payment_for(session, order_id)


async def refund_payment(session: AsyncSession, gateways: Gateways, *, order: Order) -> RefundOutcome:
    """Give back everything the order's payment captured, through the gateway that took it.

    The payment moves from captured to refunded by a guarded update before the gateway is
    asked, so a payment is refunded at most once even if a caller's own guard failed; a
    declined refund raises and the caller's transaction rolls both moves back. Callers ask the
    gateway last, after every other write of their transaction.
    """
    payment = await repository.payment_for(session, order.id)
    if payment is None:
        raise Conflict("payment_missing", f"Order {order.id} has no captured payment to refund.")
    if payment.amount != order.total_amount or payment.currency != order.currency:
        raise Conflict("payment_mismatch", f"Order {order.id}'s payment is not its total; refund it by hand.")
    if not await repository.mark_refunded(session, payment_id=payment.id):
        raise Conflict("payment_refunded", f"Order {order.id}'s payment was already refunded.")
    refund = await gateways[payment.method].refund(
        order_id=order.id,
        charge_reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        # the same key on every attempt: if this transaction fails after the gateway answered,
        # the next attempt gets the first refund back instead of a second payout
        idempotency_key=f"kuajing-refund-payment-{payment.id}",
    )
    if not refund.approved:
        raise RefundDeclined(message="The payment gateway declined the refund; nothing was changed.")
    return RefundOutcome(amount=payment.amount, currency=payment.currency, reference=refund.reference)
