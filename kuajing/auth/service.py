"""Accounts and tokens. Services flush, never commit: the caller's edge owns the transaction."""

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import repository
from kuajing.auth.errors import EmailTaken, InvalidCredentials, InvisibleText, TokenNotFound
from kuajing.auth.passwords import Passwords, check_rule
from kuajing.auth.repository import ActiveToken
from kuajing.auth.tokens import Principal, TokenCache, digest, new_token
from kuajing.db import Database, savepoint
from kuajing.errors import NotAuthenticated
from kuajing.kit.batch_loader import BatchLoader
from kuajing.kit.people_text import InvisibleCharacters, normalised
from kuajing.kit.time import utcnow
from kuajing.models import ApiToken, Role, User

log = logging.getLogger(__name__)


class TokenLoader(BatchLoader[str, ActiveToken]):
    """Token digests looked up for many concurrent first requests in one query: digest -> the
    holder, for the tokens that still sign in (not revoked, not expired, used within `idle`)."""

    def __init__(self, database: Database, *, idle: timedelta) -> None:
        async def fetch(session: AsyncSession, token_hashes: Sequence[str]) -> dict[str, ActiveToken]:
            return await repository.find_active_tokens(session, token_hashes, now=utcnow(), idle=idle)

        super().__init__(database, fetch)
        self.idle = idle


# A token's last use is written at most this often: an UPDATE per request would cost the hot path
# a write; an hour is nothing against a 30-day idle limit.
TOUCH_EVERY = timedelta(hours=1)
TOUCH_DELAY_SECONDS = 1.0


class TokenToucher:
    """Writes tokens' last use in the background: the tokens seen in about a second, in one UPDATE."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._pending: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def touch(self, token_hash: str) -> None:
        self._pending.add(token_hash)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush(), name="token-touch")

    async def _flush(self) -> None:
        await asyncio.sleep(TOUCH_DELAY_SECONDS)
        hashes, self._pending = sorted(self._pending), set()
        try:
            async with self._database.transaction(write=True) as session:
                await repository.touch_tokens(session, hashes, now=utcnow())
        except Exception:  # the next use writes it again; never the request's problem
            log.exception("recording %d tokens' last use failed", len(hashes))

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            await self._task


def normalise_email(email: str) -> str:
    """One address, one spelling: NFKC, stripped, lower-cased. Addresses with characters no one
    can see are refused (InvisibleText), so a look-alike cannot make a second account."""
    try:
        return normalised(email, what="email address").lower()
    except InvisibleCharacters as exc:
        raise InvisibleText(message=str(exc)) from exc


def normalise_name(name: str) -> str:
    try:
        return normalised(name, what="name")
    except InvisibleCharacters as exc:
        raise InvisibleText(message=str(exc)) from exc


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
        name=normalise_name(name),
        created_at=utcnow(),
    )
    try:
        async with savepoint(session):
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


async def issue_token(
    session: AsyncSession,
    *,
    user: User,
    lifetime: timedelta,
    device: str = "",
    new_password_hash: str | None = None,
) -> str:
    """A new bearer token for the user, good for `lifetime` at most (KUAJING_TOKEN_ABSOLUTE_SECONDS)
    and named by `device` in the account's sessions; with `new_password_hash` (upgraded_hash),
    the user's password hash is replaced in the same transaction."""
    if new_password_hash is not None:
        await repository.set_password_hash(session, user_id=user.id, password_hash=new_password_hash)
    token, now = new_token(), utcnow()
    await repository.add_token(
        session,
        user_id=user.id,
        token_hash=digest(token),
        device=" ".join(device.split())[:DEVICE_MAX],
        now=now,
        expires_at=now + lifetime,
    )
    return token


DEVICE_MAX = 120


async def sessions_of(session: AsyncSession, *, user_id: int, idle: timedelta) -> list[ApiToken]:
    """The account's tokens that still sign in, newest first."""
    return await repository.active_tokens_of(session, user_id=user_id, now=utcnow(), idle=idle)


async def revoke_by_id(
    session: AsyncSession, *, principal: Principal, token_id: int, cache: TokenCache
) -> None:
    """Sign one of the caller's own sessions out (a lost phone); another account's is not found."""
    token_hash = await repository.revoke_token_of(
        session, user_id=principal.user_id, token_id=token_id, now=utcnow()
    )
    if token_hash is None:
        raise TokenNotFound(message=f"You have no active session {token_id}.")
    cache.forget(token_hash)


async def find_user(session: AsyncSession, *, email: str) -> User | None:
    """The account signing in with `email`; None for an unknown one, or one no account could have
    (hidden characters): the caller answers both as a wrong password, at the same cost."""
    try:
        return await repository.get_user_by_email(session, normalise_email(email))
    except InvisibleText:
        return None


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
    loader: TokenLoader,
    toucher: TokenToucher | None = None,
) -> Principal:
    """The token's holder. A token this worker has not seen in the last moments (TokenCache) is
    looked up through `loader`, batched with other requests' lookups; its last use is written
    when an hour old (`toucher`)."""
    token_hash = digest(token)
    principal = cache.get(token_hash)
    if principal is not None:
        return principal
    found = await loader.load(session, token_hash)
    if found is None:
        raise NotAuthenticated("invalid_token", "The bearer token is unknown, revoked or expired.")
    if toucher is not None and utcnow() - found.last_used_at > TOUCH_EVERY:
        toucher.touch(token_hash)
    principal = Principal(user_id=found.user_id, role=found.role, token_hash=token_hash, name=found.name)
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


async def any_rehearsal(session: AsyncSession, user_ids: Sequence[int]) -> bool:
    """Whether any of the users is a rehearsal's synthetic user (kuajing.rehearsal)."""
    return await repository.rehearsal_among(session, user_ids)
