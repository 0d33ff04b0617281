"""Fixed facts for the golden messages: the design's wine example as customs sees it."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kuajing.customs.messages import Envelope, OrderFacts, OrderLineFacts, Party, PaymentFacts, WaybillFacts

PLATFORM = Party("3101960KJP", "跨境测试平台")
SELLER = Party("3101969NPA", "Napa Test Winery LLC")
PAYMENT_COMPANY = Party("3101960PAY", "沙箱支付")
LOGISTICS = Party("3101960LOG", "沙箱物流")
DXP_ID = "DXPENT0000000001"
ADDRESS = "上海市上海市浦东新区世纪大道 100 号"
# 2026-11-11 00:00:05 in Beijing
PAID_AT = datetime(2026, 11, 10, 16, 0, 3, tzinfo=UTC)
DRAFTED_AT = datetime(2026, 11, 10, 16, 0, 5, tzinfo=UTC)
SHIPPED_AT = datetime(2026, 11, 13, 1, 30, 0, tzinfo=UTC)


def order_facts(**changes: Any) -> OrderFacts:
    facts = OrderFacts(
        order_no="KJ0000000042",
        platform=PLATFORM,
        seller=SELLER,
        payment_company=PAYMENT_COMPANY,
        goods=42600,
        freight=3550,
        discount=0,
        tax=8255,
        paid=54405,
        buyer_reg_no="17",
        buyer_name="李娜",
        buyer_telephone="13800138000",
        buyer_id_number="11010519491231002X",
        pay_transaction_id="sandbox_0123456789abcdef",
        consignee="李娜",
        consignee_telephone="13800138000",
        consignee_address=ADDRESS,
        lines=[
            OrderLineFacts(
                item_no="NAPA-CAB-2021",
                item_name="纳帕谷赤霞珠干红葡萄酒 2021",
                gmodel="Napa Valley Cabernet Sauvignon 2021",
                quantity=2,
                unit_price=21300,
                total_price=42600,
            )
        ],
    )
    return replace(facts, **changes)


def payment_facts(**changes: Any) -> PaymentFacts:
    facts = PaymentFacts(
        order_no="KJ0000000042",
        platform=PLATFORM,
        payment_company=PAYMENT_COMPANY,
        pay_transaction_id="sandbox_0123456789abcdef",
        payer_name="李娜",
        payer_id_number="11010519491231002X",
        telephone="13800138000",
        amount_paid=54405,
        paid_at=PAID_AT,
    )
    return replace(facts, **changes)


def waybill_facts(**changes: Any) -> WaybillFacts:
    facts = WaybillFacts(
        order_no="KJ0000000042",
        logistics=LOGISTICS,
        logistics_no="SF1234567890",
        freight=3550,
        weight_grams=2800,
        goods_info="纳帕谷赤霞珠干红葡萄酒 2021",
        consignee="李娜",
        consignee_address=ADDRESS,
        consignee_telephone="13800138000",
    )
    return replace(facts, **changes)


def envelope(guid: str, sender: Party, at: datetime = DRAFTED_AT) -> Envelope:
    return Envelope(guid=guid, app_time=at, sender=sender, dxp_id=DXP_ID)


def receipt_xml(kind: str, fields: dict[str, str], *, prefix: str = "") -> bytes:
    """A receipt as the e-port writes it: the CEB namespace as the default (or a prefix)."""
    root, body = {
        "CEB312": ("CEB312Message", "OrderReturn"),
        "CEB412": ("CEB412Message", "PaymentReturn"),
        "CEB512": ("CEB512Message", "LogisticsReturn"),
    }[kind]
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    inner = "".join(f"<{p}{name}>{value}</{p}{name}>" for name, value in fields.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<{p}{root} guid="C49D69D2-2544-4C8F-96E6-F82C65C1CA0C" version="1.0" '
        f'{xmlns}="http://www.chinaport.gov.cn/ceb"><{p}{body}>{inner}</{p}{body}></{p}{root}>'
    ).encode()
