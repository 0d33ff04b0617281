from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import rowcount
from kuajing.models import Payment


async def add_payment(session: AsyncSession, payment: Payment) -> Payment:
    session.add(payment)
    await session.flush()
    return payment


async def payment_for(session: AsyncSession, order_id: int) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.order_id == order_id))


async def mark_refunded(session: AsyncSession, *, payment_id: int) -> bool:
    """captured -> refunded, once: the guarded update that keeps a payment from two refunds."""
    result = await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == "captured")
        .values(status="refunded")
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
