"""What an order's life sets off. Every move of an order happens here, and with it what the move
means elsewhere, in the same transaction:

- paid: the payment captured and its journal entry posted, the deal units it holds sold, the
  CEB311 and CEB411 drafted (payments.py reacts to providers' notifications and queries);
- cancelled or expired: the deal units (or else the stock), the buyer's CBEC year and capped
  quantities given back, its pending payments closed;
- shipped: the CEB511 waybill drafted;
- delivered: the seller's dollars become payable and the return window opens (returns.py
  reacts to returns, refunds.py refunds).

Each owner is called through its service (order, payment, ledger, customs, the flash sale's
reservations, the catalog's stock, compliance's year), and none of them calls back into
fulfillment: an order's moves are started here and only here.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import stock
from kuajing.catalog.snapshots import ProductSnapshots
from kuajing.compliance import service as compliance_service
from kuajing.compliance import year
from kuajing.compliance.errors import IdentityMissing, InvalidIdNumberError
from kuajing.compliance.identity import InvalidIdNumber, parse_resident_id
from kuajing.customs import drafts
from kuajing.customs.parties import CustomsParties
from kuajing.errors import Forbidden, KuajingError
from kuajing.flash_sale import reservations
from kuajing.fulfillment.errors import HeldForPayerMismatch, PayerMismatch, ShippingAddressRequired
from kuajing.kit.time import beijing_date, utcnow
from kuajing.ledger import service as ledger_service
from kuajing.models import Order, Payment, Role
from kuajing.order import service as order_service
from kuajing.order.errors import OrderExpired
from kuajing.order.service import Viewer
from kuajing.order.status import PAID, InvalidTransition, OrderStatus, check_transition
from kuajing.payment import service as payment_service
from kuajing.payment.errors import PaymentDeclined
from kuajing.payment.providers import ProviderRefused, Providers, ProviderUnavailable
from kuajing.payment.sandbox import SandboxProvider

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FulfillmentContext:
    """What the transitions reach beyond the session: the payment providers that take and give
    back money, the enterprises customs messages name, and the product snapshots stock changes
    must forget."""

    providers: Providers
    parties: CustomsParties
    products: ProductSnapshots


def subject(order: Order) -> str:
    """What the buyer sees on the provider's page: the first item and how many more."""
    names = [line.item_name_zh or line.item_name_en or f"商品 {line.product_id}" for line in order.lines]
    first = names[0] if names else f"订单 {order.id}"
    return (first + (f" 等{len(names)}件" if len(names) > 1 else ""))[:120]


async def on_paid(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    order: Order,
    payment: Payment,
    actor_id: int | None,
    now: datetime,
) -> None:
    """What an order moved to paid by a captured payment sets off, in the same transaction: the
    journal entry of the money, the deal units sold, the CEB311 and CEB411 drafted.

    `order` is the order as read under its lock (lines loaded) and `payment` the payment as
    captured: what follows reads their amounts, lines and parties, which a move to paid leaves as
    they were."""
    assert payment.status == "captured"
    await ledger_service.post_capture(session, order=order, payment=payment, now=now)
    await reservations.settle(session, order_id=order.id, now=now)
    await drafts.draft_for_payment(
        session, order=order, payment=payment, actor_id=actor_id, now=now, parties=context.parties
    )


@dataclass(frozen=True, slots=True)
class PayOutcome:
    order: Order
    # A refusal that must stay on record: the caller answers with it and still commits.
    refusal: KuajingError | None = None


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


async def pay_order(
    session: AsyncSession,
    context: FulfillmentContext,
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
    viewer = Viewer(user_id=buyer_id, role=Role.buyer)
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
            expired=False,
            values={"shipping_address": shipping_address} if shipping_address else None,
        )
        if moved:
            payment_id = await _pay_in_sandbox(session, context, order=order, method=method, now=now)
            await order_service.set_paid_by(session, order_id=order.id, payment_id=payment_id)
            paid = await order_service.reload(session, order.id)  # with the address the move gave it
            payment = await payment_service.find(session, payment_id)
            assert payment is not None
            await on_paid(session, context, order=paid, payment=payment, actor_id=buyer_id, now=now)
        order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status in PAID:
        return PayOutcome(order)
    if order.status == OrderStatus.pending_payment:  # its window closed between our check and update
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    raise OrderExpired("order_not_payable", f"This order is {order.status} and cannot be paid.")


async def _pay_in_sandbox(
    session: AsyncSession, context: FulfillmentContext, *, order: Order, method: str, now: datetime
) -> int:
    """POST /orders/{id}/pay's synchronous sandbox payment, started and captured at once; its id."""
    payment = await payment_service.start(
        session, context.providers, order=order, provider=method, subject=subject(order), now=now
    )
    sandbox = context.providers[method]
    assert isinstance(sandbox, SandboxProvider)
    if not await payment_service.mark_captured(
        session,
        payment_id=payment.id,
        provider=payment.provider,
        reference=sandbox.reference(payment.id),
        now=now,
    ):
        raise PaymentDeclined(message="The sandbox payment could not be captured.")
    return payment.id


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


async def give_back_year(session: AsyncSession, order: Order) -> None:
    """Give back what the order held of the buyer's yearly room and capped quantities (the
    first locks placing an order takes, in the same order)."""
    await year.give_back(
        session,
        id_number=order.buyer_id_number,
        year=order.limit_year,
        dutiable=order.dutiable_amount,
        capped=order.capped_quantities,
    )


async def _release(session: AsyncSession, context: FulfillmentContext, order: Order, now: datetime) -> None:
    """Give back the buyer's yearly room and capped quantities, then the stock: the lock order
    placing an order uses. A flash-sale order's units go back to its deal (the deal first, as a
    purchase batch locks it), never to the product."""
    await payment_service.close_pending(session, order_id=order.id, now=now)
    from_deal = await reservations.release(session, order_id=order.id, now=now)
    await give_back_year(session, order)
    if from_deal:
        return
    await stock.give_back(
        session, context.products, lines=[(line.product_id, line.quantity) for line in order.lines]
    )


async def cancel_order(
    session: AsyncSession, context: FulfillmentContext, *, order_id: int, viewer: Viewer
) -> Order:
    """Cancel an unpaid order (its buyer or an operator). Once committed, tell the stock ledger
    the order released its units (StockLedger.released)."""
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if viewer.role == Role.seller:
        raise Forbidden("not_allowed", "Sellers ship orders; the buyer or an operator cancels them.")
    now = utcnow()
    if order.status == OrderStatus.paid:
        raise InvalidTransition(
            message="A paid order is cancelled by refunding it in full (POST /api/v1/orders/{id}/refunds)."
        )
    if await order_service.transition(
        session, order=order, to=OrderStatus.cancelled, actor_id=viewer.user_id, reason="cancelled", now=now
    ):
        await _release(session, context, order, now)
        await _close_at_providers(session, context, order_id=order.id)
    else:
        order = await order_service.reload(session, order_id)
        check_transition(order.status, OrderStatus.cancelled)
    return await order_service.reload(session, order_id)


async def _close_at_providers(session: AsyncSession, context: FulfillmentContext, *, order_id: int) -> None:
    """Ask the providers to close the payments a cancelled order left (best effort: each
    provider closes an unpaid trade itself at the order's expiry, and a payment that arrives
    anyway is given back in full)."""
    for payment in await payment_service.for_order(session, order_id=order_id):
        if payment.status != "closed":
            continue
        try:
            await payment_service.close_at_provider(context.providers, payment)
        except (ProviderUnavailable, ProviderRefused) as exc:
            log.warning("payment %d could not be closed at %s: %s", payment.id, payment.provider, exc)


async def expire_order(
    session: AsyncSession, context: FulfillmentContext, *, order_id: int, now: datetime
) -> bool:
    """Expire one unpaid order whose time is up; False if someone else moved it first."""
    order = await order_service.find_order(session, order_id)
    if order is None or order.status != OrderStatus.pending_payment:
        return False
    moved = await order_service.transition(
        session,
        order=order,
        to=OrderStatus.expired,
        actor_id=None,
        reason="payment window passed",
        now=now,
        expired=True,
    )
    if moved:
        await _release(session, context, order, now)
    return moved


async def ship_order(
    session: AsyncSession, context: FulfillmentContext, *, order_id: int, viewer: Viewer, tracking_number: str
) -> Order:
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if viewer.role != Role.seller:
        raise Forbidden("not_allowed", "Only the seller ships an order.")
    if order.held_reason == "payer_mismatch":
        raise HeldForPayerMismatch(
            message="This order is held: the payment company found the payer is not the orderer (CBEC "
            "real-name rule). An operator refunds it; it cannot ship."
        )
    now = utcnow()
    if await order_service.transition(
        session,
        order=order,
        to=OrderStatus.shipped,
        actor_id=viewer.user_id,
        reason="shipped",
        now=now,
        values={"tracking_number": tracking_number},
    ):
        await drafts.draft_waybill(
            session, order_id=order_id, actor_id=viewer.user_id, now=now, parties=context.parties
        )
    else:
        check_transition((await order_service.reload(session, order_id)).status, OrderStatus.shipped)
    return await order_service.reload(session, order_id)


async def deliver_order(session: AsyncSession, *, order_id: int, viewer: Viewer) -> Order:
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if viewer.role == Role.buyer:
        raise Forbidden("not_allowed", "The seller or an operator confirms delivery.")
    now = utcnow()
    if not await order_service.transition(
        session,
        order=order,
        to=OrderStatus.delivered,
        actor_id=viewer.user_id,
        reason="delivered",
        now=now,
        values={"delivered_at": now},
    ):
        check_transition((await order_service.reload(session, order_id)).status, OrderStatus.delivered)
        return await order_service.reload(session, order_id)
    delivered = await order_service.reload(session, order_id)
    await ledger_service.post_delivery(session, order=delivered, now=now)
    return delivered
