"""Drafting customs messages: CEB311 and CEB411 in the transaction that moves an order to paid,
CEB511 in the one that ships it, each with its draft event; and building a held CEB311 again once
its seller has a customs code. Sending and receipts are service.py's and exchange.py's.

A seller without a customs code (ebcCode) still gets its messages drafted, so nothing is lost,
but they are held: `hold_reason` says why and the exchange does not send them. The CEB311
draft carries the placeholder code PENDING; once the seller saves a code, the next exchange
builds the CEB311 again (same guid) with the real code, clears the hold and sends all three.

A message that fails its schema (a name or title that is empty once control characters and
spaces are dropped, say) is never a reason to fail the payment or the shipping that drafts it:
it is stored held, its `hold_reason` naming the field, and stays held for a person.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import service as catalog_service
from kuajing.customs import messages, repository
from kuajing.customs.events import note
from kuajing.customs.messages import Envelope, InvalidCustomsMessage, Party
from kuajing.customs.parties import CustomsParties
from kuajing.customs.status import CustomsStatus
from kuajing.models import CustomsMessage, Order, OrderLine, Payment, SellerProfile
from kuajing.order import service as order_service
from kuajing.payment import service as payment_service
from kuajing.seller import service as seller_service

log = logging.getLogger(__name__)

PLACEHOLDER_CODE = "PENDING"
PLACEHOLDER_NAME = "PENDING"
NO_CUSTOMS_CODE = "held: the seller has no customs code (ebcCode) yet; set customs_code on the seller profile"
NAME_TOO_LONG = "held: the seller's legal name is over 100 characters; set customs_name on the seller profile"
# Holds that lift by themselves once the seller's profile is complete; any other hold is for a person.
SELLER_HOLDS = (NO_CUSTOMS_CODE, NAME_TOO_LONG)
NAME_MAX = 100  # ebcName is C..100; repository.draft_ids applies the same test in SQL


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
    order: Order,
    payment: Payment,
    actor_id: int | None,
    now: datetime,
    parties: CustomsParties,
) -> list[CustomsMessage]:
    """CEB311 and CEB411 drafts, in the transaction that moves `order` (its lines loaded) to
    paid by `payment`: both messages in one INSERT, their draft events in another."""
    profile = await seller_service.find_profile(session, seller_id=order.seller_id)
    seller, hold = seller_party(profile)
    order_guid, order_xml, order_invalid = await _order_xml(
        session, order, payment, seller, parties, guid=new_guid(), now=now
    )
    guid = new_guid()
    payment_facts = messages.PaymentFacts(
        order_no=messages.order_no(order.id),
        platform=parties.platform,
        payment_company=parties.payment,
        pay_transaction_id=payment.reference or str(payment.id),
        payer_name=order.buyer_name,
        payer_id_number=order.buyer_id_number,
        telephone=order.shipping_address["phone"],
        amount_paid=payment.amount,
        paid_at=payment.captured_at or payment.created_at,
    )
    envelope = Envelope(guid=guid, app_time=now, sender=parties.payment, dxp_id=parties.dxp_id)
    payment_xml, payment_invalid = _built(
        "CEB411", lambda: messages.build_ceb411(payment_facts, envelope), order_id=order.id
    )
    return await _add_all(
        session,
        order.id,
        [
            ("CEB311", (order_guid, order_xml), order_invalid or hold),
            ("CEB411", (guid, payment_xml), payment_invalid or hold),
        ],
        actor_id=actor_id,
        now=now,
    )


async def draft_waybill(
    session: AsyncSession,
    *,
    order_id: int,
    actor_id: int | None,
    now: datetime,
    parties: CustomsParties,
) -> CustomsMessage:
    """The CEB511 draft, in the transaction that moves the order to shipped."""
    order = await order_service.reload(session, order_id)
    assert order.tracking_number is not None  # set by the same update that shipped it
    ordered = await _as_ordered(session, order)
    _, hold = seller_party(await seller_service.find_profile(session, seller_id=order.seller_id))
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


async def release_hold(
    session: AsyncSession, message: CustomsMessage, parties: CustomsParties, now: datetime
) -> bool:
    """Clear a held draft's hold if its seller's profile is now complete, building a CEB311 again
    with the seller's code; True if this call released it. Every change is guarded by the hold
    it was read with, so a message another worker released (and perhaps sent) is left alone."""
    seen = message.hold_reason
    if seen not in SELLER_HOLDS:  # not held, or held for its own data: a person must look at it
        return False
    order = await order_service.reload(session, message.order_id)
    seller, hold = seller_party(await seller_service.find_profile(session, seller_id=order.seller_id))
    if hold is not None:
        if hold != seen:
            await repository.change_held(
                session, message_id=message.id, hold_reason=seen, values={"hold_reason": hold}
            )
        return False
    values: dict[str, str | None] = {"hold_reason": None}
    reason = "released: the seller has a customs code"
    if message.message_type == "CEB311":
        # a CEB311 is drafted only once a payment paid the order, which the order records
        assert order.paid_by_payment_id is not None
        payment = await payment_service.find(session, order.paid_by_payment_id)
        assert payment is not None
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
    await note(session, message.id, message.status, actor_id=None, reason=reason, now=now)
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
        pay_transaction_id=payment.reference or str(payment.id),
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
    products = await catalog_service.get_products(session, older)
    found: dict[int, _Ordered] = {}
    for line in order.lines:
        kept = _kept(line)
        if None in kept:
            product = products[line.product_id]
            current = (product.title_zh, product.title_en, product.sku, product.weight_grams)
            kept = tuple(k if k is not None else c for k, c in zip(kept, current, strict=True))
        found[line.id] = _Ordered(*kept)
    return found


def _kept(line: OrderLine) -> tuple[Any, ...]:
    return line.item_name_zh, line.item_name_en, line.item_sku, line.weight_grams


def _built(message_type: str, build: Callable[[], bytes], *, order_id: int) -> tuple[bytes, str | None]:
    """The message, and None; or, if it fails its schema, the document as built and why it is held."""
    try:
        return build(), None
    except InvalidCustomsMessage as exc:
        if exc.xml is None:
            raise
        # the field, never the schema's message: that quotes the value (a name, an ID number)
        log.warning("customs %s of order %s held: invalid %s", message_type, order_id, exc.field)
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
    [message] = await _add_all(session, order_id, [(message_type, built, hold)], actor_id=actor_id, now=now)
    return message


async def _add_all(
    session: AsyncSession,
    order_id: int,
    drafts: list[tuple[str, tuple[str, bytes], str | None]],
    *,
    actor_id: int | None,
    now: datetime,
) -> list[CustomsMessage]:
    """Drafts of the order's messages, each (type, (guid, xml), hold reason), and their draft
    events: one INSERT for the messages, one for the events."""
    messages_ = await repository.add_messages(
        session,
        [
            CustomsMessage(
                order_id=order_id,
                message_type=message_type,
                guid=guid,
                status=CustomsStatus.draft.value,
                xml=xml.decode("utf-8"),
                hold_reason=hold,
                created_at=now,
            )
            for message_type, (guid, xml), hold in drafts
        ],
    )
    await repository.add_events(
        session,
        [
            {
                "message_id": message.id,
                "from_status": None,
                "to_status": CustomsStatus.draft.value,
                "actor_id": actor_id,
                "reason": (hold or "drafted")[:1000],
                "created_at": now,
            }
            for message, (_type, _built, hold) in zip(messages_, drafts, strict=True)
        ],
    )
    return messages_
