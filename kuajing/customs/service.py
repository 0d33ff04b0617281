"""Customs messages: drafted when an order is paid (CEB311 + CEB411) and shipped (CEB511), sent
through a transport, answered by receipts. Every status move is guarded and leaves an event.

A seller without a customs code (ebcCode) still gets its messages drafted, so nothing is lost,
but they are held: `hold_reason` says why and the exchange does not send them. The CEB311
draft carries the placeholder code PENDING; once the seller saves a code, the next exchange
builds the CEB311 again (same guid) with the real code, clears the hold and sends all three.

A message that fails its schema (a name or title that is empty once control characters and
spaces are dropped, say) is never a reason to fail the payment or the shipping that drafts it:
it is stored held, its `hold_reason` naming the field, and stays held for a person.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository as catalog_repository
from kuajing.customs import messages, repository
from kuajing.customs.errors import CustomsMessageNotFound, UnknownMessageType
from kuajing.customs.messages import Envelope, InvalidCustomsMessage, Party
from kuajing.customs.receipts import Outcome, Receipt, ReceiptError
from kuajing.customs.status import CustomsStatus, check_transition
from kuajing.customs.transport import CustomsTransport, Outgoing
from kuajing.models import CustomsEvent, CustomsMessage, Order, OrderLine, Payment, Role, SellerProfile
from kuajing.order import repository as order_repository
from kuajing.order.errors import OrderNotFound
from kuajing.payment import repository as payment_repository
from kuajing.seller import repository as seller_repository
from kuajing.settings import Settings, get_settings

log = logging.getLogger(__name__)

PLACEHOLDER_CODE = "PENDING"
PLACEHOLDER_NAME = "PENDING"
NO_CUSTOMS_CODE = "held: the seller has no customs code (ebcCode) yet; set customs_code on the seller profile"
NAME_TOO_LONG = "held: the seller's legal name is over 100 characters; set customs_name on the seller profile"
RETURNED = "held: order returned and refunded"
# Holds that lift by themselves once the seller's profile is complete; any other hold is for a person.
SELLER_HOLDS = (NO_CUSTOMS_CODE, NAME_TOO_LONG)
SEND_BATCH = 200
NAME_MAX = 100  # ebcName is C..100; repository.draft_ids applies the same test in SQL


@dataclass(frozen=True, slots=True)
class CustomsParties:
    """The enterprises around every message, from settings."""

    platform: Party
    payment: Party
    logistics: Party
    dxp_id: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "CustomsParties":
        return cls(
            platform=Party(settings.customs_platform_code, settings.customs_platform_name),
            payment=Party(settings.customs_payment_code, settings.customs_payment_name),
            logistics=Party(settings.customs_logistics_code, settings.customs_logistics_name),
            dxp_id=settings.customs_dxp_id,
        )

    def sender_of(self, message_type: str) -> Party:
        """Who transmits each document: the platform its order, the payment company its
        payment slip, the logistics company its waybill."""
        return {"CEB311": self.platform, "CEB411": self.payment, "CEB511": self.logistics}[message_type]


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


def seller_party(profile: SellerProfile | None) -> tuple[Party, str | None]:
    """The seller as CEB311 names it, and why its messages are held (None: they may go)."""
    if profile is None:
        return Party(PLACEHOLDER_CODE, PLACEHOLDER_NAME), NO_CUSTOMS_CODE
    name = profile.customs_name or profile.legal_name
    if len(name) > NAME_MAX:
        return Party(profile.customs_code or PLACEHOLDER_CODE, PLACEHOLDER_NAME), NAME_TOO_LONG
    if not profile.customs_code:
        return Party(PLACEHOLDER_CODE, name), NO_CUSTOMS_CODE
    return Party(profile.customs_code, name), None


def invalid_hold(message_type: str, field: str | None) -> str:
    """The hold reason of a message that fails its schema: where, and that a person must act."""
    where = field or "an unknown field"
    text = f"held: {message_type} fails its schema at {where} (missing, empty once cleaned, or not valid)"
    return text[:200]  # the length of hold_reason


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def consignee_address(address: dict[str, str]) -> str:
    """Province, city, district and street written together, as Chinese addresses are."""
    return "".join(address[part].strip() for part in ("province", "city", "district", "street"))


async def draft_for_payment(
    session: AsyncSession,
    *,
    order_id: int,
    payment: Payment,
    actor_id: int | None,
    now: datetime,
    parties: CustomsParties | None = None,
) -> list[CustomsMessage]:
    """CEB311 and CEB411 drafts, in the transaction that moves the order to paid."""
    parties = parties or CustomsParties.from_settings(get_settings())
    order = await _order(session, order_id)
    profile = await seller_repository.get_profile(session, order.seller_id)
    seller, hold = seller_party(profile)
    order_guid, order_xml, order_invalid = await _order_xml(
        session, order, payment, seller, parties, guid=new_guid(), now=now
    )
    guid = new_guid()
    payment_facts = messages.PaymentFacts(
        order_no=messages.order_no(order.id),
        platform=parties.platform,
        payment_company=parties.payment,
        pay_transaction_id=payment.reference,
        payer_name=order.buyer_name,
        payer_id_number=order.buyer_id_number,
        telephone=order.shipping_address["phone"],
        amount_paid=payment.amount,
        paid_at=payment.created_at,
    )
    envelope = Envelope(guid=guid, app_time=now, sender=parties.payment, dxp_id=parties.dxp_id)
    payment_xml, payment_invalid = _built(
        "CEB411", lambda: messages.build_ceb411(payment_facts, envelope), order_id=order.id
    )
    return [
        await _add(
            session,
            order.id,
            "CEB311",
            (order_guid, order_xml),
            hold=order_invalid or hold,
            actor_id=actor_id,
            now=now,
        ),
        await _add(
            session,
            order.id,
            "CEB411",
            (guid, payment_xml),
            hold=payment_invalid or hold,
            actor_id=actor_id,
            now=now,
        ),
    ]


async def draft_waybill(
    session: AsyncSession,
    *,
    order_id: int,
    actor_id: int | None,
    now: datetime,
    parties: CustomsParties | None = None,
) -> CustomsMessage:
    """The CEB511 draft, in the transaction that moves the order to shipped."""
    parties = parties or CustomsParties.from_settings(get_settings())
    order = await _order(session, order_id)
    assert order.tracking_number is not None  # set by the same update that shipped it
    ordered = await _as_ordered(session, order)
    _, hold = seller_party(await seller_repository.get_profile(session, order.seller_id))
    address = order.shipping_address
    guid = new_guid()
    facts = messages.WaybillFacts(
        order_no=messages.order_no(order.id),
        logistics=parties.logistics,
        logistics_no=order.tracking_number,
        freight=order.freight_amount,
        weight_grams=sum(ordered[line.id].weight_grams * line.quantity for line in order.lines),
        goods_info=messages.goods_info([ordered[line.id].name_zh for line in order.lines]),
        consignee=address["name"],
        consignee_address=consignee_address(address),
        consignee_telephone=address["phone"],
    )
    envelope = Envelope(guid=guid, app_time=now, sender=parties.logistics, dxp_id=parties.dxp_id)
    xml, invalid = _built("CEB511", lambda: messages.build_ceb511(facts, envelope), order_id=order.id)
    return await _add(
        session, order.id, "CEB511", (guid, xml), hold=invalid or hold, actor_id=actor_id, now=now
    )


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
    return message.xml


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
            await _note(
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
    if not await _transition(
        session, message, CustomsStatus.sent, values={"sent_at": now}, reason="sent", now=now, unheld=True
    ):
        return False
    # After the guarded move, inside the transaction: if handing over fails, the move rolls back.
    # In a thread: writing and fsyncing a file must not stall the server's event loop.
    outgoing = Outgoing(message.message_type, message.guid, message.xml.encode("utf-8"))
    await asyncio.to_thread(transport.send, outgoing)
    return True


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
        await _note(session, message.id, message.status, actor_id=None, reason=label, now=now)
        return outcome.value
    target = CustomsStatus(outcome.value)
    values = {**receipt_values, "answered_at": receipt.return_time}
    if not await _transition(session, message, target, values=values, reason=label, now=now):
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


async def release_hold(
    session: AsyncSession, message: CustomsMessage, parties: CustomsParties, now: datetime
) -> bool:
    """Clear a held draft's hold if its seller's profile is now complete, building a CEB311 again
    with the seller's code; True if this call released it. Every change is guarded by the hold
    it was read with, so a message another worker released (and perhaps sent) is left alone."""
    seen = message.hold_reason
    if seen not in SELLER_HOLDS:  # not held, or held for its own data: a person must look at it
        return False
    order = await _order(session, message.order_id)
    seller, hold = seller_party(await seller_repository.get_profile(session, order.seller_id))
    if hold is not None:
        if hold != seen:
            await repository.change_held(
                session, message_id=message.id, hold_reason=seen, values={"hold_reason": hold}
            )
        return False
    values: dict[str, str | None] = {"hold_reason": None}
    reason = "released: the seller has a customs code"
    if message.message_type == "CEB311":
        payment = await payment_repository.payment_for(session, order.id)
        assert payment is not None  # a CEB311 is drafted only with its payment
        _, xml, invalid = await _order_xml(
            session, order, payment, seller, parties, guid=message.guid, now=now
        )
        if invalid is not None:
            await repository.change_held(
                session, message_id=message.id, hold_reason=seen, values={"hold_reason": invalid}
            )
            return False
        values["xml"] = xml.decode("utf-8")
        reason = "built again with the seller's customs code and released"
    if not await repository.change_held(session, message_id=message.id, hold_reason=seen, values=values):
        return False
    await _note(session, message.id, message.status, actor_id=None, reason=reason, now=now)
    message.xml = values.get("xml") or message.xml
    return True


async def _order_xml(
    session: AsyncSession,
    order: Order,
    payment: Payment,
    seller: Party,
    parties: CustomsParties,
    *,
    guid: str,
    now: datetime,
) -> tuple[str, bytes, str | None]:
    """The CEB311 as built, and its hold reason if it fails its schema."""
    ordered = await _as_ordered(session, order)
    address = order.shipping_address
    facts = messages.OrderFacts(
        order_no=messages.order_no(order.id),
        platform=parties.platform,
        seller=seller,
        payment_company=parties.payment,
        goods=order.goods_amount,
        freight=order.freight_amount,
        discount=0,
        tax=order.tax_amount,
        paid=payment.amount,
        buyer_reg_no=str(order.buyer_id),
        buyer_name=order.buyer_name,
        # Accounts hold no phone of their own: the order's contact phone is the buyer's.
        buyer_telephone=address["phone"],
        buyer_id_number=order.buyer_id_number,
        pay_transaction_id=payment.reference,
        consignee=address["name"],
        consignee_telephone=address["phone"],
        consignee_address=consignee_address(address),
        lines=[
            messages.OrderLineFacts(
                item_no=messages.item_no(ordered[line.id].sku, line.product_id),
                item_name=ordered[line.id].name_zh,
                gmodel=ordered[line.id].name_en,
                quantity=line.quantity,
                unit_price=line.unit_price_amount,
                total_price=line.goods_amount,
            )
            for line in order.lines
        ],
    )
    envelope = Envelope(guid=guid, app_time=now, sender=parties.platform, dxp_id=parties.dxp_id)
    xml, invalid = _built("CEB311", lambda: messages.build_ceb311(facts, envelope), order_id=order.id)
    return guid, xml, invalid


@dataclass(frozen=True, slots=True)
class _Ordered:
    """A line's product as the buyer ordered it."""

    name_zh: str
    name_en: str
    sku: str
    weight_grams: int


async def _as_ordered(session: AsyncSession, order: Order) -> dict[int, _Ordered]:
    """Each line's product as kept when the order was placed, so a later edit by the seller never
    changes what customs is told; lines placed before that was kept read the product as it is."""
    older = [line.product_id for line in order.lines if None in _kept(line)]
    products = await catalog_repository.get_products(session, older)
    found: dict[int, _Ordered] = {}
    for line in order.lines:
        kept = _kept(line)
        if None in kept:
            product = products[line.product_id]
            current = (product.title_zh, product.title_en, product.sku, product.weight_grams)
            kept = tuple(k if k is not None else c for k, c in zip(kept, current, strict=True))
        found[line.id] = _Ordered(*kept)
    return found


def _kept(line: OrderLine) -> tuple:
    return line.item_name_zh, line.item_name_en, line.item_sku, line.weight_grams


def _built(message_type: str, build: Callable[[], bytes], *, order_id: int) -> tuple[bytes, str | None]:
    """The message, and None; or, if it fails its schema, the document as built and why it is held."""
    try:
        return build(), None
    except InvalidCustomsMessage as exc:
        if exc.xml is None:
            raise
        log.warning("customs %s of order %s held: %s", message_type, order_id, exc)
        return exc.xml, invalid_hold(message_type, exc.field)


async def _add(
    session: AsyncSession,
    order_id: int,
    message_type: str,
    built: tuple[str, bytes],
    *,
    hold: str | None,
    actor_id: int | None,
    now: datetime,
) -> CustomsMessage:
    guid, xml = built
    message = await repository.add_message(
        session,
        CustomsMessage(
            order_id=order_id,
            message_type=message_type,
            guid=guid,
            status=CustomsStatus.draft.value,
            xml=xml.decode("utf-8"),
            hold_reason=hold,
            created_at=now,
        ),
    )
    await repository.add_event(
        session,
        message_id=message.id,
        from_status=None,
        to_status=CustomsStatus.draft.value,
        actor_id=actor_id,
        reason=hold or "drafted",
        now=now,
    )
    return message


async def _transition(
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


async def _note(
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


async def _order(session: AsyncSession, order_id: int) -> Order:
    order = await order_repository.get_order(session, order_id)
    if order is None:
        raise OrderNotFound(message=f"No order {order_id}.")
    return order


async def _visible_order(session: AsyncSession, *, order_id: int, viewer: Viewer) -> Order:
    """Customs papers are the operator's and the owning seller's; everyone else sees nothing,
    the same answer as for an order that does not exist."""
    order = await order_repository.get_order(session, order_id)
    allowed = viewer.role == Role.operator or (
        viewer.role == Role.seller and order is not None and order.seller_id == viewer.user_id
    )
    if order is None or not allowed:
        raise OrderNotFound(message=f"No order {order_id}.")
    return order
