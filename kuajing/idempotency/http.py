"""The edge's side of Idempotency-Key: the header, and answering a creating request once."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.idempotency.service import fingerprint, run_once

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Retry-safe key: the same key and body return the first answer.",
    ),
]


async def respond_once(
    session: AsyncSession,
    *,
    user_id: int,
    key: str | None,
    request: str,
    body: dict[str, Any],
    status_code: int,
    operation: Callable[[], Awaitable[dict[str, Any]]],
) -> JSONResponse:
    """Run `operation` once per (caller, key) and answer with its stored result on a replay.

    `request` names the operation (method and path) and `body` is what the client sent: the
    same key with another request or body is refused with idempotency_key_reused.
    """
    outcome = await run_once(
        session,
        owner=f"user:{user_id}",
        key=key,
        request_hash=fingerprint(request, body),
        status_code=status_code,
        operation=operation,
    )
    return JSONResponse(outcome.body, status_code=outcome.status_code)
