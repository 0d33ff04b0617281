"""The operator's audit trail: every order and customs status change, with who made it and when;
and every time a buyer's full ID number left the seal, with who took it and why."""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.audit import repository
from kuajing.errors import InvalidInput
from kuajing.kit.ids import MAX_ID

KINDS = tuple(repository.SOURCES)


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[dict[str, Any]]
    next_cursor: str | None


def _encode(event: dict[str, Any]) -> str:
    text = f"{event['created_at'].isoformat()}|{event['kind']}|{event['id']}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str, int]:
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        at, kind, event_id = text.split("|")
        moment, number = datetime.fromisoformat(at), int(event_id)
        if kind not in KINDS or moment.tzinfo is None or not 0 < number <= MAX_ID:
            raise ValueError(text)
        return moment.astimezone(UTC), kind, number
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid_cursor", "The cursor is not one this API issued.") from exc


async def trail(
    session: AsyncSession,
    *,
    kinds: list[str] | None = None,
    order_id: int | None = None,
    actor_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> AuditPage:
    """Newest first; a cursor continues after the last event of the previous page."""
    rows = await repository.events(
        session,
        kinds=sorted(set(kinds or KINDS)),
        order_id=order_id,
        actor_id=actor_id,
        before=_decode(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    return AuditPage(page, _encode(page[-1]) if len(rows) > limit else None)


# Why a full ID number may leave the seal.
REVEAL_PURPOSES = ("customs_submission", "operator_reveal", "identity_released")


async def record_reveal(
    session: AsyncSession,
    *,
    actor_id: int | None,
    subject_user_id: int,
    order_id: int | None,
    purpose: str,
    reason: str,
    now: datetime,
) -> None:
    """Write down, in the caller's transaction, that a full ID number was taken out: the record
    stands or falls with what took it."""
    if purpose not in REVEAL_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    await repository.add_reveal(
        session,
        {
            "actor_id": actor_id,
            "subject_user_id": subject_user_id,
            "order_id": order_id,
            "purpose": purpose,
            "reason": reason[:300],
            "created_at": now,
        },
    )


async def reveals(
    session: AsyncSession, *, subject_user_id: int | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    return await repository.reveals(
        session, subject_user_id=subject_user_id, before_id=before_id, limit=limit
    )
