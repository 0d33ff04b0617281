"""Idempotency-Key: the same key and body give the same answer; another body is refused.

The key row is inserted first, inside the request's transaction. A concurrent request with
the same key blocks on that insert (PostgreSQL) or on the write lock (SQLite) until the first
commits, then replays its stored answer; if the first rolled back, it simply runs.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import savepoint
from kuajing.errors import Conflict, InvalidInput
from kuajing.idempotency import repository
from kuajing.kit.time import utcnow

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(method_path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method_path}\n{canonical}".encode()).hexdigest()


async def run_once(
    session: AsyncSession,
    *,
    owner: str,
    key: str | None,
    request_hash: str,
    status_code: int,
    operation: Callable[[], Awaitable[dict[str, Any]]],
) -> Outcome:
    """Run `operation` at most once per (owner, key); return the answer to send."""
    if key is None:
        return Outcome(status_code, await operation(), replayed=False)
    check_key(key)
    stored = await replay(session, owner=owner, key=key, request_hash=request_hash)
    if stored is not None:
        return stored
    try:
        async with savepoint(session):
            await repository.reserve(session, owner=owner, key=key, request_hash=request_hash, now=utcnow())
    except IntegrityError:
        stored = await replay(session, owner=owner, key=key, request_hash=request_hash)
        if stored is not None:
            return stored
        raise Conflict(
            "idempotency_in_progress", "A request with this Idempotency-Key is in progress."
        ) from None

    body = await operation()
    await repository.complete(session, owner=owner, key=key, status_code=status_code, response=body)
    return Outcome(status_code, body, replayed=False)


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "invalid_idempotency_key", f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} characters."
        )


async def replay(session: AsyncSession, *, owner: str, key: str, request_hash: str) -> Outcome | None:
    """The stored answer for this key, None if the key is unused; refused if it was used with
    another request or its first request is still running."""
    row = await repository.find(session, owner=owner, key=key)
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyKeyReused(message="This Idempotency-Key was used with a different request.")
    if row.status_code is None or row.response is None:
        raise Conflict("idempotency_in_progress", "A request with this Idempotency-Key is in progress.")
    return Outcome(row.status_code, row.response, replayed=True)


async def claim(session: AsyncSession, *, owner: str, key: str, request_hash: str, now: datetime) -> bool:
    """Hold the key for a request applied in a batch (a deal purchase): True if this caller now
    holds it, False if another request already does (its answer is the one to replay)."""
    return await repository.claim(session, owner=owner, key=key, request_hash=request_hash, now=now)


async def complete(
    session: AsyncSession, *, owner: str, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the answer of the request holding the key, for its replays."""
    await repository.complete(session, owner=owner, key=key, status_code=status_code, response=response)


async def discard(session: AsyncSession, names: list[tuple[str, str]]) -> None:
    """Let go of keys whose requests were refused: the same key may then be tried again."""
    await repository.discard(session, names)
