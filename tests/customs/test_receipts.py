"""Reading receipt files: what is understood, and what is refused with a reason."""

from datetime import datetime

import pytest

from kuajing.customs.receipts import Outcome, ReceiptError, outcome_of, parse
from kuajing.kit.time import BEIJING
from tests.customs.factories import receipt_xml

# none of these depends on the database
pytestmark = pytest.mark.once


def test_an_order_receipt_in_the_default_namespace_is_read():
    content = receipt_xml(
        "CEB312",
        {
            "guid": "4f2011fc-4ed0-478c-b190-22e76ef8b78a",
            "ebpCode": "3101960KJP",
            "ebcCode": "3101969NPA",
            "orderNo": "KJ0000000042",
            "returnStatus": "120",
            "returnTime": "20261111000105123",
            "returnInfo": "入库成功",
        },
    )
    [receipt] = parse(content)
    assert (receipt.answers, receipt.guid, receipt.sender_code, receipt.key_field, receipt.key) == (
        "CEB311",
        "4f2011fc-4ed0-478c-b190-22e76ef8b78a",
        "3101960KJP",
        "orderNo",
        "KJ0000000042",
    )
    assert receipt.return_time == datetime(2026, 11, 11, 0, 1, 5, 123000, tzinfo=BEIJING)
    assert (receipt.return_status, receipt.outcome, receipt.return_info) == (
        120,
        Outcome.accepted,
        "入库成功",
    )


def test_payment_and_waybill_receipts_with_a_prefix_are_read():
    [payment] = parse(
        receipt_xml(
            "CEB412",
            {
                "guid": "X",
                "payCode": "3101960PAY",
                "payTransactionId": "sandbox_1",
                "returnStatus": "100",
                "returnTime": "20261111000105",
                "returnInfo": "退单",
            },
            prefix="ceb",
        )
    )
    assert (payment.answers, payment.key, payment.outcome) == ("CEB411", "sandbox_1", Outcome.rejected)
    [waybill] = parse(
        receipt_xml(
            "CEB512",
            {
                "logisticsCode": "3101960LOG",
                "logisticsNo": "SF1",
                "returnStatus": "2",
                "returnTime": "20261111000105",
            },
        )
    )
    assert (waybill.answers, waybill.guid, waybill.key, waybill.outcome) == (
        "CEB511",
        None,
        "SF1",
        Outcome.progress,
    )


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (1, "progress"),
        (2, "progress"),
        (3, "progress"),
        (4, "rejected"),
        (100, "rejected"),
        (-301, "rejected"),
    ]
    + [(120, "accepted"), (399, "accepted")],
)
def test_return_status_codes(status, outcome):
    assert outcome_of(status) == outcome


BASE = {
    "ebpCode": "3101960KJP",
    "orderNo": "KJ0000000042",
    "returnStatus": "120",
    "returnTime": "20261111000105",
}


ENTITY_IN_RETURN_INFO = receipt_xml("CEB312", {**BASE, "returnInfo": "退单 &x; 结束"}).replace(
    b"<CEB312Message", b'<!DOCTYPE CEB312Message [<!ENTITY x "EXPANDED">]><CEB312Message', 1
)
EXTERNAL_ENTITY = receipt_xml("CEB312", {**BASE, "returnInfo": "&x;"}).replace(
    b"<CEB312Message",
    b'<!DOCTYPE CEB312Message [<!ENTITY x SYSTEM "file:///etc/hostname">]><CEB312Message',
    1,
)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not xml at all", "not well-formed XML"),
        (b"<a/>", "not a CEB312/412/512 receipt"),
        (b'<CEB312Message xmlns="http://www.chinaport.gov.cn/ceb"/>', "holds no OrderReturn"),
        (b'<CEB311Message xmlns="http://www.chinaport.gov.cn/ceb"/>', "not a CEB312/412/512 receipt"),
        (receipt_xml("CEB312", {**BASE, "returnStatus": "ok"}), "returnStatus 'ok' is not a number"),
        (receipt_xml("CEB312", {**BASE, "returnStatus": "800"}), "unknown returnStatus 800"),
        (receipt_xml("CEB312", {**BASE, "returnTime": "2026"}), "returnTime '2026'"),
        (receipt_xml("CEB312", {**BASE, "returnTime": "20261399000105"}), "not a real time"),
        (receipt_xml("CEB312", {k: v for k, v in BASE.items() if k != "orderNo"}), "orderNo is missing"),
        # beyond what the columns hold: refused here, not a database error on every round
        (receipt_xml("CEB312", {**BASE, "orderNo": "KJ9999999999"}), "'KJ9999999999' is not a kuajing order"),
        (receipt_xml("CEB312", {**BASE, "returnStatus": "-10000000000"}), "'-10000000000' is out of range"),
        (receipt_xml("CEB312", {**BASE, "guid": "A" * 37}), "guid is longer than 36 characters"),
        (receipt_xml("CEB312", {**BASE, "ebpCode": "K" * 19}), "ebpCode is longer than 18 characters"),
        (receipt_xml("CEB412", {**BASE, "payCode": "P", "payTransactionId": "x" * 61}), "longer than 60"),
        # a real receipt whose returnInfo leans on an entity: refused whole, never expanded
        (ENTITY_IN_RETURN_INFO, "must not carry a DOCTYPE"),
        (EXTERNAL_ENTITY, "must not carry a DOCTYPE"),
        (b" " * 1_000_001, "larger than"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(content, reason):
    with pytest.raises(ReceiptError, match=reason):
        parse(content)
