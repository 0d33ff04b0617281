"""The three CBEC import documents as XML: CEB311 (order), CEB411 (payment), CEB511 (waybill).

Pure builders: facts in, validated XML bytes out. Every message is checked against our own
structural XSD (kuajing/customs/schemas/) before it is returned; one that fails raises
`InvalidCustomsMessage`, which carries the document as built and the field that failed, so the
caller can keep it on hold for a person instead of losing it.

Field order and types follow docs (domain-facts §3.2) for CEB311 and CEB411. CEB511 is not in
that reference; its LogisticsHead is written from public code, in this order:
guid, appType, appTime, appStatus, logisticsCode, logisticsName, logisticsNo, billNo (optional),
orderNo, freight, insuredFee, currency, weight, packNo, goodsInfo (optional), consignee,
consigneeAddress, consigneeTelephone, note (optional).
Sources: a public Kotlin customs library (package me.zhengjin.common.customs, ILogistics, JAXB
propOrder with required flags, 2022); two independent public CEB511 builders (PHP and Java) that
write the same order with orderNo after billNo; a 2018-08 carrier sample without orderNo (the
field was added by the 2018 revision). Confidence: Medium for the order and optionality, Low
for the lengths (billNo C..37, goodsInfo C..200, weight N19,5 in kg are from code comments).

Amounts are stored as integer fen and written as yuan with exactly two decimals via Decimal.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import cast

from lxml import etree

from kuajing.compliance.identity import mask as mask_id_number
from kuajing.kit.masking import mask_address, mask_name, mask_phone
from kuajing.kit.time import BEIJING

NAMESPACE = "http://www.chinaport.gov.cn/ceb"
CURRENCY_RMB = "142"
APP_TYPE_NEW = "1"
APP_STATUS_DECLARE = "2"  # 1 = keep as draft at the e-port, 2 = declare
ORDER_TYPE_IMPORT = "I"
ID_TYPE_RESIDENT_CARD = "1"  # the only orderer ID type CEB311 allows
DXP_MODE = "DXP"
# JGS-20 unit code for 件 (piece); the 2023 public CEB311 sample uses it for a retail item.
UNIT_PIECE = "011"
# Origin country of every listed product (all sellers are US businesses). 502 is the United
# States in the customs country code table as remembered, NOT checked against the table:
# LOW confidence (domain-facts §3.2, OrderList.country). Confirm before going live.
COUNTRY_UNITED_STATES = "502"
ITEM_NO_MAX = 30
MAX_ORDER_ID = 2**31 - 1  # orders.id is a 32-bit integer on PostgreSQL
GOODS_INFO_MAX = 200

MESSAGE_TYPES = ("CEB311", "CEB411", "CEB511")
_BODY = {"CEB311": "Order", "CEB411": "Payment", "CEB511": "Logistics"}
# XML 1.0 cannot carry most control characters; they mean nothing to customs either.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class InvalidCustomsMessage(Exception):
    """A message kuajing built does not pass its own schema (or its amounts do not add up).
    `field` names where, as `OrderList/itemName`; `xml` is the document as built, if it was."""

    def __init__(self, message: str, *, field: str | None = None, xml: bytes | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.xml = xml


@dataclass(frozen=True, slots=True)
class Party:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every message carries around its body: ids, time and the sending enterprise."""

    guid: str
    app_time: datetime
    sender: Party
    dxp_id: str


@dataclass(frozen=True, slots=True)
class OrderLineFacts:
    item_no: str
    item_name: str
    gmodel: str
    quantity: int
    unit_price: int  # fen
    total_price: int  # fen


@dataclass(frozen=True, slots=True)
class OrderFacts:
    order_no: str
    platform: Party
    seller: Party
    payment_company: Party
    goods: int  # fen, as every amount below
    freight: int
    discount: int
    tax: int
    paid: int
    buyer_reg_no: str
    buyer_name: str
    buyer_telephone: str
    buyer_id_number: str
    pay_transaction_id: str
    consignee: str
    consignee_telephone: str
    consignee_address: str
    lines: Sequence[OrderLineFacts]


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    order_no: str
    platform: Party
    payment_company: Party
    pay_transaction_id: str
    payer_name: str
    payer_id_number: str
    telephone: str
    amount_paid: int  # fen
    paid_at: datetime


@dataclass(frozen=True, slots=True)
class WaybillFacts:
    order_no: str
    logistics: Party
    logistics_no: str
    freight: int  # fen
    weight_grams: int
    goods_info: str
    consignee: str
    consignee_address: str
    consignee_telephone: str


def yuan(fen: int) -> str:
    """Integer fen as yuan with exactly two decimals: 54405 -> '544.05'."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def kilograms(grams: int) -> str:
    """Grams as kilograms with three decimals: 2800 -> '2.800'."""
    return str((Decimal(grams) / 1000).quantize(Decimal("0.001")))


def app_time(moment: datetime) -> str:
    """YYYYMMDDhhmmss in Beijing time, the format every CEB time field uses."""
    return moment.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


def order_no(order_id: int) -> str:
    """The platform order number customs sees; unique per platform, stable for an order."""
    return f"KJ{order_id:010d}"


def order_id_of(number: str) -> int | None:
    """The order id inside a platform order number, or None if it is not one of ours (order ids
    are 32-bit integers: KJ9999999999 is no order of ours, not a database error)."""
    match = re.fullmatch(r"KJ(\d{10})", number)
    order_id = int(match.group(1)) if match else None
    return order_id if order_id is not None and 0 < order_id <= MAX_ORDER_ID else None


def item_no(sku: str, product_id: int) -> str:
    """The seller's SKU when it fits itemNo's 30 characters, else the platform's product number."""
    return sku if len(sku) <= ITEM_NO_MAX else f"KJP{product_id:010d}"


def goods_info(names: Sequence[str]) -> str:
    """The waybill's summary of the goods: Chinese names joined, cut to the field's 200 characters."""
    text = "；".join(_clean(name) for name in names)
    return text if len(text) <= GOODS_INFO_MAX else text[: GOODS_INFO_MAX - 1] + "…"


def check_order_amounts(facts: OrderFacts) -> None:
    """acturalPaid = goodsValue + freight + taxTotal - discount, and goods = the lines' sum."""
    expected = facts.goods + facts.freight + facts.tax - facts.discount
    if expected != facts.paid:
        raise InvalidCustomsMessage(
            f"acturalPaid {facts.paid} is not goods+freight+tax-discount {expected}",
            field="OrderHead/acturalPaid",
        )
    lines_total = sum(line.total_price for line in facts.lines)
    if lines_total != facts.goods:
        raise InvalidCustomsMessage(
            f"goodsValue {facts.goods} is not the lines' total {lines_total}", field="OrderHead/goodsValue"
        )
    for line in facts.lines:
        if line.unit_price * line.quantity != line.total_price:
            raise InvalidCustomsMessage(
                f"line {line.item_no}: price × qty is not totalPrice", field="OrderList/totalPrice"
            )


def build_ceb311(facts: OrderFacts, envelope: Envelope) -> bytes:
    root, body = _message("CEB311", envelope)
    head = _sub(body, "OrderHead")
    _fields(
        head,
        [
            ("guid", envelope.guid),
            ("appType", APP_TYPE_NEW),
            ("appTime", app_time(envelope.app_time)),
            ("appStatus", APP_STATUS_DECLARE),
            ("orderType", ORDER_TYPE_IMPORT),
            ("orderNo", facts.order_no),
            ("ebpCode", facts.platform.code),
            ("ebpName", facts.platform.name),
            ("ebcCode", facts.seller.code),
            ("ebcName", facts.seller.name),
            ("goodsValue", yuan(facts.goods)),
            ("freight", yuan(facts.freight)),
            ("discount", yuan(facts.discount)),
            ("taxTotal", yuan(facts.tax)),
            ("acturalPaid", yuan(facts.paid)),
            ("currency", CURRENCY_RMB),
            ("buyerRegNo", facts.buyer_reg_no),
            ("buyerName", facts.buyer_name),
            ("buyerTelephone", facts.buyer_telephone),
            ("buyerIdType", ID_TYPE_RESIDENT_CARD),
            ("buyerIdNumber", facts.buyer_id_number),
            ("payCode", facts.payment_company.code),
            ("payName", facts.payment_company.name),
            ("payTransactionId", facts.pay_transaction_id),
            ("consignee", facts.consignee),
            ("consigneeTelephone", facts.consignee_telephone),
            ("consigneeAddress", facts.consignee_address),
        ],
    )
    for number, line in enumerate(facts.lines, start=1):
        _fields(
            _sub(body, "OrderList"),
            [
                ("gnum", str(number)),
                ("itemNo", line.item_no),
                ("itemName", line.item_name),
                ("gmodel", line.gmodel),
                ("unit", UNIT_PIECE),
                ("qty", str(line.quantity)),
                ("price", yuan(line.unit_price)),
                ("totalPrice", yuan(line.total_price)),
                ("currency", CURRENCY_RMB),
                ("country", COUNTRY_UNITED_STATES),
            ],
        )
    return _finish("CEB311", root, envelope, check=lambda: check_order_amounts(facts))


def build_ceb411(facts: PaymentFacts, envelope: Envelope) -> bytes:
    root, body = _message("CEB411", envelope)
    _fields(
        _sub(body, "PaymentHead"),
        [
            ("guid", envelope.guid),
            ("appType", APP_TYPE_NEW),
            ("appTime", app_time(envelope.app_time)),
            ("appStatus", APP_STATUS_DECLARE),
            ("payCode", facts.payment_company.code),
            ("payName", facts.payment_company.name),
            ("payTransactionId", facts.pay_transaction_id),
            ("orderNo", facts.order_no),
            ("ebpCode", facts.platform.code),
            ("ebpName", facts.platform.name),
            ("payerIdType", ID_TYPE_RESIDENT_CARD),
            ("payerIdNumber", facts.payer_id_number),
            ("payerName", facts.payer_name),
            ("telephone", facts.telephone),
            ("amountPaid", yuan(facts.amount_paid)),
            ("currency", CURRENCY_RMB),
            ("payTime", app_time(facts.paid_at)),
        ],
    )
    return _finish("CEB411", root, envelope)


def build_ceb511(facts: WaybillFacts, envelope: Envelope) -> bytes:
    root, body = _message("CEB511", envelope)
    _fields(
        _sub(body, "LogisticsHead"),
        [
            ("guid", envelope.guid),
            ("appType", APP_TYPE_NEW),
            ("appTime", app_time(envelope.app_time)),
            ("appStatus", APP_STATUS_DECLARE),
            ("logisticsCode", facts.logistics.code),
            ("logisticsName", facts.logistics.name),
            ("logisticsNo", facts.logistics_no),
            ("orderNo", facts.order_no),
            ("freight", yuan(facts.freight)),
            ("insuredFee", yuan(0)),
            ("currency", CURRENCY_RMB),
            ("weight", kilograms(facts.weight_grams)),
            ("packNo", "1"),
            ("goodsInfo", facts.goods_info),
            ("consignee", facts.consignee),
            ("consigneeAddress", facts.consignee_address),
            ("consigneeTelephone", facts.consignee_telephone),
        ],
    )
    return _finish("CEB511", root, envelope)


def validate(message_type: str, xml: bytes) -> None:
    """Raise InvalidCustomsMessage unless `xml` passes the message type's schema."""
    schema = _schema(message_type)
    document = etree.fromstring(xml, parser=_safe_parser())
    if not schema.validate(document):
        found = list(schema.error_log)
        errors = "; ".join(f"line {e.line}: {e.message}" for e in found[:5])
        raise InvalidCustomsMessage(
            f"{message_type} fails its schema: {errors}", field=_field_of(found[0]), xml=xml
        )


def canonical(xml: bytes) -> bytes:
    """C14N of the document with formatting whitespace dropped, for exact comparisons."""
    document = etree.fromstring(xml, parser=etree.XMLParser(remove_blank_text=True, resolve_entities=False))
    return cast(bytes, etree.tostring(document, method="c14n"))  # lxml has no stubs here


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text).strip()


def _message(message_type: str, envelope: Envelope) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(
        _q(f"{message_type}Message"), {"guid": envelope.guid, "version": "1.0"}, nsmap={"ceb": NAMESPACE}
    )
    return root, _sub(root, _BODY[message_type])


def _sub(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, _q(name))


def _fields(parent: etree._Element, fields: list[tuple[str, str]]) -> None:
    """Append simple elements in the given order; an empty optional value is left out."""
    for name, value in fields:
        text = _clean(value)
        if text:
            _sub(parent, name).text = text


def _field_of(error: "etree._LogEntry") -> str:
    """Where a schema error is, as `OrderList/itemName`: the element the schema expected when one
    is missing (an empty value is left out, so a blank field shows up this way), else the element
    that failed."""
    path = [step.split(":")[-1] for step in (error.path or "").split("/") if step][1:]
    text = error.message or ""
    expected = re.search(r"Expected is (?:one of )?\(([^)]*)\)", text)
    if expected:
        parent = path if "Missing child" in text else path[:-1]
        # "one of ( optional…, required )": the last one listed is the one that must be there.
        path = [*parent, expected.group(1).split(",")[-1].strip().rpartition("}")[2]]
    return "/".join(step for step in path if step not in _BODY.values()) or "document"


def _finish(
    message_type: str, root: etree._Element, envelope: Envelope, check: Callable[[], None] | None = None
) -> bytes:
    transfer = _sub(root, "BaseTransfer")
    _fields(
        transfer,
        [
            ("copCode", envelope.sender.code),
            ("copName", envelope.sender.name),
            ("dxpMode", DXP_MODE),
            ("dxpId", envelope.dxp_id),
        ],
    )
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    try:
        if check is not None:
            check()
        validate(message_type, xml)
    except InvalidCustomsMessage as exc:
        exc.xml = xml
        raise
    return xml


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@cache
def _schema(message_type: str) -> etree.XMLSchema:
    if message_type not in MESSAGE_TYPES:
        raise InvalidCustomsMessage(f"no schema for {message_type}")
    path = resources.files("kuajing.customs") / "schemas" / f"{message_type.lower()}.xsd"
    with resources.as_file(path) as file:
        return etree.XMLSchema(etree.parse(str(file)))


# The messages that carry a full resident ID number (the buyer's, the payer's).
CARRY_ID_NUMBER = frozenset({"CEB311", "CEB411"})
# Personal fields of the three messages, by how each is masked.
_ID_FIELDS = ("buyerIdNumber", "payerIdNumber")
_NAME_FIELDS = ("buyerName", "payerName", "consignee")
_PHONE_FIELDS = ("buyerTelephone", "consigneeTelephone", "telephone")
_ADDRESS_FIELDS = ("consigneeAddress",)


def masked(xml: str) -> str:
    """A stored message as anyone but customs may read it: the ID numbers, names, phones and
    address of the buyer, payer and consignee starred; everything else as stored."""
    root = etree.fromstring(xml.encode("utf-8"))
    maskers: dict[str, Callable[[str], str]] = {
        **dict.fromkeys(_ID_FIELDS, mask_id_number),
        **dict.fromkeys(_NAME_FIELDS, mask_name),
        **dict.fromkeys(_PHONE_FIELDS, mask_phone),
        **dict.fromkeys(_ADDRESS_FIELDS, mask_address),
    }
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in maskers and element.text:
            element.text = maskers[local](element.text)
    written = cast(bytes, etree.tostring(root, xml_declaration=True, encoding="UTF-8")).decode("utf-8")
    return written + xml[len(xml.rstrip()) :]  # the stored message's last line break, if it has one
