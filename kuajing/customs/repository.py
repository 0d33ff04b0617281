from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import rowcount
from kuajing.models import CustomsEvent, CustomsMessage, Order, Payment, SellerProfile


async def add_messages(session: AsyncSession, messages: Sequence[CustomsMessage]) -> list[CustomsMessage]:
    """Several messages in one flush (one multi-row INSERT), with their new ids, in the order given."""
    session.add_all(messages)
    await session.flush()
    return list(messages)


async def add_events(session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Several events (their columns) in one statement; never read back by their writer."""
    await session.execute(insert(CustomsEvent.__table__), list(events))


async def add_event(
    session: AsyncSession,
    *,
    message_id: int,
    from_status: str | None,
    to_status: str,
    actor_id: int | None,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        CustomsEvent(
            message_id=message_id,
            from_status=from_status,
            to_status=to_status,
            actor_id=actor_id,
            reason=reason[:1000],
            created_at=now,
        )
    )
    await session.flush()


async def get_message(session: AsyncSession, message_id: int) -> CustomsMessage | None:
    return await session.scalar(
        select(CustomsMessage)
        .where(CustomsMessage.id == message_id)
        .execution_options(populate_existing=True)
    )


async def message_of(session: AsyncSession, *, order_id: int, message_type: str) -> CustomsMessage | None:
    return await session.scalar(
        select(CustomsMessage).where(
            CustomsMessage.order_id == order_id, CustomsMessage.message_type == message_type
        )
    )


async def messages_of(session: AsyncSession, order_id: int) -> list[CustomsMessage]:
    rows = await session.scalars(
        select(CustomsMessage).where(CustomsMessage.order_id == order_id).order_by(CustomsMessage.id)
    )
    return list(rows)


async def events_of(session: AsyncSession, message_ids: list[int]) -> list[CustomsEvent]:
    if not message_ids:
        return []
    rows = await session.scalars(
        select(CustomsEvent).where(CustomsEvent.message_id.in_(message_ids)).order_by(CustomsEvent.id)
    )
    return list(rows)


# Orders whose papers must not go to customs any more (a cancelled or expired order has none).
NOT_DECLARED = ("returned", "cancelled", "expired")


async def draft_ids(
    session: AsyncSession, *, limit: int, releasable: Sequence[str], name_max: int
) -> list[int]:
    """Drafts that will go now: not held, or held for one of the `releasable` reasons by a
    seller who has since saved a customs code and whose customs name fits `name_max`; never of
    a returned order. Whatever would not be sent is not read at all, so it never crowds out
    the ones that can go."""
    name = func.coalesce(func.nullif(SellerProfile.customs_name, ""), SellerProfile.legal_name)
    seller_ready = and_(
        CustomsMessage.hold_reason.in_(releasable),
        func.coalesce(SellerProfile.customs_code, "") != "",
        func.length(name) <= name_max,
    )
    rows = await session.scalars(
        select(CustomsMessage.id)
        .join(Order, Order.id == CustomsMessage.order_id)
        .outerjoin(SellerProfile, SellerProfile.user_id == Order.seller_id)
        .where(
            CustomsMessage.status == "draft",
            Order.status.not_in(NOT_DECLARED),
            or_(CustomsMessage.hold_reason.is_(None), seller_ready),
        )
        .order_by(CustomsMessage.id)
        .limit(limit)
    )
    return list(rows)


async def held_count(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(CustomsMessage)
        .where(CustomsMessage.status == "draft", CustomsMessage.hold_reason.is_not(None))
    )
    return int(found or 0)


async def find_by_guid(session: AsyncSession, *, message_type: str, guid: str) -> CustomsMessage | None:
    return await session.scalar(
        select(CustomsMessage).where(
            CustomsMessage.guid == guid.upper(), CustomsMessage.message_type == message_type
        )
    )


async def find_by_payment(
    session: AsyncSession, *, reference: str, message_id: int | None = None, limit: int = 2
) -> list[CustomsMessage]:
    """CEB411s of orders whose payment carries `reference` (payTransactionId), oldest first;
    only `message_id` if given."""
    query = (
        select(CustomsMessage)
        .join(Payment, Payment.order_id == CustomsMessage.order_id)
        .where(Payment.reference == reference, CustomsMessage.message_type == "CEB411")
    )
    if message_id is not None:
        query = query.where(CustomsMessage.id == message_id)
    return list(await session.scalars(query.order_by(CustomsMessage.id).limit(limit)))


async def find_by_tracking(
    session: AsyncSession, *, tracking_number: str, message_id: int | None = None, limit: int = 2
) -> list[CustomsMessage]:
    """CEB511s of orders shipped under `tracking_number` (logisticsNo), oldest first; tracking
    numbers are the carrier's, not unique to one order. Only `message_id` if given."""
    query = (
        select(CustomsMessage)
        .join(Order, Order.id == CustomsMessage.order_id)
        .where(Order.tracking_number == tracking_number, CustomsMessage.message_type == "CEB511")
    )
    if message_id is not None:
        query = query.where(CustomsMessage.id == message_id)
    return list(await session.scalars(query.order_by(CustomsMessage.id).limit(limit)))


async def move_status(
    session: AsyncSession,
    *,
    message_id: int,
    from_status: str,
    to_status: str,
    values: dict[str, Any],
    unheld: bool = False,
) -> bool:
    """The guarded transition: only the caller that finds the message in `from_status` (and,
    with `unheld`, not held: a hold placed meanwhile wins) moves it."""
    conditions = [CustomsMessage.id == message_id, CustomsMessage.status == from_status]
    if unheld:
        conditions.append(CustomsMessage.hold_reason.is_(None))
    result = await session.execute(
        update(CustomsMessage)
        .where(*conditions)
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def draft_ids_of(session: AsyncSession, order_id: int) -> list[int]:
    rows = await session.scalars(
        select(CustomsMessage.id)
        .where(CustomsMessage.order_id == order_id, CustomsMessage.status == "draft")
        .order_by(CustomsMessage.id)
    )
    return list(rows)


async def hold_draft(session: AsyncSession, *, message_id: int, hold_reason: str) -> bool:
    """Hold a message if it is still a draft; False if it was sent (or held so) meanwhile."""
    result = await session.execute(
        update(CustomsMessage)
        .where(
            CustomsMessage.id == message_id,
            CustomsMessage.status == "draft",
            or_(CustomsMessage.hold_reason.is_(None), CustomsMessage.hold_reason != hold_reason),
        )
        .values(hold_reason=hold_reason)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def change_held(
    session: AsyncSession, *, message_id: int, hold_reason: str, values: dict[str, Any]
) -> bool:
    """The guarded change of a held draft: only the caller that still finds it a draft held for
    `hold_reason` changes it, so of two workers releasing it at once one does and one does not."""
    result = await session.execute(
        update(CustomsMessage)
        .where(
            CustomsMessage.id == message_id,
            CustomsMessage.status == "draft",
            CustomsMessage.hold_reason == hold_reason,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def update_message(session: AsyncSession, *, message_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(CustomsMessage)
        .where(CustomsMessage.id == message_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
