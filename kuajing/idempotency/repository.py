from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import dialect_insert
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


async def claim(session: AsyncSession, *, owner: str, key: str, request_hash: str, now: datetime) -> bool:
    """Insert the key row unless the key exists: True if this caller now holds it. A concurrent
    uncommitted claim of the same key makes this wait (PostgreSQL) until it commits or rolls back."""
    row = {"owner": owner, "key": key, "request_hash": request_hash, "created_at": now}
    result = await session.execute(
        dialect_insert(session, IdempotencyKey.__table__, row)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.id)
    )
    return result.first() is not None


async def discard(session: AsyncSession, names: list[tuple[str, str]]) -> None:
    """Forget claimed keys whose request was refused: a retry with them runs afresh."""
    await session.execute(
        delete(IdempotencyKey).where(tuple_(IdempotencyKey.owner, IdempotencyKey.key).in_(names))
    )
