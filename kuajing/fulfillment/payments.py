"""An order's payments as the providers report them.

The buyer starts a payment (POST /orders/{id}/payments) and pays at the provider; the
provider's asynchronous notification, or our query when none came, says it was paid. The
payment moves pending -> captured by a guarded update, so a replayed or concurrent notification
captures once; the first capture moves the order to paid (with its journal entry, the deal
units sold, the customs drafts), and a capture for an order that can no longer take it (paid
by another payment, expired, cancelled) is given back in full. A notification that is not
genuine, is for another app, names an unknown payment or another amount is refused, changes
nothing, and is kept for the operator.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.audit import service as audit_service
from kuajing.compliance import service as compliance_service
from kuajing.customs import service as customs_service
from kuajing.db import Database, savepoint
from kuajing.errors import Conflict, KuajingError, NotFound
from kuajing.fulfillment import refunds
from kuajing.fulfillment.errors import ShippingAddressRequired
from kuajing.fulfillment.service import FulfillmentContext, on_paid, subject
from kuajing.kit.time import utcnow
from kuajing.ledger import service as ledger_service
from kuajing.models import Order, Payment, Role
from kuajing.order import service as order_service
from kuajing.order.errors import OrderExpired
from kuajing.order.service import Viewer
from kuajing.order.status import OrderStatus
from kuajing.payment import service as payment_service
from kuajing.payment.errors import PaymentProviderUnavailable, RefundDeclined
from kuajing.payment.providers import Answer, DeclarationRequest, NotificationRefused, RefundState, TradeState
from kuajing.payment.sandbox import SandboxProvider

log = logging.getLogger(__name__)
# Alipay's and WeChat Pay's notifications are a few kilobytes; anything far larger is not one
MAX_NOTIFICATION_BYTES = 64 * 1024


class PaymentNotFound(NotFound):
    code = "payment_not_found"


async def start_payment(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    order_id: int,
    buyer_id: int,
    provider: str,
    shipping_address: dict[str, str] | None = None,
) -> Payment:
    """A pending payment of the buyer's unpaid order through `provider`; `shipping_address`
    gives an order placed without one (a flash-sale reservation) its address first."""
    now = utcnow()
    order = await order_service.get_order(session, order_id=order_id, viewer=Viewer(buyer_id, Role.buyer))
    if order.status != OrderStatus.pending_payment:
        raise OrderExpired("order_not_payable", f"This order is {order.status} and cannot be paid.")
    if order.expires_at <= now:
        raise OrderExpired(message="The payment window for this order has passed; place it again.")
    if shipping_address and not order.shipping_address:
        await order_service.give_address(session, order_id=order_id, address=shipping_address, now=now)
        order = await order_service.reload(session, order_id)
    if not order.shipping_address:
        raise ShippingAddressRequired(
            message="This order has no shipping address yet: "
            "pay it once with POST /orders/{id}/pay and an address."
        )
    return await payment_service.start(
        session, context.providers, order=order, provider=provider, subject=subject(order), now=now
    )


async def payments_of(session: AsyncSession, *, order_id: int, viewer: Viewer) -> list[Payment]:
    await order_service.get_order(session, order_id=order_id, viewer=viewer)
    return list(await payment_service.for_order(session, order_id=order_id))


async def payment_of(session: AsyncSession, *, payment_id: int, viewer: Viewer) -> Payment:
    """A payment its order's buyer, seller or an operator may see."""
    payment, _order = await _payment_and_order(session, payment_id=payment_id, viewer=viewer)
    return payment


async def _payment_and_order(
    session: AsyncSession, *, payment_id: int, viewer: Viewer, lock: bool = False
) -> tuple[Payment, Order]:
    """payment_of, with the order that let the viewer see it; with `lock`, read under the lock a
    capture takes (order_service.get_order(lock=True))."""
    payment = await payment_service.find(session, payment_id)
    if payment is None:
        raise PaymentNotFound(message=f"No payment {payment_id}.")
    try:
        order = await order_service.get_order(session, order_id=payment.order_id, viewer=viewer, lock=lock)
    except NotFound:
        raise PaymentNotFound(message=f"No payment {payment_id}.") from None
    return payment, order


async def capture(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    payment: Payment,
    reference: str | None,
    actor_id: int | None,
    now: datetime,
    order: Order | None = None,
) -> bool:
    """The provider says `payment` was paid: capture it once (False: it was before, a replay).
    The first capture of an unpaid order pays it; any other (the order paid by another payment,
    expired or cancelled) is posted and given back in full. The order's row is locked first, as
    its moves lock it, so a capture and an expiry wait for each other instead of deadlocking:
    `order` is the payment's order as the caller read it under that lock
    (order_service.get_order(lock=True)), read so here when not given."""
    return (
        await _capture(
            session, context, payment=payment, reference=reference, actor_id=actor_id, now=now, order=order
        )
        != "replayed"
    )


async def _capture(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    payment: Payment,
    reference: str | None,
    actor_id: int | None,
    now: datetime,
    order: Order | None,
) -> Literal["paid", "returned", "replayed"]:
    """capture, saying what came of it: "paid" (the order, by this payment, which reads as
    captured), "returned" (captured and given back) or "replayed" (captured before)."""
    if order is None:
        order = await order_service.locked(session, order_id=payment.order_id)
    assert order.id == payment.order_id
    if not await payment_service.mark_captured(
        session, payment_id=payment.id, provider=payment.provider, reference=reference, now=now
    ):
        return "replayed"
    if order.status == OrderStatus.pending_payment and await order_service.transition(
        session,
        order=order,
        to=OrderStatus.paid,
        actor_id=actor_id,
        reason=f"paid via {payment.provider}",
        now=now,
        values={"paid_by_payment_id": payment.id},
    ):
        await on_paid(session, context, order=order, payment=payment, actor_id=actor_id, now=now)
        return "paid"
    captured = await payment_service.find(session, payment.id)
    assert captured is not None
    await order_service.note(
        session,
        order=order,
        actor_id=actor_id,
        reason=f"payment {payment.id} via {payment.provider} came for an order {order.status}: returned",
        now=now,
    )
    # the money came in whatever happens to its refund: the capture's entry stands
    await ledger_service.post_capture(session, order=order, payment=captured, now=now)
    await give_back_duplicate(session, context, order=order, payment=captured, now=now)
    return "returned"


async def give_back_duplicate(
    session: AsyncSession, context: FulfillmentContext, *, order: Order, payment: Payment, now: datetime
) -> bool:
    """Refund a payment the order did not take, in a savepoint: refused or unreachable, the
    provider is asked again by the sweeper (`return_duplicates`), and the capture stays recorded."""
    try:
        async with savepoint(session):
            await refunds.refund_duplicate(session, context, order=order, payment=payment, now=now)
        return True
    except (PaymentProviderUnavailable, RefundDeclined) as exc:
        log.warning("payment %d could not be given back yet: %s", payment.id, exc.message)
        return False


async def return_duplicates(database: Database, context: FulfillmentContext) -> int:
    """Give back captured payments their orders did not take and no refund has returned yet, each
    in its own transaction; how many were given back."""
    async with database.transaction(write=False) as session:
        candidates = await payment_service.captured_not_refunded(session)
    returned = 0
    for payment_id in candidates:
        try:
            async with database.transaction(write=True) as session:
                payment = await payment_service.find(session, payment_id)
                if payment is None:
                    continue
                await order_service.lock(session, order_id=payment.order_id)
                order = await order_service.reload(session, payment.order_id)
                if order.paid_by_payment_id == payment.id or payment.refunded_amount:
                    continue
                returned += await give_back_duplicate(
                    session, context, order=order, payment=payment, now=utcnow()
                )
        except Exception:
            log.exception("payment %d could not be given back; left for the next round", payment_id)
    return returned


async def receive_notification(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
) -> Answer:
    """Verify, act on and record one notification; the answer the provider expects."""
    now = utcnow()

    async def keep(
        outcome: str,
        *,
        code: str | None = None,
        detail: str = "",
        payment_id: int | None = None,
        out_trade_no: str | None = None,
    ) -> None:
        await payment_service.record_notification(
            session,
            provider=provider,
            outcome=outcome,
            code=code,
            detail=detail,
            payment_id=payment_id,
            out_trade_no=out_trade_no,
            body=body,
            headers=headers,
            now=now,
        )

    if len(body) > MAX_NOTIFICATION_BYTES:
        await keep("refused", code="too_large", detail=f"A body of {len(body)} bytes is no notification.")
        return payment_service.answer(context.providers, provider, accepted=False)
    try:
        notification = payment_service.read_notification(context.providers, provider, body, headers)
    except NotificationRefused as refused:
        log.warning("%s notification refused (%s): %s", provider, refused.code, refused.detail)
        await keep("refused", code=refused.code, detail=refused.detail, out_trade_no=refused.out_trade_no)
        return payment_service.answer(context.providers, provider, accepted=False)

    out_trade_no = notification.out_trade_no
    payment_id = notification.payment_id
    payment = await payment_service.find(session, payment_id) if payment_id is not None else None
    if payment is None or payment.provider != provider:
        await keep(
            "refused",
            code="unknown_trade",
            detail=f"No {provider} payment {out_trade_no}.",
            out_trade_no=out_trade_no,
        )
        return payment_service.answer(context.providers, provider, accepted=False)

    if notification.kind == "refund":
        refund = (
            await payment_service.refund_by_request_no(session, notification.request_no)
            if notification.request_no
            else None
        )
        if refund is None or refund.payment_id != payment.id:
            await keep(
                "refused",
                code="unknown_refund",
                detail=f"No refund {notification.request_no}.",
                payment_id=payment.id,
                out_trade_no=out_trade_no,
            )
            return payment_service.answer(context.providers, provider, accepted=False)
        if notification.amount is not None and notification.amount != refund.amount:
            await keep(
                "refused",
                code="amount_mismatch",
                detail=f"The refund notification says {notification.amount} fen; refund {refund.id} is "
                f"{refund.amount}.",
                payment_id=payment.id,
                out_trade_no=out_trade_no,
            )
            return payment_service.answer(context.providers, provider, accepted=False)
        if notification.paid:
            settled = await payment_service.confirm_refund(
                session,
                refund=refund,
                state=RefundState(status="succeeded", reference=notification.refund_reference),
                now=now,
            )
        else:
            settled = await refunds.undo_failed(
                session, refund=refund, detail=f"{provider} says the refund did not go through", now=now
            )
        await keep("refunded" if settled else "replayed", payment_id=payment.id, out_trade_no=out_trade_no)
        return payment_service.answer(context.providers, provider, accepted=True)

    if notification.amount is not None and notification.amount != payment.amount:
        await keep(
            "refused",
            code="amount_mismatch",
            detail=f"The notification says {notification.amount} fen; "
            f"payment {payment.id} is {payment.amount}.",
            payment_id=payment.id,
            out_trade_no=out_trade_no,
        )
        return payment_service.answer(context.providers, provider, accepted=False)
    if not notification.paid:
        await keep("noted", detail="not a payment (yet)", payment_id=payment.id, out_trade_no=out_trade_no)
        return payment_service.answer(context.providers, provider, accepted=True)
    try:
        async with savepoint(session):
            captured = await capture(
                session, context, payment=payment, reference=notification.trade_no, actor_id=None, now=now
            )
    except KuajingError as exc:
        # nothing of it stands; the provider sends it again, and the operator sees why
        log.warning("%s notification for payment %d not applied: %s", provider, payment.id, exc.message)
        await keep(
            "refused",
            code="not_applied",
            detail=f"{exc.code}: {exc.message}",
            payment_id=payment.id,
            out_trade_no=out_trade_no,
        )
        return payment_service.answer(context.providers, provider, accepted=False)
    await keep("captured" if captured else "replayed", payment_id=payment.id, out_trade_no=out_trade_no)
    return payment_service.answer(context.providers, provider, accepted=True)


async def settle_with_provider(
    session: AsyncSession, context: FulfillmentContext, *, payment: Payment, actor_id: int | None
) -> Payment:
    """Ask the provider about a pending payment and act on the answer: captured (the
    notification never came), closed, or still pending."""
    if payment.status != "pending":
        return payment
    state: TradeState = await payment_service.query(context.providers, payment)
    now = utcnow()
    if state.status == "captured":
        if state.amount is not None and state.amount != payment.amount:
            raise Conflict(
                "amount_mismatch",
                f"{payment.provider} says {state.amount} fen was paid; "
                f"payment {payment.id} is {payment.amount}. "
                "Nothing was changed; an operator must look at it.",
            )
        await capture(session, context, payment=payment, reference=state.trade_no, actor_id=actor_id, now=now)
    found = await payment_service.find(session, payment.id)
    assert found is not None
    return found


async def pay_in_sandbox(
    session: AsyncSession, context: FulfillmentContext, *, payment_id: int, buyer_id: int
) -> Payment:
    """The buyer pays a pending sandbox payment: what the provider's page does for real ones.
    Its order is read once, under the lock its capture takes."""
    payment, order = await _payment_and_order(
        session, payment_id=payment_id, viewer=Viewer(buyer_id, Role.buyer), lock=True
    )
    if payment.provider != "sandbox" or "sandbox" not in context.providers:
        raise Conflict(
            "not_a_sandbox_payment", f"Payment {payment_id} is paid at {payment.provider}, not here."
        )
    if payment.status != "pending":
        return payment
    sandbox = context.providers["sandbox"]
    assert isinstance(sandbox, SandboxProvider)
    captured = await _capture(
        session,
        context,
        payment=payment,
        reference=sandbox.reference(payment.id),
        actor_id=buyer_id,
        now=utcnow(),
        order=order,
    )
    if captured == "paid":
        return payment  # as the capture's update returned it; nothing since has changed it
    found = await payment_service.find(session, payment.id)
    assert found is not None
    return found


async def query_pending(database: Database, context: FulfillmentContext, *, older_than_seconds: float) -> int:
    """Ask the providers about payments pending longer than `older_than_seconds` (their
    notification may be lost), each in its own transaction; how many were captured."""
    before = utcnow() - timedelta(seconds=older_than_seconds)
    async with database.transaction(write=False) as session:
        ids = await payment_service.pending_since(session, before=before, providers=context.providers.real)
    captured = 0
    for payment_id in ids:
        try:
            async with database.transaction(write=True) as session:
                payment = await payment_service.find(session, payment_id)
                if payment is None:
                    continue
                settled = await settle_with_provider(session, context, payment=payment, actor_id=None)
                captured += settled.status == "captured"
        except PaymentProviderUnavailable as exc:
            log.warning("payment %d: %s", payment_id, exc.message)
        except Exception:
            log.exception("payment %d could not be settled; left for the next round", payment_id)
    return captured


async def settle_refunds(
    database: Database, context: FulfillmentContext, *, older_than_seconds: float
) -> int:
    """Ask the providers about refunds they accepted and have not confirmed for
    `older_than_seconds` (their notification may be lost): confirmed, or undone when they did
    not go through; each in its own transaction. How many were settled."""
    before = utcnow() - timedelta(seconds=older_than_seconds)
    async with database.transaction(write=False) as session:
        ids = await payment_service.pending_refunds(session, before=before)
    settled = 0
    for refund_id in ids:
        try:
            async with database.transaction(write=True) as session:
                refund = await payment_service.find_refund(session, refund_id)
                payment = await payment_service.find(session, refund.payment_id) if refund else None
                if refund is None or payment is None or payment.provider not in context.providers:
                    continue
                state = await payment_service.query_refund(
                    context.providers, refund=refund, provider=payment.provider
                )
                now = utcnow()
                if state.status == "succeeded":
                    settled += await payment_service.confirm_refund(
                        session, refund=refund, state=state, now=now
                    )
                elif state.status in ("failed", "not_found"):
                    why = state.detail or state.status
                    detail = f"{payment.provider} says the refund did not go through ({why})"
                    settled += await refunds.undo_failed(session, refund=refund, detail=detail, now=now)
        except PaymentProviderUnavailable as exc:
            log.warning("refund %d: %s", refund_id, exc.message)
        except Exception:
            log.exception("refund %d could not be settled; left for the next round", refund_id)
    return settled


async def declare_paid(database: Database, context: FulfillmentContext) -> int:
    """Have the payment companies declare the payments that paid orders to customs, each in its
    own transaction. The declaration checks the payer against the orderer (CBEC's real-name
    rule): a payer who is someone else holds the order (`payer_mismatch`) instead of letting it
    ship. Each answer goes on the order's CEB411 timeline. How many were declared.

    Payments through a provider that declares nothing (the sandbox; Alipay or WeChat Pay without
    their customs settings) are recorded not_sent first, together in one statement, rather than
    one transaction each reading its order for a declaration that answers nothing."""
    if context.providers.silent:
        async with database.transaction(write=True) as session:
            await payment_service.record_not_sent(session, context.providers, now=utcnow())
    async with database.transaction(write=False) as session:
        ids = await payment_service.undeclared(session)
    declared = 0
    for payment_id in ids:
        try:
            async with database.transaction(write=True) as session:
                payment = await payment_service.find(session, payment_id)
                if payment is None or payment.provider not in context.providers or payment.reference is None:
                    continue
                order = await order_service.reload(session, payment.order_id)
                now = utcnow()
                declaration = await payment_service.declare(
                    session,
                    context.providers,
                    payment=payment,
                    request=DeclarationRequest(
                        payment_id=payment.id,
                        trade_no=payment.reference,
                        amount=payment.amount,
                        request_no=f"declare-{payment.id:06d}",
                        merchant_customs_code=context.parties.platform.code,
                        merchant_customs_name=context.parties.platform.name,
                        orderer_name=order.buyer_name,
                        orderer_id_number=order.buyer_id_number,
                    ),
                    now=now,
                )
                if declaration is None:
                    continue
                await audit_service.record_reveal(
                    session,
                    actor_id=None,
                    subject_user_id=order.buyer_id,
                    order_id=order.id,
                    purpose="customs_submission",
                    reason=f"payment {payment.id} declared to customs through {payment.provider}",
                    now=now,
                )
                declared += 1
                said = f"{payment.provider} declared payment {payment.id} to customs: {declaration.status}"
                said += f" ({declaration.detail})" if declaration.detail else ""
                said += f"; payer identity {declaration.payer_identity}"
                await customs_service.note_payment_declaration(
                    session, order_id=order.id, reason=said, now=now
                )
                if declaration.payer_identity == "same":  # the payer check verifies the identity
                    await compliance_service.mark_verified(
                        session, user_id=order.buyer_id, id_number=order.buyer_id_number, now=now
                    )
                if declaration.payer_identity == "different":
                    await order_service.hold(
                        session,
                        order=order,
                        reason="payer_mismatch",
                        note_text=f"held: {payment.provider} says the payer is not the orderer",
                        now=now,
                    )
        except PaymentProviderUnavailable as exc:
            log.warning("payment %d: %s", payment_id, exc.message)
        except Exception:
            log.exception("payment %d could not be declared; left for the next round", payment_id)
    return declared
