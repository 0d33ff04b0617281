from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import Payment


async def add_payment(session: AsyncSession, payment: Payment) -> Payment:
    session.add(payment)
    await session.flush()
    return payment


async def payment_for(session: AsyncSession, order_id: int) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.order_id == order_id))
