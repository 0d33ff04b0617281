"""The three messages against hand-written golden files, and the schemas that guard them."""

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from kuajing.customs import messages
from kuajing.customs.messages import InvalidCustomsMessage, OrderLineFacts, canonical
from tests.customs.factories import (
    LOGISTICS,
    PAYMENT_COMPANY,
    PLATFORM,
    SHIPPED_AT,
    envelope,
    order_facts,
    payment_facts,
    waybill_facts,
)

# none of these depends on the database
pytestmark = pytest.mark.once

FIXTURES = Path(__file__).parent / "fixtures"
NS = {"ceb": messages.NAMESPACE}


def golden(name: str) -> bytes:
    return canonical((FIXTURES / name).read_bytes())


def test_ceb311_matches_the_golden_file():
    # given the design's wine order, fixed guid and time
    facts = order_facts()
    # when
    xml = messages.build_ceb311(facts, envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM))
    # then
    assert canonical(xml) == golden("ceb311.xml")


def test_ceb411_matches_the_golden_file():
    xml = messages.build_ceb411(
        payment_facts(), envelope("2A3B4C5D-6E7F-4081-92A3-B4C5D6E7F809", PAYMENT_COMPANY)
    )
    assert canonical(xml) == golden("ceb411.xml")


def test_ceb511_matches_the_golden_file():
    xml = messages.build_ceb511(
        waybill_facts(), envelope("7C8D9E0F-1A2B-4C3D-8E4F-5A6B7C8D9E0F", LOGISTICS, SHIPPED_AT)
    )
    assert canonical(xml) == golden("ceb511.xml")


def test_order_head_fields_are_in_the_2018_order():
    xml = messages.build_ceb311(order_facts(), envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM))
    head = etree.fromstring(xml).find("ceb:Order/ceb:OrderHead", NS)
    names = [etree.QName(child).localname for child in head]
    assert names[names.index("buyerName") + 1] == "buyerTelephone"
    line = etree.fromstring(xml).find("ceb:Order/ceb:OrderList", NS)
    line_names = [etree.QName(child).localname for child in line]
    assert line_names[:4] == ["gnum", "itemNo", "itemName", "gmodel"]


def _valid_order() -> etree._Element:
    xml = messages.build_ceb311(order_facts(), envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM))
    return etree.fromstring(xml)


def _head_field(root: etree._Element, name: str) -> etree._Element:
    return root.find(f"ceb:Order/ceb:OrderHead/ceb:{name}", NS)


def _remove_buyer_id(root):
    field = _head_field(root, "buyerIdNumber")
    field.getparent().remove(field)


def _swap_goods_and_freight(root):
    goods = _head_field(root, "goodsValue")
    freight = _head_field(root, "freight")
    goods.addprevious(freight)


def _overlong_seller_code(root):
    _head_field(root, "ebcCode").text = "1234567890123456789"


def _three_decimal_tax(root):
    _head_field(root, "taxTotal").text = "82.550"


def _wrong_currency(root):
    _head_field(root, "currency").text = "502"


def _lowercase_guid(root):
    _head_field(root, "guid").text = "9f1c2b3a-4d5e-4f60-8a7b-1c2d3e4f5a6b"


@pytest.mark.parametrize(
    "break_it",
    [
        _remove_buyer_id,
        _swap_goods_and_freight,
        _overlong_seller_code,
        _three_decimal_tax,
        _wrong_currency,
        _lowercase_guid,
    ],
)
def test_the_schema_refuses_a_broken_order(break_it):
    # given a message that passes
    root = _valid_order()
    messages.validate("CEB311", etree.tostring(root))
    # when one thing is broken
    break_it(root)
    # then the schema says no
    with pytest.raises(InvalidCustomsMessage, match="CEB311 fails its schema"):
        messages.validate("CEB311", etree.tostring(root))


def test_the_payment_and_waybill_schemas_refuse_three_decimals():
    xml = messages.build_ceb411(
        payment_facts(), envelope("2A3B4C5D-6E7F-4081-92A3-B4C5D6E7F809", PAYMENT_COMPANY)
    )
    root = etree.fromstring(xml)
    root.find("ceb:Payment/ceb:PaymentHead/ceb:amountPaid", NS).text = "544.050"
    with pytest.raises(InvalidCustomsMessage):
        messages.validate("CEB411", etree.tostring(root))
    xml = messages.build_ceb511(waybill_facts(), envelope("7C8D9E0F-1A2B-4C3D-8E4F-5A6B7C8D9E0F", LOGISTICS))
    root = etree.fromstring(xml)
    root.find("ceb:Logistics/ceb:LogisticsHead/ceb:orderNo", NS).getparent().remove(
        root.find("ceb:Logistics/ceb:LogisticsHead/ceb:orderNo", NS)
    )
    with pytest.raises(InvalidCustomsMessage, match="CEB511 fails its schema"):
        messages.validate("CEB511", etree.tostring(root))


def test_a_builder_never_returns_a_message_its_schema_refuses():
    with pytest.raises(InvalidCustomsMessage, match="ebcName"):
        messages.build_ceb311(
            order_facts(seller=messages.Party("3101969NPA", "N" * 101)),
            envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM),
        )


def test_paid_must_be_goods_plus_freight_plus_tax_minus_discount():
    with pytest.raises(InvalidCustomsMessage, match="acturalPaid 54406"):
        messages.build_ceb311(
            order_facts(paid=54406), envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM)
        )
    # a discount lowers what is paid, to the fen
    xml = messages.build_ceb311(
        order_facts(discount=1005, paid=53400), envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM)
    )
    head = etree.fromstring(xml).find("ceb:Order/ceb:OrderHead", NS)
    assert [head.find(f"ceb:{n}", NS).text for n in ("goodsValue", "freight", "taxTotal", "discount")] == [
        "426.00",
        "35.50",
        "82.55",
        "10.05",
    ]
    assert head.find("ceb:acturalPaid", NS).text == "534.00"


def test_the_lines_must_add_up_to_the_goods_value():
    line = OrderLineFacts("A", "甲", "A", quantity=3, unit_price=100, total_price=301)
    with pytest.raises(InvalidCustomsMessage, match="price × qty"):
        messages.check_order_amounts(order_facts(goods=301, paid=301 + 3550 + 8255, lines=[line]))
    with pytest.raises(InvalidCustomsMessage, match="goodsValue 42601"):
        messages.check_order_amounts(order_facts(goods=42601, paid=42601 + 3550 + 8255))


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "0.00"), (5, "0.05"), (54405, "544.05"), (100, "1.00"), (123456789012, "1234567890.12")],
)
def test_yuan_has_exactly_two_decimals(fen, text):
    assert messages.yuan(fen) == text


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_yuan_is_exact_for_every_amount(fen):
    text = messages.yuan(fen)
    assert len(text.split(".")[1]) == 2
    assert Decimal(text) * 100 == fen


def test_times_are_beijing_and_numbers_are_stable():
    assert messages.app_time(SHIPPED_AT) == "20261113093000"
    assert messages.order_no(42) == "KJ0000000042"
    assert messages.order_id_of("KJ0000000042") == 42
    assert messages.order_id_of("KJ42") is None
    assert messages.item_no("S" * 30, 7) == "S" * 30
    assert messages.item_no("S" * 31, 7) == "KJP0000000007"
    assert messages.kilograms(2800) == "2.800"
    assert messages.goods_info(["甲" * 150, "乙" * 100]) == "甲" * 150 + "；" + "乙" * 48 + "…"


def test_control_characters_never_reach_the_xml():
    facts = order_facts(consignee="李\x01娜")
    xml = messages.build_ceb311(facts, envelope("9F1C2B3A-4D5E-4F60-8A7B-1C2D3E4F5A6B", PLATFORM))
    assert etree.fromstring(xml).find("ceb:Order/ceb:OrderHead/ceb:consignee", NS).text == "李娜"
