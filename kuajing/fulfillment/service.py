"""What an order's life sets off. Every move of an order happens here, and with it what the move
means elsewhere, in the same transaction:

- paid: the payment captured, the deal units it holds sold, the CEB311 and CEB411 drafted;
- cancelled or expired: the deal units (or else the stock), the buyer's CBEC year and capped
  quantities given back;
- shipped: the CEB511 waybill drafted;
- delivered: the return window opens (returns.py reacts to returns).

Each owner is called through its service (order, payment, customs, the flash sale's
reservations, the catalog's stock, compliance's year), and none of them calls back into
fulfillment: an order's moves are started here and only here.
"""

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
from kuajing.fulfillment.errors import PayerMismatch, ShippingAddressRequired
from kuajing.kit.time import beijing_date, utcnow
from kuajing.models import Order, Role
from kuajing.order import service as order_service
from kuajing.order.errors import OrderExpired
from kuajing.order.service import Viewer
from kuajing.order.status import PAID, OrderStatus, check_transition
from kuajing.payment import service as payment_service
from kuajing.payment.gateway import Gateways


@dataclass(frozen=True, slots=True)
class FulfillmentContext:
    """What the transitions reach beyond the session: the gateways that charge and refund, the
    enterprises customs messages name, and the product snapshots stock changes must forget."""

    gateways: Gateways
    parties: CustomsParties
    products: ProductSnapshots


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
            payment = await payment_service.capture(
                session, context.gateways, order=order, method=method, now=now
            )
            await reservations.settle(session, order_id=order.id, now=now)
            await drafts.draft_for_payment(
                session,
                order_id=order.id,
                payment=payment,
                actor_id=buyer_id,
                now=now,
                parties=context.parties,
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
    if await order_service.transition(
        session, order=order, to=OrderStatus.cancelled, actor_id=viewer.user_id, reason="cancelled", now=now
    ):
        await _release(session, context, order, now)
    else:
        order = await order_service.reload(session, order_id)
        check_transition(order.status, OrderStatus.cancelled)
    return await order_service.reload(session, order_id)


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
