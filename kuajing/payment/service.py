"""Paying an order: charge through a gateway, then move the order to paid, or refuse."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import service as compliance_service
from kuajing.compliance.errors import IdentityMissing, InvalidIdNumberError
from kuajing.compliance.identity import InvalidIdNumber, parse_resident_id
from kuajing.customs import service as customs_service
from kuajing.errors import Conflict, InvalidInput, KuajingError
from kuajing.flash_sale import reservations
from kuajing.kit.time import beijing_date, utcnow
from kuajing.models import Order, Payment, Role
from kuajing.order import repository as order_repository
from kuajing.order import service as order_service
from kuajing.order.errors import OrderExpired
from kuajing.order.status import PAID, OrderStatus
from kuajing.payment import repository
from kuajing.payment.gateway import GATEWAYS


class PaymentDeclined(Conflict):
    code = "payment_declined"


class PayerMismatch(InvalidInput):
    code = "payer_mismatch"


class ShippingAddressRequired(InvalidInput):
    code = "shipping_address_required"


@dataclass(frozen=True, slots=True)
class PayOutcome:
    order: Order
    # A refusal that must stay on record: the caller answers with it and still commits.
    refusal: KuajingError | None = None


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


async def pay_order(
    session: AsyncSession,
    *,
    order_id: int,
    buyer_id: int,
    method: str,
    payer_name: str | None = None,
    payer_id_number: str | None = None,
    shipping_address: dict[str, str] | None = None,
) -> PayOutcome:
    """Pay a pending order once. Paying an order that is already paid answers with it unchanged.

    The payer is the named person, or the buyer's identity on file; CBEC requires the payer to
    be the orderer, so a mismatch is refused and recorded as an order event.

    The order moves to paid by a guarded update before the gateway is asked, inside the same
    transaction: a second concurrent pay waits on that row and then finds it paid, so it never
    charges; a declined charge rolls the move back.
    """
    now = utcnow()
    viewer = order_service.Viewer(user_id=buyer_id, role=Role.buyer)
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status == OrderStatus.pending_payment:
        payer = await _payer(session, buyer_id=buyer_id, name=payer_name, id_number=payer_id_number, now=now)
        if not (payer[1] == order.buyer_id_number and _same_name(payer[0], order.buyer_name)):
            await order_service.note(
                session,
                order=order,
                actor_id=buyer_id,
                reason="payment refused: payer is not the orderer",
                now=now,
            )
            refusal = PayerMismatch(
                message="The payer's name and ID must be the orderer's (CBEC real-name rule)."
            )
            return PayOutcome(order, refusal)
    if order.status == OrderStatus.pending_payment and order.expires_at <= now:
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    if order.status == OrderStatus.pending_payment and not (shipping_address or order.shipping_address):
        raise ShippingAddressRequired(
            message="This order has no shipping address yet (a flash-sale reservation): send one to pay."
        )
    if order.status == OrderStatus.pending_payment:
        moved = await order_service.transition(
            session,
            order=order,
            to=OrderStatus.paid,
            actor_id=buyer_id,
            reason=f"paid via {method}",
            now=now,
            extra=(order_repository.not_expired_condition(now),),
            values={"shipping_address": shipping_address} if shipping_address else None,
        )
        if moved:
            charge = await GATEWAYS[method].charge(
                order_id=order.id, amount=order.total_amount, currency=order.currency
            )
            if not charge.approved:
                raise PaymentDeclined(message="The payment was declined.")
            payment = await repository.add_payment(
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
            await reservations.settle(session, order_id=order.id, now=now)
            await customs_service.draft_for_payment(
                session, order_id=order.id, payment=payment, actor_id=buyer_id, now=now
            )
        order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status in PAID:
        return PayOutcome(order)
    if order.status == OrderStatus.pending_payment:  # its window closed between our check and update
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    raise OrderExpired("order_not_payable", f"This order is {order.status} and cannot be paid.")


async def _payer(
    session: AsyncSession, *, buyer_id: int, name: str | None, id_number: str | None, now: datetime
) -> tuple[str, str]:
    """(name, ID number) of who pays: as given, or the buyer's identity on file."""
    if name is not None and id_number is not None:
        try:
            return name, parse_resident_id(id_number, today=beijing_date(now)).number
        except InvalidIdNumber as exc:
            raise InvalidIdNumberError(message=str(exc)) from exc
    identity = await compliance_service.get_identity(session, user_id=buyer_id)
    if identity is None:
        raise IdentityMissing(message="Add your real-name identity before paying.")
    return identity.name, identity.id_number


class RefundDeclined(Conflict):
    code = "refund_declined"


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    amount: int
    currency: str
    reference: str


async def refund_payment(session: AsyncSession, *, order: Order) -> RefundOutcome:
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
    refund = await GATEWAYS[payment.method].refund(
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
