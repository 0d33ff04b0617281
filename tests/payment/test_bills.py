"""Reading the providers' daily bills: Alipay's 业务明细 (GBK or UTF-8, alone or in its zip) and
WeChat Pay's trade bill (backticks, a summary block, alone or gzipped) into rows in fen, columns
found by name; and every way a file is refused with the line that is wrong."""

import gzip
import io
import zipfile
from datetime import date, datetime

import pytest

from kuajing.kit.time import BEIJING
from kuajing.payment.bills import Bill, BillRow, UnreadableBill, bill_days, read_bill
from tests.payment.factories import (
    ALIPAY_HEADER,
    WECHATPAY_HEADER,
    alipay_bill,
    alipay_row,
    wechatpay_bill,
    wechatpay_row,
)

pytestmark = pytest.mark.once  # pure: no database

DAY = date(2026, 11, 11)
TRADE_1 = "2026111122001400000000000001"
TRADE_2 = "2026111122001400000000000002"
WX_1 = "4200001202611110000000000001"
WX_2 = "4200001202611110000000000002"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


ALIPAY_ROWS = [
    # the fee's sign differs between bills seen in the wild: its size is the fee either way
    alipay_row(TRADE_1, "12", "544.05", fee="-3.26"),
    alipay_row(TRADE_2, "13", "0.01", fee="0.00", at="2026-11-11 23:59:59"),
    alipay_row(
        TRADE_1, "12", "272.03", kind="退款", fee="1.63", request_no="12-0-27203", at="2026-11-11 12:00:00"
    ),
    alipay_row(TRADE_2, "13", "0.01", kind="冻结"),  # neither a payment nor a refund
]
ALIPAY_EXPECTED = Bill(
    provider="alipay",
    rows=(
        BillRow("alipay", "payment", TRADE_1, "12", None, 54405, 326, _at("2026-11-11 10:00:05"), 6),
        BillRow("alipay", "payment", TRADE_2, "13", None, 1, 0, _at("2026-11-11 23:59:59"), 7),
        BillRow("alipay", "refund", TRADE_1, "12", "12-0-27203", 27203, -163, _at("2026-11-11 12:00:00"), 8),
    ),
    stated_days=(DAY, DAY),
    skipped=1,
)


class _GbkNamed(zipfile.ZipInfo):
    """A member named as Alipay's zips name theirs: in GBK, without the UTF-8 flag."""

    def _encodeFilenameFlags(self):  # zipfile's own (private) hook for a name's bytes
        return self.filename.encode("gbk"), self.flag_bits


def _zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(_GbkNamed(name), content)
    return buffer.getvalue()


def test_alipays_gbk_detail_reads_into_payments_and_refunds_in_fen_for_its_stated_day():
    data = alipay_bill(DAY, ALIPAY_ROWS)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # GBK indeed

    assert read_bill(data) == ALIPAY_EXPECTED
    assert bill_days(read_bill(data), None) == (DAY, DAY)
    assert bill_days(read_bill(data), DAY) == (DAY, DAY)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b"\xef\xbb\xbf" + alipay_bill(DAY, ALIPAY_ROWS, encoding="utf-8"), id="utf-8 with a BOM"
        ),
        pytest.param(alipay_bill(DAY, ALIPAY_ROWS, encoding="utf-8"), id="utf-8"),
        pytest.param(
            _zipped(
                {
                    "20880000000000000156_20261111_业务明细.csv": alipay_bill(DAY, ALIPAY_ROWS),
                    "20880000000000000156_20261111_业务明细(汇总).csv": "#支付宝业务汇总查询\n".encode("gbk"),
                }
            ),
            id="the zip as downloaded",
        ),
        pytest.param(
            alipay_bill(DAY, ALIPAY_ROWS, header=ALIPAY_HEADER.replace("（", "(").replace("）", ")")),
            id="ascii parentheses in the header",
        ),
        pytest.param(
            alipay_bill(
                DAY,
                [row + ",新列" for row in ALIPAY_ROWS],
                header=ALIPAY_HEADER + ",以后的列",
            ),
            id="a column added later",
        ),
    ],
)
def test_alipays_detail_reads_the_same_in_utf_8_in_its_zip_and_with_columns_it_may_grow(data):
    assert read_bill(data) == ALIPAY_EXPECTED


WECHATPAY_ROWS = [
    wechatpay_row(WX_1, "000012", "544.05", fee="3.26430"),
    wechatpay_row(WX_2, "000013", "0.83", fee="0.00500", at="2026-11-11 23:59:59"),  # half a fen: 1
    wechatpay_row(
        WX_1,
        "000012",
        "272.03",
        status="REFUND",
        fee="1.63215",
        refund_id="50300001",
        out_refund_no="12-0-27203",
    ),
    wechatpay_row("4200001202611110000000000003", "000014", "1.00", status="REVOKED"),
]
WECHATPAY_EXPECTED = Bill(
    provider="wechatpay",
    rows=(
        BillRow("wechatpay", "payment", WX_1, "000012", None, 54405, 326, _at("2026-11-11 10:00:05"), 2),
        BillRow("wechatpay", "payment", WX_2, "000013", None, 83, 1, _at("2026-11-11 23:59:59"), 3),
        BillRow(
            "wechatpay", "refund", WX_1, "000012", "12-0-27203", 27203, -163, _at("2026-11-11 10:00:05"), 4
        ),
    ),
    stated_days=None,
    skipped=1,
)


def _reordered(order: list[str]) -> bytes:
    """The bill's columns in `order` (a name it lacks filled with `0.00)."""
    names = WECHATPAY_HEADER.split(",")
    index = [names.index(name) if name in names else None for name in order]
    rows = [
        ",".join(row.split(",")[i] if i is not None else "`0.00" for i in index) for row in WECHATPAY_ROWS
    ]
    return wechatpay_bill(rows, header=",".join(order))


def test_wechat_pays_trade_bill_reads_into_payments_and_refunds_with_fees_to_the_fen():
    data = wechatpay_bill(WECHATPAY_ROWS)

    assert read_bill(data) == WECHATPAY_EXPECTED
    # the file does not state its day: its rows', or the operator's
    assert bill_days(read_bill(data), None) == (DAY, DAY)
    assert bill_days(read_bill(data), date(2026, 11, 12)) == (date(2026, 11, 12), date(2026, 11, 12))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(wechatpay_bill(WECHATPAY_ROWS, encoding="gbk"), id="gbk"),
        pytest.param(gzip.compress(wechatpay_bill(WECHATPAY_ROWS)), id="gzip (tar_type GZIP)"),
        pytest.param(
            # the columns in another order, and the two discount columns some bills carry
            _reordered(
                WECHATPAY_HEADER.replace(
                    "手续费,费率,订单金额,申请退款金额,费率备注",
                    "手续费,订单金额,申请退款金额,费率,订单优惠金额,退款优惠金额,费率备注",
                ).split(",")
            ),
            id="columns moved and added",
        ),
    ],
)
def test_wechat_pays_trade_bill_reads_the_same_in_gbk_gzipped_and_with_columns_moved(data):
    assert read_bill(data) == WECHATPAY_EXPECTED


def test_an_older_wechat_pay_bill_without_order_and_requested_amounts_reads_the_settled_ones():
    older = WECHATPAY_HEADER.removesuffix(",订单金额,申请退款金额,费率备注")
    rows = [row.rsplit(",", 3)[0] for row in WECHATPAY_ROWS]

    assert read_bill(wechatpay_bill(rows, header=older)) == WECHATPAY_EXPECTED


def test_a_bills_day_is_refused_when_it_cannot_be_told_or_disagrees_with_the_date_given():
    with pytest.raises(UnreadableBill) as unknown:
        bill_days(read_bill(wechatpay_bill([])), None)
    assert unknown.value.message == "The bill does not say which day it covers: give --date YYYY-MM-DD."
    assert bill_days(read_bill(wechatpay_bill([])), DAY) == (DAY, DAY)

    with pytest.raises(UnreadableBill) as other:
        bill_days(read_bill(alipay_bill(DAY, [])), date(2026, 11, 12))
    assert other.value.message == "The bill covers 2026-11-11, not --date 2026-11-12."
    assert (other.value.status, other.value.code) == (422, "unreadable_bill")


def _alipay_text(*rows: str, header: str = ALIPAY_HEADER) -> bytes:
    return alipay_bill(DAY, list(rows), header=header)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file holds no table: it is empty or only comments."),
        (
            "#支付宝业务明细查询\n#账号：[2088]\n".encode("gbk"),
            "The file holds no table: it is empty or only comments.",
        ),
        (b"\x00\x01\x02PNG", "The file is not text in UTF-8 or GBK."),
        (b"\x80\xff\xfe", "The file is not text in UTF-8 or GBK."),
        (
            b"order,amount\n12,544.05\n",
            "Line 1 is not the header of Alipay's 业务明细 (支付宝交易号,…) "
            "or of WeChat Pay's trade bill (交易时间,…,微信订单号,…).",
        ),
        (
            "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）\n".encode(
                "gbk"
            ),
            "This is Alipay's account bill (signcustomer, 账务明细); "
            "reconcile the trade bill's 业务明细 (bill_type trade).",
        ),
        (
            _alipay_text(header=ALIPAY_HEADER.replace("订单金额（元）", "金额")),
            "Line 5: the header has no 订单金额（元） column.",
        ),
        (
            _alipay_text(alipay_row(TRADE_1, "12", "5.4.4")),
            "Line 6: 订单金额（元） '5.4.4' is not an amount in yuan.",
        ),
        (
            _alipay_text(alipay_row(TRADE_1, "12", "544.055")),
            "Line 6: 订单金额（元） '544.055' is not an amount in yuan.",
        ),
        (_alipay_text(alipay_row(TRADE_1, "12", "")), "Line 6: 订单金额（元） '' is not an amount in yuan."),
        (
            _alipay_text(alipay_row(TRADE_1, "12", "1.00", fee="abc")),
            "Line 6: 服务费（元） 'abc' is not an amount in yuan.",
        ),
        (_alipay_text(alipay_row("", "12", "1.00")), "Line 6: 支付宝交易号 is empty."),
        (_alipay_text(alipay_row(TRADE_1, "12", "1.00", kind="退款")), "Line 6: 退款批次号/请求号 is empty."),
        (
            _alipay_text(alipay_row(TRADE_1, "12", "1.00", at="11/11/2026 10:00")),
            "Line 6: 完成时间 '11/11/2026 10:00' is not a time.",
        ),
        (
            wechatpay_bill([wechatpay_row(WX_1, "000012", "1.00", status="REFUND")]),
            "Line 2: 商户退款单号 is empty.",
        ),
        (
            wechatpay_bill([wechatpay_row(WX_1, "000012", "1.00", at="2026-11-31 10:00:00")]),
            "Line 2: 交易时间 '2026-11-31 10:00:00' is not a time.",
        ),
        (
            wechatpay_bill([], header=WECHATPAY_HEADER.replace("交易状态", "状态")),
            "Line 1: the header has no 交易状态 column.",
        ),
        (b"PK\x03\x04 not really a zip", "The zip cannot be opened: File is not a zip file"),
        (
            _zipped({"a_业务明细.csv": b"", "b_业务明细.csv": b""}),
            "The zip should hold one 业务明细 CSV besides 汇总: a_业务明细.csv, b_业务明细.csv",
        ),
        (
            gzip.compress(wechatpay_bill([]))[:-6],  # cut short
            "The gzip cannot be opened: Compressed file ended before the end-of-stream marker was reached",
        ),
    ],
)
def test_a_file_that_is_not_a_bill_we_can_read_is_refused_with_the_line_that_is_wrong(data, message):
    with pytest.raises(UnreadableBill) as refused:
        read_bill(data)
    assert refused.value.message == message
