"""The providers' daily bills read into rows in our terms, and the payment records a bill is
checked against.

Reading is pure (`read_bill`: bytes -> Bill). Columns are found by their header's name, never
by position; extra columns are ignored; the text may be UTF-8 (with or without a BOM) or GBK
(decoded as GB18030, its superset); the file may be the CSV alone or as downloaded (Alipay's
zip, WeChat Pay's gzip).

Alipay: alipay.data.dataservice.bill.downloadurl.query with bill_type "trade" answers the URL of
a zip holding `<pid>_<date>_业务明细.csv` and `<pid>_<date>_业务明细(汇总).csv`. The detail, GBK:

    #支付宝业务明细查询
    #账号：[20880000000000000156]
    #起始日期：[2026年11月11日 00:00:00]   终止日期：[2026年11月12日 00:00:00]
    #-----------------------------------------业务明细列表----------------------------------------
    支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,…,订单金额（元）,商家实收（元）,…,
        退款批次号/请求号,服务费（元）,分润（元）,备注
    2026111122001400000000000001\t,12\t,交易\t,…,544.05,544.05,…,\t,-3.26,0.00,…
    2026111122001400000000000001\t,12\t,退款\t,…,-272.03,-272.03,…,12-0-27203\t,1.63,0.00,…
    #-----------------------------------------业务明细列表结束------------------------------------
    #交易合计：1笔，商家实收共544.05元，商家优惠共0.00元
    #退款合计：1笔，商家实收退款共-272.03元，商家优惠退款共0.00元
    #导出时间：[2026年11月12日 10:20:36]

Relied on: 支付宝交易号 (trade_no), 商户订单号 (our out_trade_no: the payment id), 业务类型 (交易
a payment, 退款 a refund; other rows are counted as skipped), 完成时间 (else 创建时间), 订单金额（元）
(the refund's amount, negative, on a refund row), 退款批次号/请求号 (our out_request_no, refund
rows), 服务费（元） (optional), and the 起始日期/终止日期 comment for the days the bill covers (end
exclusive). Values may end in a tab (Alipay's guard against spreadsheets), which is stripped.
Confidence: high for the layout, the column names, the encoding and the signs of the amounts
(many independent readers of real bills agree); Alipay's own page describes the API, not the
file. Low for the sign of 服务费: samples show it both ways, so its size is taken and the row
says its direction (charged on a payment, given back on a refund). `signcustomer` answers the
account bill (账务明细: 账务流水号, 收入金额, 支出金额…), which is refused, not guessed at.

WeChat Pay: GET /v3/bill/tradebill (bill_type ALL; tar_type GZIP optional) answers a
download_url; the file is a header line, detail lines whose every value starts with a backtick,
then a summary header (总交易单数,应结订单总金额,…) and its line:

    交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,
        货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,
        商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
    `2026-11-11 10:00:05,`wx…,`1900000109,`0,`,`4200001…,`000012,`o…,`NATIVE,`SUCCESS,…,`3.26430,`0.60%,…
    总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
    `1,`544.05,`0.00,`0.00,`3.26430,`544.05,`0.00

Relied on: 交易时间, 微信订单号 (trade_no; a refund row keeps the payment's), 商户订单号 (our
out_trade_no: the payment id zero-padded to six digits), 交易状态 (SUCCESS a payment, REFUND a
refund; REVOKED and others skipped), 订单金额 (else 应结订单金额), 商户退款单号 (our
out_refund_no), 申请退款金额 (else 退款金额), 手续费 (optional). The file does not state its day:
the days are those of its rows (WeChat Pay's day runs 00:00-24:00 Beijing; a payment is dated
when it succeeded, a refund when WeChat Pay accepted it), or the operator's --date.
Confidence: high for the header, the backticks, the summary block and the statuses (WeChat
Pay's format page and many readers agree). Medium for the fee: bills print 手续费 to five
decimals (0.01000, 3.26430), rounded here half up to the fen, as WeChat Pay settles it (not
stated in the pages read); refund rows print it negative. 订单金额 and 申请退款金额 came with
later bill versions, hence the fallbacks.
"""

import codecs
import csv
import gzip
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from kuajing.errors import InvalidInput
from kuajing.kit.money import round_half_up
from kuajing.kit.time import BEIJING

RowKind = Literal["payment", "refund"]


class UnreadableBill(InvalidInput):
    code = "unreadable_bill"


@dataclass(frozen=True, slots=True)
class BillRow:
    provider: str
    kind: RowKind
    trade_no: str  # the provider's transaction number (on a refund row, the payment's)
    out_trade_no: str  # ours
    request_no: str | None  # our refund request number (refund rows)
    amount: int  # fen, positive: what was paid, or refunded
    fee: int  # fen: charged (> 0) on a payment, given back (< 0) on a refund
    at: datetime | None  # when, Beijing time
    line: int  # where in the file


@dataclass(frozen=True, slots=True)
class Bill:
    provider: str
    rows: tuple[BillRow, ...]
    stated_days: tuple[date, date] | None  # first and last day the file says it covers
    skipped: int  # rows that are neither a payment nor a refund


# reading ------------------------------------------------------------------------------------------

_TIME = "%Y-%m-%d %H:%M:%S"
_ALIPAY_STATED = re.compile(r"(起始日期|终止日期)[：:]\s*\[([^\]]*)\]")
_ALIPAY_KINDS: Mapping[str, RowKind] = {"交易": "payment", "退款": "refund"}
_WECHATPAY_KINDS: Mapping[str, RowKind] = {"SUCCESS": "payment", "REFUND": "refund"}


def read_bill(data: bytes) -> Bill:
    """Alipay's 业务明细 or WeChat Pay's trade bill, whichever `data` is; UnreadableBill if neither."""
    records = list(_records(_text(_unpacked(data))))
    header = next(((line, cells) for line, cells in records if not _comment(cells)), None)
    if header is None:
        raise UnreadableBill(message="The file holds no table: it is empty or only comments.")
    line, names = header
    if "支付宝交易号" in names:
        return _alipay(records, names, start=line)
    if "微信订单号" in names:
        return _wechatpay(records, names, start=line)
    if "账务流水号" in names:
        raise UnreadableBill(
            message="This is Alipay's account bill (signcustomer, 账务明细); "
            "reconcile the trade bill's 业务明细 (bill_type trade)."
        )
    raise UnreadableBill(
        message=f"Line {line} is not the header of Alipay's 业务明细 (支付宝交易号,…) "
        "or of WeChat Pay's trade bill (交易时间,…,微信订单号,…)."
    )


def bill_days(bill: Bill, given: date | None) -> tuple[date, date]:
    """The days (Beijing) the bill covers: what it states, else `given`, else its rows' days."""
    if bill.stated_days is not None:
        if given is not None and (given, given) != bill.stated_days:
            first, last = bill.stated_days
            raise UnreadableBill(
                message=f"The bill covers {first}"
                + (f" to {last}" if last != first else "")
                + f", not --date {given}."
            )
        return bill.stated_days
    if given is not None:
        return given, given
    days = sorted(row.at.date() for row in bill.rows if row.at is not None)
    if not days:
        raise UnreadableBill(message="The bill does not say which day it covers: give --date YYYY-MM-DD.")
    return days[0], days[-1]


def _unpacked(data: bytes) -> bytes:
    if data.startswith(b"PK\x03\x04"):
        try:
            # names without the UTF-8 flag are GBK in Alipay's zips
            with zipfile.ZipFile(io.BytesIO(data), metadata_encoding="gbk") as archive:
                details = [
                    info for info in archive.infolist() if not info.is_dir() and "汇总" not in info.filename
                ]
                if len(details) != 1:
                    names = ", ".join(info.filename for info in archive.infolist())
                    raise UnreadableBill(
                        message=f"The zip should hold one 业务明细 CSV besides 汇总: {names}"
                    )
                return archive.read(details[0])
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UnreadableBill(message=f"The zip cannot be opened: {exc}") from exc
    if data.startswith(b"\x1f\x8b"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise UnreadableBill(message=f"The gzip cannot be opened: {exc}") from exc
    return data


def _text(data: bytes) -> str:
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" not in data:
        for encoding in ("utf-8", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise UnreadableBill(message="The file is not text in UTF-8 or GBK.")


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cleaned cells) of every non-blank line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            cleaned = [_clean(cell) for cell in cells]
            if any(cleaned):
                yield reader.line_num, cleaned
    except csv.Error as exc:
        raise UnreadableBill(message=f"Line {reader.line_num}: {exc}") from exc


def _clean(cell: str) -> str:
    # WeChat Pay prefixes values with a backtick, Alipay suffixes some with a tab
    return cell.strip().removeprefix("`").strip()


def _column_name(name: str) -> str:
    return name.replace("(", "（").replace(")", "）")  # (元) and （元） alike


def _comment(cells: Sequence[str]) -> bool:
    return cells[0].startswith("#")


class _Columns:
    def __init__(self, names: Sequence[str], *, line: int, required: Iterable[str]) -> None:
        # the first of two columns of one name
        self._index = {_column_name(name): index for index, name in reversed(list(enumerate(names)))}
        missing = [name for name in required if name not in self._index]
        if missing:
            raise UnreadableBill(message=f"Line {line}: the header has no {', '.join(missing)} column.")

    def has(self, name: str) -> bool:
        return name in self._index

    def get(self, cells: Sequence[str], name: str) -> str:
        index = self._index.get(name)
        return cells[index] if index is not None and index < len(cells) else ""


def _fen(text: str, *, line: int, column: str, exact: bool = True) -> int:
    """Signed fen of a yuan amount; to the fen exactly, or (exact=False) rounded half up."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or (exact and value * 100 != (value * 100).to_integral_value()):
        raise UnreadableBill(message=f"Line {line}: {column} {text!r} is not an amount in yuan.")
    return round_half_up(value * 100)


def _fee(text: str, kind: RowKind, *, line: int, column: str) -> int:
    size = abs(_fen(text, line=line, column=column, exact=False)) if text else 0
    return size if kind == "payment" else -size


def _time(text: str, *, line: int, column: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, _TIME).replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise UnreadableBill(message=f"Line {line}: {column} {text!r} is not a time.") from exc


def _required(text: str, *, line: int, column: str) -> str:
    if not text:
        raise UnreadableBill(message=f"Line {line}: {column} is empty.")
    return text


def _alipay(records: Sequence[tuple[int, list[str]]], names: list[str], *, start: int) -> Bill:
    columns = _Columns(
        names, line=start, required=("支付宝交易号", "商户订单号", "业务类型", "订单金额（元）")
    )
    stated: dict[str, datetime] = {}
    rows: list[BillRow] = []
    skipped = 0
    in_table = True
    for line, cells in records:
        if _comment(cells):
            for label, text in _ALIPAY_STATED.findall(",".join(cells)):
                try:
                    stated[label] = datetime.strptime(" ".join(text.split()), "%Y年%m月%d日 %H:%M:%S")
                except ValueError as exc:
                    raise UnreadableBill(message=f"Line {line}: {label} {text!r} is not a time.") from exc
            if line > start:
                in_table = False
            continue
        if line <= start or not in_table:
            continue
        kind = _ALIPAY_KINDS.get(columns.get(cells, "业务类型"))
        if kind is None:
            skipped += 1
            continue
        request_no = columns.get(cells, "退款批次号/请求号")
        rows.append(
            BillRow(
                provider="alipay",
                kind=kind,
                trade_no=_required(columns.get(cells, "支付宝交易号"), line=line, column="支付宝交易号"),
                out_trade_no=_required(columns.get(cells, "商户订单号"), line=line, column="商户订单号"),
                request_no=(
                    _required(request_no, line=line, column="退款批次号/请求号") if kind == "refund" else None
                ),
                amount=abs(_fen(columns.get(cells, "订单金额（元）"), line=line, column="订单金额（元）")),
                fee=_fee(columns.get(cells, "服务费（元）"), kind, line=line, column="服务费（元）"),
                at=_time(
                    columns.get(cells, "完成时间") or columns.get(cells, "创建时间"),
                    line=line,
                    column="完成时间",
                ),
                line=line,
            )
        )
    days = None
    if "起始日期" in stated and "终止日期" in stated:
        first, end = stated["起始日期"].date(), (stated["终止日期"] - timedelta(seconds=1)).date()
        days = (first, max(first, end))
    return Bill(provider="alipay", rows=tuple(rows), stated_days=days, skipped=skipped)


def _wechatpay(records: Sequence[tuple[int, list[str]]], names: list[str], *, start: int) -> Bill:
    columns = _Columns(
        names,
        line=start,
        required=("交易时间", "微信订单号", "商户订单号", "交易状态", "应结订单金额"),
    )
    amount_column = "订单金额" if columns.has("订单金额") else "应结订单金额"
    refund_column = "申请退款金额" if columns.has("申请退款金额") else "退款金额"
    rows: list[BillRow] = []
    skipped = 0
    for line, cells in records:
        if line <= start:
            continue
        if cells[0] == "总交易单数":  # the summary block ends the detail
            break
        kind = _WECHATPAY_KINDS.get(columns.get(cells, "交易状态"))
        if kind is None:
            skipped += 1
            continue
        amount = refund_column if kind == "refund" else amount_column
        rows.append(
            BillRow(
                provider="wechatpay",
                kind=kind,
                trade_no=_required(columns.get(cells, "微信订单号"), line=line, column="微信订单号"),
                out_trade_no=_required(columns.get(cells, "商户订单号"), line=line, column="商户订单号"),
                request_no=(
                    _required(columns.get(cells, "商户退款单号"), line=line, column="商户退款单号")
                    if kind == "refund"
                    else None
                ),
                amount=abs(
                    _fen(
                        _required(columns.get(cells, amount), line=line, column=amount),
                        line=line,
                        column=amount,
                    )
                ),
                fee=_fee(columns.get(cells, "手续费"), kind, line=line, column="手续费"),
                at=_time(columns.get(cells, "交易时间"), line=line, column="交易时间"),
                line=line,
            )
        )
    return Bill(provider="wechatpay", rows=tuple(rows), stated_days=None, skipped=skipped)


# the days a bill covers --------------------------------------------------------------------------


def day_bounds(days: tuple[date, date]) -> tuple[datetime, datetime]:
    """[start, end) in UTC of Beijing days first..last."""
    first, last = days
    return (
        datetime.combine(first, time(), BEIJING).astimezone(UTC),
        datetime.combine(last + timedelta(days=1), time(), BEIJING).astimezone(UTC),
    )
