"""A customs message's moves and notes: every status move is guarded (it happens only if the
message is still where it was read) and, like every hold or progress receipt, leaves an event."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.customs import repository
from kuajing.customs.status import CustomsStatus, check_transition
from kuajing.models import CustomsMessage


async def transition(
    session: AsyncSession,
    message: CustomsMessage,
    to: CustomsStatus,
    *,
    values: dict[str, Any],
    reason: str,
    now: datetime,
    unheld: bool = False,
) -> bool:
    """Move the message to `to` if it is still where we read it (a system move: no actor), and
    record the event; False if another worker or a receipt moved it first."""
    check_transition(message.status, to)
    if not await repository.move_status(
        session,
        message_id=message.id,
        from_status=message.status,
        to_status=to.value,
        values=values,
        unheld=unheld,
    ):
        return False
    await repository.add_event(
        session,
        message_id=message.id,
        from_status=message.status,
        to_status=to.value,
        actor_id=None,
        reason=reason,
        now=now,
    )
    return True


async def note(
    session: AsyncSession, message_id: int, status: str, *, actor_id: int | None, reason: str, now: datetime
) -> None:
    """Record something that happened to a message without moving it (a hold, a progress receipt)."""
    await repository.add_event(
        session,
        message_id=message_id,
        from_status=status,
        to_status=status,
        actor_id=actor_id,
        reason=reason,
        now=now,
    )
