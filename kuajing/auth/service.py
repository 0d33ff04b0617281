"""Accounts and tokens. Services flush, never commit: the caller's edge owns the transaction."""

import asyncio
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import repository
from kuajing.auth.errors import EmailTaken, InvalidCredentials
from kuajing.auth.passwords import Passwords, check_rule
from kuajing.auth.tokens import Principal, TokenCache, digest, new_token
from kuajing.db import Database
from kuajing.errors import NotAuthenticated
from kuajing.kit.batch_loader import BatchLoader
from kuajing.kit.time import utcnow
from kuajing.models import Role, User


class TokenLoader(BatchLoader[str, tuple[int, str, str]]):
    """Token digests looked up for many concurrent first requests in one query: digest -> (user
    id, role, name) of the tokens that are active."""

    def __init__(self, database: Database) -> None:
        super().__init__(database, repository.find_active_tokens)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def hash_new_password(passwords: Passwords, *, email: str, password: str) -> str:
    """Check the password rule and hash it. No database: callers do this before they take a
    write transaction, so SQLite writers never queue behind argon2."""
    # zxcvbn takes up to ~0.1 s on a long password: off the event loop, as argon2 is
    await asyncio.to_thread(check_rule, password, email=normalise_email(email))
    return await passwords.hash(password)


async def create_user(
    session: AsyncSession, *, email: str, password_hash: str, role: Role, name: str
) -> User:
    email = normalise_email(email)
    if await repository.get_user_by_email(session, email) is not None:
        raise EmailTaken(message=f"An account for {email} already exists.")
    user = User(
        email=email,
        password_hash=password_hash,
        role=role.value,
        name=name.strip(),
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            await repository.add_user(session, user)
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken(message=f"An account for {email} already exists.") from exc
    return user


async def upgraded_hash(passwords: Passwords, user: User, *, password: str) -> str | None:
    """A new hash of the password just checked, when the user's was made with other argon2
    parameters than the process's (a profile changed since, a weak one undone); None when it is
    current. No database: callers run it with no transaction open, then issue_token stores it."""
    if not passwords.outdated(user.password_hash):
        return None
    return await passwords.hash(password)


async def issue_token(session: AsyncSession, *, user: User, new_password_hash: str | None = None) -> str:
    """A new bearer token for the user; with `new_password_hash` (upgraded_hash), the user's
    password hash is replaced in the same transaction."""
    if new_password_hash is not None:
        await repository.set_password_hash(session, user_id=user.id, password_hash=new_password_hash)
    token = new_token()
    await repository.add_token(session, user_id=user.id, token_hash=digest(token), now=utcnow())
    return token


async def find_user(session: AsyncSession, *, email: str) -> User | None:
    return await repository.get_user_by_email(session, normalise_email(email))


async def check_password(passwords: Passwords, user: User | None, *, password: str) -> User:
    """The user if the password is theirs, else InvalidCredentials. No database, so callers run
    it with no transaction open; an unknown email costs the same argon2 time as a wrong password."""
    if user is None:
        await passwords.verify(await passwords.decoy(), password)
        raise InvalidCredentials(message="Email or password is wrong.")
    if not await passwords.verify(user.password_hash, password):
        raise InvalidCredentials(message="Email or password is wrong.")
    return user


async def authenticate(
    session: AsyncSession,
    *,
    token: str,
    cache: TokenCache,
    loader: TokenLoader | None = None,
) -> Principal:
    """The token's holder. A token this worker has not seen is looked up through `loader` when
    given (batched with other requests' lookups), else in `session`."""
    token_hash = digest(token)
    principal = cache.get(token_hash)
    if principal is not None:
        return principal
    if loader is not None:
        found = await loader.load(session, token_hash)
    else:
        found = await repository.find_active_token(session, token_hash)
    if found is None:
        raise NotAuthenticated("invalid_token", "The bearer token is unknown or revoked.")
    principal = Principal(user_id=found[0], role=found[1], token_hash=token_hash, name=found[2])
    cache.put(principal)
    return principal


async def revoke(session: AsyncSession, *, principal: Principal, cache: TokenCache) -> None:
    await repository.revoke_token(session, principal.token_hash, now=utcnow())
    cache.forget(principal.token_hash)


async def get_user(session: AsyncSession, *, user_id: int) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:  # the token outlived its user; treat as signed out
        raise NotAuthenticated("invalid_token", "The account behind this token no longer exists.")
    return user


async def people(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Each user's name and email, by id, as operators' pages name them."""
    return await repository.names_and_emails(session, list(user_ids))
