"""Reading the e-port's receipts: CEB312 (order), CEB412 (payment), CEB512 (waybill).

What a receipt holds, from public code (several independent projects agree; Medium-High):
- CEB312Message/OrderReturn: guid, ebpCode, ebcCode, orderNo, returnStatus, returnTime, returnInfo
- CEB412Message/PaymentReturn: guid, payCode, payTransactionId, returnStatus, returnTime, returnInfo
- CEB512Message/LogisticsReturn: guid, logisticsCode, logisticsNo, returnStatus, returnTime, returnInfo
Receipts seen in public samples use the CEB namespace as the default namespace (no prefix), so
elements are matched by namespace and local name, never by prefix. returnTime is
yyyyMMddHHmmssSSS (17 digits) in most comments, YYYYMMDDhhmmss (14) in some: both are read, as
Beijing time.

returnStatus (same comment in many public entity classes; Medium-High): 1 saved at the e-port,
2 declaring at the e-port, 3 sent to customs, 4 sending to customs failed, 100 customs
rejected (退单), 120 customs accepted into its database (入库), 399 customs concluded (审结);
a negative number is a processing error. kuajing reads 120 and 399 as accepted; 100, 4 and
negatives as rejected; 1, 2 and 3 as progress that leaves the message sent. Anything else is
refused as unknown (the file goes to inbox/failed for a person to read).
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lxml import etree

from kuajing.customs.messages import NAMESPACE, order_id_of
from kuajing.kit.time import BEIJING

MAX_RECEIPT_BYTES = 1_000_000
# What the columns a receipt is matched against or written to can hold: a status beyond these
# would be a database error, and the file would stay in the inbox for ever.
MIN_RETURN_STATUS = -999_999_999  # receipt_code is 10 characters
MAX_RETURN_STATUS = 999_999_999
MAX_GUID = 36
MAX_KEY = 60  # orderNo, payTransactionId: C..60
MAX_SENDER_CODE = 18
ACCEPTED_CODES = frozenset({120, 399})
REJECTED_CODES = frozenset({4, 100})
PROGRESS_CODES = frozenset({1, 2, 3})


class Outcome(StrEnum):
    accepted = "accepted"
    rejected = "rejected"
    progress = "progress"


@dataclass(frozen=True, slots=True)
class Kind:
    answers: str  # the message type this receipt answers
    body: str
    sender_field: str
    key_field: str


KINDS = {
    "CEB312Message": Kind("CEB311", "OrderReturn", "ebpCode", "orderNo"),
    "CEB412Message": Kind("CEB411", "PaymentReturn", "payCode", "payTransactionId"),
    "CEB512Message": Kind("CEB511", "LogisticsReturn", "logisticsCode", "logisticsNo"),
}


class ReceiptError(Exception):
    """A file that is not a receipt kuajing can read; the reason is kept next to it."""


@dataclass(frozen=True, slots=True)
class Receipt:
    answers: str
    guid: str | None
    sender_code: str
    key_field: str
    key: str
    return_status: int
    return_time: datetime
    return_info: str

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.return_status)


def outcome_of(status: int) -> Outcome:
    if status in ACCEPTED_CODES:
        return Outcome.accepted
    if status in REJECTED_CODES or status < 0:
        return Outcome.rejected
    if status in PROGRESS_CODES:
        return Outcome.progress
    raise ReceiptError(f"unknown returnStatus {status}")


def parse(content: bytes) -> list[Receipt]:
    """Every receipt in one file, or ReceiptError saying why the file cannot be read."""
    if len(content) > MAX_RECEIPT_BYTES:
        raise ReceiptError(f"file larger than {MAX_RECEIPT_BYTES} bytes")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ReceiptError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        # Receipts carry no DTD. Entities are never expanded anyway, but a receipt whose text
        # depends on one would be read wrong: refuse it whole.
        raise ReceiptError("a receipt must not carry a DOCTYPE")
    name = etree.QName(root)
    if name.namespace != NAMESPACE or name.localname not in KINDS:
        raise ReceiptError(f"not a CEB312/412/512 receipt: root element {root.tag}")
    kind = KINDS[name.localname]
    bodies = root.findall(f"{{{NAMESPACE}}}{kind.body}")
    if not bodies:
        raise ReceiptError(f"{name.localname} holds no {kind.body}")
    return [_receipt(kind, body) for body in bodies]


def _receipt(kind: Kind, body: etree._Element) -> Receipt:
    raw_status = _text(body, "returnStatus", required=True)
    try:
        status = int(raw_status)
    except ValueError:
        raise ReceiptError(f"returnStatus {raw_status!r} is not a number") from None
    if not MIN_RETURN_STATUS <= status <= MAX_RETURN_STATUS:
        raise ReceiptError(f"returnStatus {raw_status!r} is out of range")
    outcome_of(status)  # refuse unknown codes while the file can still go to failed
    guid = _text(body, "guid", longest=MAX_GUID)
    sender_code = _text(body, kind.sender_field, required=True, longest=MAX_SENDER_CODE)
    key = _text(body, kind.key_field, required=True, longest=MAX_KEY)
    if kind.answers == "CEB311" and order_id_of(key) is None:
        raise ReceiptError(f"orderNo {key!r} is not a kuajing order number")
    return Receipt(
        answers=kind.answers,
        guid=guid or None,
        sender_code=sender_code,
        key_field=kind.key_field,
        key=key,
        return_status=status,
        return_time=_time(_text(body, "returnTime", required=True)),
        return_info=_text(body, "returnInfo")[:1000],
    )


def _text(body: etree._Element, field: str, *, required: bool = False, longest: int | None = None) -> str:
    element = body.find(f"{{{NAMESPACE}}}{field}")
    text = (element.text or "").strip() if element is not None else ""
    if required and not text:
        raise ReceiptError(f"{field} is missing")
    if longest is not None and len(text) > longest:
        raise ReceiptError(f"{field} is longer than {longest} characters")
    return text


def _time(text: str) -> datetime:
    if not text.isdigit() or len(text) not in (14, 17):
        raise ReceiptError(f"returnTime {text!r} is not yyyyMMddHHmmss[SSS]")
    try:
        moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        raise ReceiptError(f"returnTime {text!r} is not a real time") from None
    return moment.replace(microsecond=int(text[14:] or 0) * 1000, tzinfo=BEIJING)
