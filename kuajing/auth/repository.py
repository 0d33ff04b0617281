from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import one_of
from kuajing.models import ApiToken, User


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def names_and_emails(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not user_ids:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(set(user_ids))))
    return {user_id: (name, email) for user_id, name, email in rows.all()}


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def add_user(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def set_password_hash(session: AsyncSession, *, user_id: int, password_hash: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


async def add_token(session: AsyncSession, *, user_id: int, token_hash: str, now: datetime) -> None:
    session.add(ApiToken(user_id=user_id, token_hash=token_hash, created_at=now))
    await session.flush()


async def find_active_token(session: AsyncSession, token_hash: str) -> tuple[int, str, str] | None:
    return (await find_active_tokens(session, [token_hash])).get(token_hash)


async def find_active_tokens(
    session: AsyncSession, token_hashes: Sequence[str]
) -> dict[str, tuple[int, str, str]]:
    """find_active_token for many tokens in one query: hash -> (user id, role, name)."""
    rows = await session.execute(
        select(ApiToken.token_hash, User.id, User.role, User.name)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(one_of(session, ApiToken.token_hash, token_hashes), ApiToken.revoked_at.is_(None))
    )
    return {token_hash: (user_id, role, name) for token_hash, user_id, role, name in rows.all()}


async def revoke_token(session: AsyncSession, token_hash: str, *, now: datetime) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
