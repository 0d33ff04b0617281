from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import rowcount
from kuajing.models import Order, Payment, PaymentNotification, Refund


async def add_payment(session: AsyncSession, payment: Payment) -> Payment:
    session.add(payment)
    await session.flush()
    return payment


async def find(session: AsyncSession, payment_id: int) -> Payment | None:
    return await session.get(Payment, payment_id, populate_existing=True)


async def for_order(session: AsyncSession, order_id: int) -> Sequence[Payment]:
    return (
        await session.scalars(
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(Payment.id)
            .execution_options(populate_existing=True)
        )
    ).all()


# The statements of starting and capturing a payment, built once (not again for every request).
_PENDING_FOR = (
    select(Payment)
    .where(
        Payment.order_id == bindparam("order_id"),
        Payment.provider == bindparam("provider"),
        Payment.status == "pending",
    )
    .order_by(Payment.id.desc())
    .limit(1)
)
_CAPTURE = (
    update(Payment)
    .where(Payment.id == bindparam("payment_id"), Payment.status.in_(("pending", "closed", "failed")))
    .values(status="captured", reference=bindparam("new_reference"), captured_at=bindparam("now"))
    .returning(Payment)
    .execution_options(synchronize_session=False, populate_existing=True)
)


async def pending_for(session: AsyncSession, order_id: int, provider: str) -> Payment | None:
    return await session.scalar(_PENDING_FOR, {"order_id": order_id, "provider": provider})


async def mark_captured(
    session: AsyncSession, *, payment_id: int, reference: str | None, now: datetime
) -> bool:
    """pending (or closed, or failed: the buyer paid at the last moment) -> captured, once. The
    row comes back with the update (RETURNING), so a payment this session holds reads as stored."""
    captured = await session.scalar(
        _CAPTURE, {"payment_id": payment_id, "new_reference": reference, "now": now}
    )
    return captured is not None


async def close_pending(session: AsyncSession, *, order_id: int, now: datetime) -> list[int]:
    """Close the order's pending payments; their ids."""
    ids = list(
        (
            await session.scalars(
                select(Payment.id).where(Payment.order_id == order_id, Payment.status == "pending")
            )
        ).all()
    )
    closed = []
    for payment_id in ids:
        result = await session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.status == "pending")
            .values(status="closed", closed_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 1:
            closed.append(payment_id)
    return closed


async def pending_since(
    session: AsyncSession, *, before: datetime, providers: Sequence[str], limit: int
) -> list[int]:
    return list(
        (
            await session.scalars(
                select(Payment.id)
                .where(
                    Payment.status == "pending", Payment.created_at < before, Payment.provider.in_(providers)
                )
                .order_by(Payment.created_at)
                .limit(limit)
            )
        ).all()
    )


async def take_refund(session: AsyncSession, *, payment_id: int, amount: int) -> bool:
    """Add `amount` to what the payment has refunded, only if it stays within what it captured:
    of two racing refunds that together exceed it, one finds nothing to update."""
    result = await session.execute(
        update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.status == "captured",
            Payment.refunded_amount + amount <= Payment.amount,
        )
        .values(refunded_amount=Payment.refunded_amount + amount)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def add_refund(session: AsyncSession, refund: Refund) -> Refund:
    session.add(refund)
    await session.flush()
    return refund


async def find_refund(session: AsyncSession, refund_id: int) -> Refund | None:
    return await session.get(Refund, refund_id, populate_existing=True)


async def refund_by_request_no(session: AsyncSession, request_no: str) -> Refund | None:
    return await session.scalar(select(Refund).where(Refund.request_no == request_no))


async def refunds_for(session: AsyncSession, order_id: int) -> Sequence[Refund]:
    return (
        await session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))
    ).all()


async def settle_refund(session: AsyncSession, *, refund_id: int, values: dict[str, Any]) -> bool:
    """pending -> succeeded or failed, once."""
    result = await session.execute(
        update(Refund)
        .where(Refund.id == refund_id, Refund.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def give_back_refund(session: AsyncSession, *, payment_id: int, amount: int) -> None:
    """A failed refund's amount is no longer refunded."""
    await session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(refunded_amount=Payment.refunded_amount - amount)
        .execution_options(synchronize_session=False)
    )


async def add_notification(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(PaymentNotification).values(**values))


async def notifications(
    session: AsyncSession, *, outcome: str | None, limit: int
) -> Sequence[PaymentNotification]:
    query = select(PaymentNotification).order_by(PaymentNotification.id.desc()).limit(limit)
    if outcome is not None:
        query = query.where(PaymentNotification.outcome == outcome)
    return (await session.scalars(query)).all()


async def payments_by_id(session: AsyncSession, ids: Sequence[int]) -> Sequence[Payment]:
    return (await session.scalars(select(Payment).where(Payment.id.in_(ids)).order_by(Payment.id))).all()


async def refunds_by_request_no(session: AsyncSession, request_nos: Sequence[str]) -> Sequence[Refund]:
    return (
        await session.scalars(select(Refund).where(Refund.request_no.in_(request_nos)).order_by(Refund.id))
    ).all()


async def captured_between(
    session: AsyncSession, *, provider: str, start: datetime, end: datetime
) -> Sequence[Payment]:
    """Payments through `provider` captured in [start, end)."""
    return (
        await session.scalars(
            select(Payment)
            .where(
                Payment.provider == provider,
                Payment.status == "captured",
                Payment.captured_at >= start,
                Payment.captured_at < end,
            )
            .order_by(Payment.id)
        )
    ).all()


async def refunds_succeeded_between(
    session: AsyncSession, *, provider: str, start: datetime, end: datetime
) -> Sequence[Refund]:
    """Refunds of payments through `provider` that succeeded in [start, end)."""
    return (
        await session.scalars(
            select(Refund)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Payment.provider == provider,
                Refund.status == "succeeded",
                Refund.completed_at >= start,
                Refund.completed_at < end,
            )
            .order_by(Refund.id)
        )
    ).all()


async def captured_not_refunded(session: AsyncSession, *, limit: int) -> list[int]:
    """Captured payments their order did not take (it names another payment, or none) and
    nothing has been refunded from, oldest first. Reads the orders' paying payment."""
    return list(
        (
            await session.scalars(
                select(Payment.id)
                .join(Order, Order.id == Payment.order_id)
                .where(
                    Payment.status == "captured",
                    Payment.refunded_amount == 0,
                    (Order.paid_by_payment_id.is_(None)) | (Order.paid_by_payment_id != Payment.id),
                )
                .order_by(Payment.id)
                .limit(limit)
            )
        ).all()
    )


async def pending_refunds(session: AsyncSession, *, before: datetime, limit: int) -> list[int]:
    return list(
        (
            await session.scalars(
                select(Refund.id)
                .where(Refund.status == "pending", Refund.created_at < before)
                .order_by(Refund.id)
                .limit(limit)
            )
        ).all()
    )


async def failed_refunds(session: AsyncSession, payment_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Refund)
            .where(Refund.payment_id == payment_id, Refund.status == "failed")
        )
        or 0
    )


async def undeclared(session: AsyncSession, *, limit: int) -> list[int]:
    """Captured payments that paid their order and were never declared, oldest first. Reads the
    orders' paying payment."""
    return list(
        (
            await session.scalars(
                select(Payment.id)
                .join(Order, Order.paid_by_payment_id == Payment.id)
                .where(Payment.status == "captured", Payment.declaration_status.is_(None))
                .order_by(Payment.id)
                .limit(limit)
            )
        ).all()
    )


async def record_not_sent(session: AsyncSession, *, providers: Sequence[str], now: datetime) -> int:
    """Record as not_sent, in one statement, the payments `undeclared` would list of `providers`
    (guarded as record_declaration is); how many."""
    result = await session.execute(
        update(Payment)
        .where(
            Payment.provider.in_(providers),
            Payment.status == "captured",
            Payment.declaration_status.is_(None),
            select(Order.id).where(Order.paid_by_payment_id == Payment.id).exists(),
        )
        .values(declaration_status="not_sent", declared_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def record_declaration(session: AsyncSession, *, payment_id: int, values: dict[str, Any]) -> bool:
    result = await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.declaration_status.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
