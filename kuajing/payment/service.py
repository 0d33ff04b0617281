"""Payments and refunds through the providers: starting a payment, reading what a provider
says (its notifications, its query), and moving the records by guarded updates so that a
replayed or concurrent notification captures once and racing refunds never give back more than
was paid. What a capture or a refund means for the order is fulfillment's (which calls these)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import service as auth_service
from kuajing.models import Order, Payment, PaymentNotification, Refund
from kuajing.observability import metrics
from kuajing.order.errors import OrderExpired
from kuajing.payment import bills, repository
from kuajing.payment.errors import (
    PaymentDeclined,
    PaymentProviderUnavailable,
    RefundDeclined,
    RefundExceedsPayment,
    UnknownProvider,
)
from kuajing.payment.providers import (
    Answer,
    Declaration,
    DeclarationRequest,
    Notification,
    NotificationRefused,
    PaymentRequest,
    ProviderRefused,
    Providers,
    ProviderUnavailable,
    RefundRequest,
    RefundState,
    TradeState,
)

_KEPT_BODY_BYTES = 16 * 1024
# What of a notification's headers is kept: the provider's own, never cookies or credentials.
_KEPT_HEADERS = (
    "content-type",
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-serial",
    "wechatpay-signature",
)


def offered(providers: Providers, provider: str) -> None:
    if provider not in providers:
        offered_names = ", ".join(providers.names) or "none"
        raise UnknownProvider(message=f"{provider!r} is not offered here; pay with one of: {offered_names}.")


async def start(
    session: AsyncSession, providers: Providers, *, order: Order, provider: str, subject: str, now: datetime
) -> Payment:
    """A pending payment of the order's total through `provider`, with where the buyer pays.
    Asking again for the same provider while one is pending answers that one.

    A rehearsal's order (its buyer or seller synthetic) is never paid: no money moves for it, so
    no journal entry, customs message or export sale can follow from it."""
    offered(providers, provider)
    if await auth_service.any_rehearsal(session, [order.buyer_id, order.seller_id]):
        raise OrderExpired("order_not_payable", "A rehearsal's order is never paid.")
    existing = await repository.pending_for(session, order.id, provider)
    if existing is not None and existing.amount == order.total_amount:
        return existing
    payment = await repository.add_payment(
        session,
        Payment(
            order_id=order.id,
            provider=provider,
            amount=order.total_amount,
            currency=order.currency,
            status="pending",
            created_at=now,
            expires_at=order.expires_at,
        ),
    )
    request = PaymentRequest(
        payment_id=payment.id,
        order_id=order.id,
        amount=payment.amount,
        currency=payment.currency,
        subject=subject,
        expires_at=order.expires_at,
    )
    try:
        checkout = await providers[provider].start(request)
    except ProviderUnavailable as exc:
        metrics.payment(provider, "unavailable")
        raise PaymentProviderUnavailable(
            message=f"{provider} cannot be reached now; try again shortly."
        ) from exc
    except ProviderRefused as exc:
        metrics.payment(provider, "declined")
        raise PaymentDeclined(message=f"{provider} refused the payment: {exc.detail}") from exc
    metrics.payment(provider, "started")
    payment.redirect_url = checkout.redirect_url
    payment.code_url = checkout.code_url
    await session.flush()
    return payment


async def find(session: AsyncSession, payment_id: int) -> Payment | None:
    return await repository.find(session, payment_id)


async def for_order(session: AsyncSession, *, order_id: int) -> Sequence[Payment]:
    return await repository.for_order(session, order_id)


async def undeclared(session: AsyncSession, *, limit: int = 100) -> list[int]:
    """Payments that paid their order and have not been declared to customs yet."""
    return await repository.undeclared(session, limit=limit)


async def declare(
    session: AsyncSession,
    providers: Providers,
    *,
    payment: Payment,
    request: DeclarationRequest,
    now: datetime,
) -> Declaration | None:
    """Ask the payment's provider to declare it to customs and record the answer once (None,
    recorded as not_sent: this provider's declaration is not built, or not configured)."""
    offered(providers, payment.provider)
    try:
        declaration = await providers[payment.provider].declare(request)
    except ProviderUnavailable as exc:
        raise PaymentProviderUnavailable(message=f"{payment.provider} cannot be reached now.") from exc
    except ProviderRefused as exc:
        declaration = Declaration(status="refused", payer_identity="unchecked", detail=exc.detail)
    values: dict[str, Any] = {"declared_at": now}
    if declaration is None:
        values |= {"declaration_status": "not_sent"}
    else:
        values |= {
            "declaration_status": declaration.status,
            "declaration_reference": (declaration.reference or "")[:64] or None,
            "payer_identity": declaration.payer_identity,
        }
    if not await repository.record_declaration(session, payment_id=payment.id, values=values):
        return None
    return declaration


async def record_not_sent(session: AsyncSession, providers: Providers, *, now: datetime) -> int:
    """Record the payments through providers that declare nothing (Provider.declares) that
    `declare` would record as not_sent, all at once; how many."""
    silent = providers.silent
    if not silent:
        return 0
    return await repository.record_not_sent(session, providers=silent, now=now)


async def captured_not_refunded(session: AsyncSession, *, limit: int = 200) -> list[int]:
    """Payments captured for orders that did not take them and not given back yet."""
    return await repository.captured_not_refunded(session, limit=limit)


async def mark_captured(
    session: AsyncSession, *, payment_id: int, provider: str, reference: str | None, now: datetime
) -> bool:
    """Capture the payment once: False when it already was (a replayed notification). A
    Payment of this session for it reads as captured afterwards, with no read of its own."""
    captured = await repository.mark_captured(session, payment_id=payment_id, reference=reference, now=now)
    if captured:
        metrics.payment(provider, "captured")
    return captured


async def close_pending(session: AsyncSession, *, order_id: int, now: datetime) -> list[int]:
    return await repository.close_pending(session, order_id=order_id, now=now)


async def pending_since(
    session: AsyncSession, *, before: datetime, providers: Sequence[str], limit: int = 100
) -> list[int]:
    """Payments through `providers` pending since before `before`, oldest first."""
    return await repository.pending_since(session, before=before, providers=providers, limit=limit)


def read_notification(
    providers: Providers, provider: str, body: bytes, headers: Mapping[str, str]
) -> Notification:
    """The provider's notification, verified; NotificationRefused if it is not genuine."""
    if provider not in providers:
        raise NotificationRefused("provider_not_configured", f"{provider} is not configured here.")
    return providers[provider].read_notification(body, headers)


def answer(providers: Providers, provider: str, accepted: bool) -> Answer:
    if provider not in providers:
        return Answer(404, "text/plain", "failure")
    return providers[provider].answer(accepted)


async def record_notification(
    session: AsyncSession,
    *,
    provider: str,
    outcome: str,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    code: str | None = None,
    detail: str = "",
    payment_id: int | None = None,
    out_trade_no: str | None = None,
) -> None:
    kept = {key: value for key, value in headers.items() if key.lower() in _KEPT_HEADERS}
    await repository.add_notification(
        session,
        {
            "provider": provider,
            "received_at": now,
            "outcome": outcome,
            "code": code,
            "detail": detail[:300],
            "payment_id": payment_id,
            "out_trade_no": (out_trade_no or "")[:64] or None,
            # kept to read, bounded: a refused body can come from anyone
            "body": body[:_KEPT_BODY_BYTES].decode("utf-8", errors="replace"),
            "headers": kept,
        },
    )


async def notifications(
    session: AsyncSession, *, outcome: str | None = None, limit: int = 100
) -> Sequence[PaymentNotification]:
    return await repository.notifications(session, outcome=outcome, limit=limit)


async def query(providers: Providers, payment: Payment) -> TradeState:
    """What the provider says of the payment now."""
    offered(providers, payment.provider)
    try:
        return await providers[payment.provider].query(payment.id)
    except ProviderUnavailable as exc:
        raise PaymentProviderUnavailable(message=f"{payment.provider} cannot be reached now.") from exc
    except ProviderRefused as exc:
        raise PaymentDeclined(message=f"{payment.provider} refused the query: {exc.detail}") from exc


async def close_at_provider(providers: Providers, payment: Payment) -> None:
    """Ask the provider to close a payment we closed (best effort: a trade never opened, or one
    the provider closes itself at its expiry, needs nothing)."""
    if payment.provider in providers:
        await providers[payment.provider].close(payment.id)


async def add_refund(
    session: AsyncSession,
    *,
    payment: Payment,
    parts: Mapping[str, Any],
    reason: str,
    requested_by: int | None,
    now: datetime,
) -> Refund:
    """Record a refund of `parts["amount"]` of a captured payment, not yet asked of its provider
    (`send_refund` asks, last).

    The payment's refunded amount grows by a guarded update first, so two racing refunds that
    together exceed the payment cannot both pass. The request number is derived from what was
    refunded before (`<payment>-<refunded before>-<amount>`, and how many refunds of it failed
    once one has): a retry after the transaction rolled back sends the same number, and the
    provider answers with the first refund instead of paying twice.
    """
    amount = int(parts["amount"])
    if not await repository.take_refund(session, payment_id=payment.id, amount=amount):
        raise RefundExceedsPayment(
            message=f"Refunding {amount} fen would give back more than payment {payment.id} captured."
        )
    after = await repository.find(session, payment.id)
    assert after is not None
    failed = await repository.failed_refunds(session, payment.id)
    return await repository.add_refund(
        session,
        Refund(
            order_id=payment.order_id,
            payment_id=payment.id,
            request_no=_request_no(payment.id, after.refunded_amount - amount, amount, failed),
            status="pending",
            currency=payment.currency,
            reason=reason[:200],
            requested_by=requested_by,
            created_at=now,
            **parts,
        ),
    )


async def send_refund(
    session: AsyncSession, providers: Providers, *, refund: Refund, payment: Payment, now: datetime
) -> Refund:
    """Ask the payment's provider for a recorded refund: the caller's last step, after every
    other write of its transaction. Succeeded or pending at the provider (it will confirm), the
    refund stands; refused or unreachable, it raises and the caller's transaction rolls back."""
    offered(providers, payment.provider)
    try:
        state = await providers[payment.provider].refund(
            RefundRequest(
                payment_id=payment.id,
                trade_no=payment.reference,
                request_no=refund.request_no,
                amount=refund.amount,
                total=payment.amount,
                currency=payment.currency,
                reason=refund.reason,
            )
        )
    except ProviderUnavailable as exc:
        raise PaymentProviderUnavailable(
            message=f"{payment.provider} cannot be reached now; nothing was refunded. Try again shortly."
        ) from exc
    except ProviderRefused as exc:
        raise RefundDeclined(message=f"{payment.provider} declined the refund: {exc.detail}") from exc
    if state.status in ("failed", "not_found"):
        raise RefundDeclined(
            message=f"{payment.provider} declined the refund: {state.detail or state.status}"
        )
    if state.status == "succeeded":
        await confirm_refund(session, refund=refund, state=state, now=now)
    return refund


def _request_no(payment_id: int, before: int, amount: int, failed: int) -> str:
    """The same number for the same refund asked again (what was refunded before is the same);
    a new one once an earlier refund failed, for the provider keeps the failed one under its
    number."""
    return f"{payment_id}-{before}-{amount}" + (f"-{failed}" if failed else "")


async def confirm_refund(session: AsyncSession, *, refund: Refund, state: RefundState, now: datetime) -> bool:
    """The provider says the refund went through: pending -> succeeded, once."""
    confirmed = await repository.settle_refund(
        session,
        refund_id=refund.id,
        values={
            "status": "succeeded",
            "reference": (state.reference or "")[:64] or None,
            "completed_at": now,
        },
    )
    if confirmed:
        refund.status, refund.completed_at = "succeeded", now
        refund.reference = (state.reference or "")[:64] or None
    return confirmed


async def fail_refund(session: AsyncSession, *, refund: Refund, detail: str, now: datetime) -> bool:
    """The provider says a refund it had accepted did not go through: pending -> failed, once,
    and its amount is no longer counted as refunded from the payment."""
    failed = await repository.settle_refund(
        session,
        refund_id=refund.id,
        values={"status": "failed", "failure": detail[:300], "completed_at": now},
    )
    if failed:
        await repository.give_back_refund(session, payment_id=refund.payment_id, amount=refund.amount)
        refund.status, refund.failure, refund.completed_at = "failed", detail[:300], now
    return failed


async def pending_refunds(session: AsyncSession, *, before: datetime, limit: int = 100) -> list[int]:
    """Refunds the provider accepted and has not confirmed since before `before`."""
    return await repository.pending_refunds(session, before=before, limit=limit)


async def query_refund(providers: Providers, *, refund: Refund, provider: str) -> RefundState:
    offered(providers, provider)
    try:
        return await providers[provider].query_refund(refund.payment_id, refund.request_no)
    except ProviderUnavailable as exc:
        raise PaymentProviderUnavailable(message=f"{provider} cannot be reached now.") from exc
    except ProviderRefused as exc:
        raise RefundDeclined(message=f"{provider} refused the query: {exc.detail}") from exc


async def find_refund(session: AsyncSession, refund_id: int) -> Refund | None:
    return await repository.find_refund(session, refund_id)


async def refunds_for(session: AsyncSession, *, order_id: int) -> Sequence[Refund]:
    return await repository.refunds_for(session, order_id)


async def refund_by_request_no(session: AsyncSession, request_no: str) -> Refund | None:
    return await repository.refund_by_request_no(session, request_no)


# what a provider's bill is checked against ---------------------------------------------------------

_CHUNK = 500  # ids per IN (...): well below SQLite's bound on parameters


async def payments_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Payment]:
    wanted = sorted(set(ids))
    found: dict[int, Payment] = {}
    for at in range(0, len(wanted), _CHUNK):
        found |= {p.id: p for p in await repository.payments_by_id(session, wanted[at : at + _CHUNK])}
    return found


async def refunds_by_request_no(session: AsyncSession, request_nos: Iterable[str]) -> dict[str, Refund]:
    wanted = sorted(set(request_nos))
    found: dict[str, Refund] = {}
    for at in range(0, len(wanted), _CHUNK):
        chunk = wanted[at : at + _CHUNK]
        found |= {r.request_no: r for r in await repository.refunds_by_request_no(session, chunk)}
    return found


async def captured_on(session: AsyncSession, *, provider: str, days: tuple[date, date]) -> Sequence[Payment]:
    """Our payments through `provider` captured on those Beijing days."""
    start, end = bills.day_bounds(days)
    return await repository.captured_between(session, provider=provider, start=start, end=end)


async def refunded_on(session: AsyncSession, *, provider: str, days: tuple[date, date]) -> Sequence[Refund]:
    """Our refunds through `provider` that succeeded on those Beijing days."""
    start, end = bills.day_bounds(days)
    return await repository.refunds_succeeded_between(session, provider=provider, start=start, end=end)
