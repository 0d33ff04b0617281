from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
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


async def rehearsal_among(session: AsyncSession, user_ids: Sequence[int]) -> bool:
    """Whether any of the users is a rehearsal's synthetic user."""
    found = await session.scalar(select(User.id).where(User.id.in_(set(user_ids)), User.rehearsal).limit(1))
    return found is not None


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def add_user(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def set_password_hash(session: AsyncSession, *, user_id: int, password_hash: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


async def add_token(
    session: AsyncSession, *, user_id: int, token_hash: str, device: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        ApiToken(
            user_id=user_id,
            token_hash=token_hash,
            device=device,
            created_at=now,
            last_used_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()


async def touch_tokens(session: AsyncSession, token_hashes: Sequence[str], *, now: datetime) -> None:
    await session.execute(
        update(ApiToken).where(one_of(session, ApiToken.token_hash, token_hashes)).values(last_used_at=now)
    )


async def active_tokens_of(
    session: AsyncSession, *, user_id: int, now: datetime, idle: timedelta
) -> list[ApiToken]:
    """The user's tokens that still sign in, newest first."""
    rows = await session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, *_active(now, idle)).order_by(ApiToken.id.desc())
    )
    return list(rows)


async def revoke_token_of(session: AsyncSession, *, user_id: int, token_id: int, now: datetime) -> str | None:
    """Revoke one of the user's own tokens by id: its hash, or None if it is not theirs or not
    active."""
    return await session.scalar(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiToken.token_hash)
    )


def _active(now: datetime, idle: timedelta) -> tuple[ColumnElement[bool], ...]:
    return (ApiToken.revoked_at.is_(None), ApiToken.expires_at > now, ApiToken.last_used_at > now - idle)


@dataclass(frozen=True, slots=True)
class ActiveToken:
    user_id: int
    role: str
    name: str
    last_used_at: datetime


async def find_active_tokens(
    session: AsyncSession, token_hashes: Sequence[str], *, now: datetime, idle: timedelta
) -> dict[str, ActiveToken]:
    """The tokens among `token_hashes` that still sign in (not revoked, not expired, used within
    `idle`), in one query."""
    rows = await session.execute(
        select(ApiToken.token_hash, User.id, User.role, User.name, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(one_of(session, ApiToken.token_hash, token_hashes), *_active(now, idle))
    )
    return {
        token_hash: ActiveToken(user_id, role, name, last_used)
        for token_hash, user_id, role, name, last_used in rows.all()
    }


async def revoke_token(session: AsyncSession, token_hash: str, *, now: datetime) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
