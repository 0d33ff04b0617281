"""The audit trail is read from the append-only event tables, newest first, as one stream."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, literal, null, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import CustomsEvent, CustomsMessage, OrderEvent, PersonalDataReveal, User
from kuajing.models.base import UTCDateTime


def _order_events() -> Select[*tuple[Any, ...]]:
    return select(
        literal("order", String(16)).label("kind"),
        OrderEvent.id.label("id"),
        OrderEvent.order_id.label("order_id"),
        null().cast(String(6)).label("subject"),
        OrderEvent.from_status.label("from_status"),
        OrderEvent.to_status.label("to_status"),
        OrderEvent.actor_id.label("actor_id"),
        OrderEvent.reason.label("reason"),
        OrderEvent.created_at.label("created_at"),
    )


def _customs_events() -> Select[*tuple[Any, ...]]:
    return select(
        literal("customs", String(16)).label("kind"),
        CustomsEvent.id.label("id"),
        CustomsMessage.order_id.label("order_id"),
        CustomsMessage.message_type.label("subject"),
        CustomsEvent.from_status.label("from_status"),
        CustomsEvent.to_status.label("to_status"),
        CustomsEvent.actor_id.label("actor_id"),
        CustomsEvent.reason.label("reason"),
        CustomsEvent.created_at.label("created_at"),
    ).join(CustomsMessage, CustomsMessage.id == CustomsEvent.message_id)


SOURCES = {"order": _order_events, "customs": _customs_events}


async def events(
    session: AsyncSession,
    *,
    kinds: list[str],
    order_id: int | None,
    actor_id: int | None,
    before: tuple[datetime, str, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Events of the given kinds, newest first, with the actor's email and role."""
    stream = union_all(*(SOURCES[kind]() for kind in kinds)).subquery("stream")
    query = (
        select(stream, User.email.label("actor_email"), User.role.label("actor_role"))
        .outerjoin(User, User.id == stream.c.actor_id)
        .order_by(stream.c.created_at.desc(), stream.c.kind.desc(), stream.c.id.desc())
        .limit(limit)
    )
    if order_id is not None:
        query = query.where(stream.c.order_id == order_id)
    if actor_id is not None:
        query = query.where(stream.c.actor_id == actor_id)
    if before is not None:
        query = query.where(
            tuple_(stream.c.created_at, stream.c.kind, stream.c.id)
            < tuple_(literal(before[0], UTCDateTime()), literal(before[1]), literal(before[2]))
        )
    return [dict(row) for row in (await session.execute(query)).mappings().all()]


async def add_reveal(session: AsyncSession, values: dict[str, Any]) -> None:
    session.add(PersonalDataReveal(**values))
    await session.flush()


async def reveals(
    session: AsyncSession, *, subject_user_id: int | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Reveals newest first, with the actor's email and role."""
    query = (
        select(PersonalDataReveal, User.email.label("actor_email"), User.role.label("actor_role"))
        .outerjoin(User, User.id == PersonalDataReveal.actor_id)
        .order_by(PersonalDataReveal.id.desc())
        .limit(limit)
    )
    if subject_user_id is not None:
        query = query.where(PersonalDataReveal.subject_user_id == subject_user_id)
    if before_id is not None:
        query = query.where(PersonalDataReveal.id < before_id)
    return [
        {
            "id": reveal.id,
            "actor_id": reveal.actor_id,
            "actor_email": email,
            "actor_role": role,
            "subject_user_id": reveal.subject_user_id,
            "order_id": reveal.order_id,
            "purpose": reveal.purpose,
            "reason": reveal.reason,
            "created_at": reveal.created_at,
        }
        for reveal, email, role in (await session.execute(query)).all()
    ]
