"""Customs messages after drafting (drafts.py): who may read them, holding a returned order's,
sending drafts through a transport and applying the receipts that answer them.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.audit import service as audit_service
from kuajing.customs import messages, repository
from kuajing.customs.drafts import NAME_MAX, SELLER_HOLDS, release_hold
from kuajing.customs.errors import CustomsMessageNotFound, UnknownMessageType
from kuajing.customs.events import note, transition
from kuajing.customs.parties import CustomsParties
from kuajing.customs.receipts import Outcome, Receipt, ReceiptError
from kuajing.customs.status import CustomsStatus
from kuajing.customs.transport import CustomsTransport, Outgoing
from kuajing.models import CustomsEvent, CustomsMessage, Order, Role
from kuajing.order import service as order_service
from kuajing.order.errors import OrderNotFound

RETURNED = "held: order returned and refunded"
SEND_BATCH = 200


class Viewer(Protocol):
    """Who asks: an order service Viewer or an auth Principal both fit."""

    @property
    def user_id(self) -> int: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class MessageView:
    message: CustomsMessage
    events: list[CustomsEvent]


async def list_messages(session: AsyncSession, *, order_id: int, viewer: Viewer) -> list[MessageView]:
    await _visible_order(session, order_id=order_id, viewer=viewer)
    found = await repository.messages_of(session, order_id)
    events = await repository.events_of(session, [m.id for m in found])
    return [MessageView(m, [e for e in events if e.message_id == m.id]) for m in found]


async def message_xml(session: AsyncSession, *, order_id: int, message_type: str, viewer: Viewer) -> str:
    await _visible_order(session, order_id=order_id, viewer=viewer)
    kind = message_type.upper()
    if kind not in messages.MESSAGE_TYPES:
        raise UnknownMessageType(message=f"{message_type!r} is not CEB311, CEB411 or CEB511.")
    message = await repository.message_of(session, order_id=order_id, message_type=kind)
    if message is None:
        raise CustomsMessageNotFound(message=f"Order {order_id} has no {kind} message yet.")
    # Masked for everyone who reads it here, operators included: the full message goes to customs
    # alone, and an operator who must see the number asks for it with a reason (compliance's reveal).
    return messages.masked(message.xml)


async def draft_ids(session: AsyncSession, *, limit: int | None = None) -> list[int]:
    """Drafts the exchange may send now, oldest first, at most `limit` (SEND_BATCH)."""
    return await repository.draft_ids(
        session, limit=limit or SEND_BATCH, releasable=SELLER_HOLDS, name_max=NAME_MAX
    )


async def hold_for_return(
    session: AsyncSession, *, order_id: int, actor_id: int | None, now: datetime
) -> int:
    """Hold every unsent message of an order that was returned and refunded: customs must not be
    told of a sale that no longer stands. How many were held; call it in the transaction that
    moves the order to returned."""
    held = 0
    for message_id in await repository.draft_ids_of(session, order_id):
        if await repository.hold_draft(session, message_id=message_id, hold_reason=RETURNED):
            await note(
                session, message_id, CustomsStatus.draft.value, actor_id=actor_id, reason=RETURNED, now=now
            )
            held += 1
    return held


async def held_count(session: AsyncSession) -> int:
    """Drafts waiting for their seller's customs code."""
    return await repository.held_count(session)


async def send_draft(
    session: AsyncSession,
    *,
    message_id: int,
    transport: CustomsTransport,
    parties: CustomsParties,
    now: datetime,
) -> bool:
    """Send one draft unless it is held; True if it was sent. A held CEB311 whose seller now
    has a code is built again first, with the same guid."""
    message = await repository.get_message(session, message_id)
    if message is None or message.status != CustomsStatus.draft:
        return False
    if message.hold_reason is not None and not await release_hold(session, message, parties, now):
        return False
    # unheld: a return accepted since we read the message holds it; PostgreSQL re-checks this
    # condition after waiting for that transaction's lock
    if not await transition(
        session, message, CustomsStatus.sent, values={"sent_at": now}, reason="sent", now=now, unheld=True
    ):
        return False
    # After the guarded move, inside the transaction: if handing over fails, the move rolls back.
    # In a thread: writing and fsyncing a file must not stall the server's event loop.
    if message.message_type in messages.CARRY_ID_NUMBER:
        await _record_submission(session, message, now)
    outgoing = Outgoing(message.message_type, message.guid, message.xml.encode("utf-8"))
    await asyncio.to_thread(transport.send, outgoing)
    return True


async def _record_submission(session: AsyncSession, message: CustomsMessage, now: datetime) -> None:
    """The message takes the buyer's full ID number out of the seal: the audit trail says so."""
    order = await order_service.find_order(session, message.order_id)
    assert order is not None  # a message belongs to an order (a foreign key)
    await audit_service.record_reveal(
        session,
        actor_id=None,
        subject_user_id=order.buyer_id,
        order_id=order.id,
        purpose="customs_submission",
        reason=f"{message.message_type} {message.guid} sent to customs",
        now=now,
    )


async def apply_receipt(
    session: AsyncSession, *, receipt: Receipt, parties: CustomsParties, now: datetime
) -> str:
    """Apply one receipt: 'accepted', 'rejected', 'progress' or 'duplicate'. ReceiptError if it
    answers nothing of ours, or contradicts an answer already recorded."""
    expected = parties.sender_of(receipt.answers).code
    if receipt.sender_code != expected:
        raise ReceiptError(f"receipt is for {receipt.sender_code}, not our {expected}")
    message = await _message_for(session, receipt)
    outcome = receipt.outcome
    label = f"receipt {receipt.return_status}: {receipt.return_info}".strip()
    receipt_values = {"receipt_code": str(receipt.return_status), "receipt_note": receipt.return_info or None}
    if message.status == CustomsStatus.draft:
        raise ReceiptError(f"{receipt.answers} {message.guid} was never sent")
    if message.status != CustomsStatus.sent:
        if outcome == Outcome.progress or outcome.value == message.status:
            return "duplicate"
        raise ReceiptError(f"{message.guid} is already {message.status}; this receipt says {outcome.value}")
    if outcome == Outcome.progress:
        await repository.update_message(session, message_id=message.id, values=receipt_values)
        await note(session, message.id, message.status, actor_id=None, reason=label, now=now)
        return outcome.value
    target = CustomsStatus(outcome.value)
    values = {**receipt_values, "answered_at": receipt.return_time}
    if not await transition(session, message, target, values=values, reason=label, now=now):
        return "duplicate"
    return target.value


async def _message_for(session: AsyncSession, receipt: Receipt) -> CustomsMessage:
    """The one message a receipt answers, or ReceiptError. A guid must be one of ours and agree
    with the receipt's key; without a guid, the key must name exactly one message."""
    if receipt.guid:
        found = await repository.find_by_guid(session, message_type=receipt.answers, guid=receipt.guid)
        if found is None:
            raise ReceiptError(f"no {receipt.answers} of ours has guid {receipt.guid}")
        if not await _by_key(session, receipt, message_id=found.id):
            raise ReceiptError(
                f"guid {receipt.guid} is not the {receipt.answers} of {receipt.key_field} {receipt.key}"
            )
        return found
    matches = await _by_key(session, receipt)
    if not matches:
        raise ReceiptError(f"no {receipt.answers} matches {receipt.key_field} {receipt.key}")
    if len(matches) > 1:
        raise ReceiptError(
            f"{receipt.key_field} {receipt.key} matches more than one {receipt.answers} and the receipt"
            " names no guid"
        )
    return matches[0]


async def _by_key(
    session: AsyncSession, receipt: Receipt, *, message_id: int | None = None
) -> list[CustomsMessage]:
    """Messages the receipt's key (orderNo, payTransactionId, logisticsNo) names; at most two."""
    if receipt.answers == "CEB311":
        order_id = messages.order_id_of(receipt.key)
        found = None
        if order_id is not None:
            found = await repository.message_of(session, order_id=order_id, message_type="CEB311")
        return [found] if found is not None and message_id in (None, found.id) else []
    if receipt.answers == "CEB411":
        return await repository.find_by_payment(session, reference=receipt.key, message_id=message_id)
    return await repository.find_by_tracking(session, tracking_number=receipt.key, message_id=message_id)


async def _visible_order(session: AsyncSession, *, order_id: int, viewer: Viewer) -> Order:
    """Customs papers are the operator's and the owning seller's; everyone else sees nothing,
    the same answer as for an order that does not exist."""
    order = await order_service.reload(session, order_id)
    allowed = viewer.role == Role.operator or (
        viewer.role == Role.seller and order.seller_id == viewer.user_id
    )
    if not allowed:
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


async def note_payment_declaration(
    session: AsyncSession, *, order_id: int, reason: str, now: datetime
) -> bool:
    """The payment company's own declaration (CEB411's source at customs), recorded on the order's
    CEB411 timeline; False if the order has no CEB411."""
    message = await repository.message_of(session, order_id=order_id, message_type="CEB411")
    if message is None:
        return False
    await note(session, message.id, message.status, actor_id=None, reason=reason[:1000], now=now)
    return True
