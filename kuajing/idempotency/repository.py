from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import IdempotencyKey


async def find(session: AsyncSession, *, owner: str, key: str) -> IdempotencyKey | None:
    return await session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )


async def reserve(session: AsyncSession, *, owner: str, key: str, request_hash: str, now: datetime) -> None:
    session.add(IdempotencyKey(owner=owner, key=key, request_hash=request_hash, created_at=now))
    await session.flush()


async def complete(
    session: AsyncSession, *, owner: str, key: str, status_code: int, response: dict[str, Any]
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
        .values(status_code=status_code, response=response)
    )
