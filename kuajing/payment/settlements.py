"""A provider's settlement file read into rows in our terms: what it converted from yuan, at
what rate, and what it paid us in dollars after its fee.

Reading is pure (`read_settlement`: bytes -> Settlement). An overseas merchant of Alipay's
cross-border acquiring (product NEW_OVERSEAS_SELLER, settle_currency USD) is paid in its own
currency; each settlement cycle's file (fetched from Alipay's SFTP, or the global merchant
portal) lists what was settled, one transaction a line, `|`-separated under a header line:

    Partner_transaction_id|Transaction_id|Amount|Rmb_amount|Fee|Settlement|Rmb_settlement|Currency|
        Rate|Payment_time|Settlement_time|Type|Status|Remarks
    12|2026111122001400000000000001|76.63|544.05|0.77|75.86|538.61|USD|7.10000000|
        2026-11-11 10:00:05|2026-11-13 16:50:00|P|L|

Relied on, by the header's names (any order, any case, extra columns ignored):
Partner_transaction_id (ours: the payment id on a payment, our refund request number on a
refund), Transaction_id (Alipay's trade number), Amount (the settlement currency), Rmb_amount
(yuan), Fee (the settlement currency), Settlement (what is paid, the settlement currency),
Currency, Rate, Settlement_time (Beijing, "YYYY-MM-DD HH:MM:SS"), Type (P a payment, R a
refund; other types are skipped), Status when present (L liquidated; other states skipped).
Amounts are unsigned; a refund row is money the provider takes back, and its Fee a fee given
back (an assumption: the page does not say, and a refund's fee is 0.00 in every sample).
Confidence: medium. The columns, their meaning and the P/R types are those of Alipay's
published settlement-file format for cross-border acquiring (docs.antom.com, "Settlement file",
SFTP variant); no real file was seen. Reading is kept to the columns; whether a row adds up
(Settlement + Fee = Amount, Amount = Rmb_amount / Rate) is checked where it is posted
(kuajing.fulfillment.settlements), so a row that does not is reported rather than refused with
the whole file. (The page's own example, written by hand, does not add up.)
"""

import codecs
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from kuajing.errors import InvalidInput
from kuajing.kit.money import round_half_up
from kuajing.kit.time import BEIJING

RowKind = Literal["payment", "refund"]

_REQUIRED = (
    "partner_transaction_id",
    "transaction_id",
    "amount",
    "rmb_amount",
    "fee",
    "settlement",
    "currency",
    "rate",
    "settlement_time",
    "type",
)
_KINDS: Mapping[str, RowKind] = {"P": "payment", "PAYMENT": "payment", "R": "refund", "REFUND": "refund"}
_TIME = "%Y-%m-%d %H:%M:%S"
# the currencies the books hold besides yuan: a settlement in any other is refused, not guessed at
BOOKED_CURRENCIES = ("USD",)
MAX_AMOUNT = Decimal(10) ** 10  # a row of ten billion is a misread column, not a payment
# Status: L (liquidated) in the SFTP file, SETTLED in other variants; a row in any other state
# has not been paid out and is skipped
_SETTLED = ("L", "SETTLED", "")


class UnreadableSettlement(InvalidInput):
    code = "unreadable_settlement"


@dataclass(frozen=True, slots=True)
class SettlementRow:
    provider: str
    kind: RowKind
    reference: str  # ours: the payment id (payment rows) or the refund request number (refunds)
    trade_no: str  # the provider's transaction number
    rmb_amount: int  # fen converted (positive)
    amount: int  # the same in the settlement currency's minor units, at the provider's rate
    fee: int  # minor units of the settlement currency the provider kept
    settled: int  # minor units of the settlement currency paid to us
    currency: str
    rate: Decimal  # yuan per unit of the settlement currency, as the provider states it
    settled_at: datetime  # Beijing time
    line: int


@dataclass(frozen=True, slots=True)
class Settlement:
    provider: str
    rows: tuple[SettlementRow, ...]
    skipped: int  # rows of other types (cancellations, reversals)


def read_settlement(data: bytes) -> Settlement:
    """Alipay's cross-border settlement file; UnreadableSettlement if it is not one."""
    text = _text(data)
    records = [(number, cells) for number, cells in _records(text) if any(cells)]
    if not records:
        raise UnreadableSettlement(message="The file holds no table: it is empty.")
    start, names = records[0]
    index = {name.strip().lower(): position for position, name in reversed(list(enumerate(names)))}
    missing = [name for name in _REQUIRED if name not in index]
    if missing:
        raise UnreadableSettlement(
            message=f"Line {start} is not the header of Alipay's settlement file: "
            f"it has no {', '.join(name.capitalize() for name in missing)} column."
        )

    def cell(cells: Sequence[str], name: str) -> str:
        position = index[name]
        return cells[position].strip() if position < len(cells) else ""

    rows: list[SettlementRow] = []
    skipped = 0
    for line, cells in records[1:]:
        kind = _KINDS.get(cell(cells, "type").upper())
        status = cell(cells, "status").upper() if "status" in index else ""
        if kind is None or status not in _SETTLED:
            skipped += 1
            continue
        currency = cell(cells, "currency").upper()
        if currency not in BOOKED_CURRENCIES:
            raise UnreadableSettlement(
                message=f"Line {line}: settled in {currency or 'no currency'}; "
                f"the books take settlements in {', '.join(BOOKED_CURRENCIES)}."
            )
        rows.append(
            SettlementRow(
                provider="alipay",
                kind=kind,
                reference=_required(
                    cell(cells, "partner_transaction_id"), line=line, column="Partner_transaction_id"
                ),
                trade_no=_required(cell(cells, "transaction_id"), line=line, column="Transaction_id"),
                rmb_amount=_minor(cell(cells, "rmb_amount"), line=line, column="Rmb_amount"),
                amount=_minor(cell(cells, "amount"), line=line, column="Amount"),
                fee=_minor(cell(cells, "fee") or "0", line=line, column="Fee"),
                settled=_minor(cell(cells, "settlement"), line=line, column="Settlement"),
                currency=currency,
                rate=_rate(cell(cells, "rate"), line=line),
                settled_at=_time(cell(cells, "settlement_time"), line=line),
                line=line,
            )
        )
    return Settlement(provider="alipay", rows=tuple(rows), skipped=skipped)


def _text(data: bytes) -> str:
    data = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in data:
        raise UnreadableSettlement(message="The file is not text.")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableSettlement(message="The file is not text in UTF-8 or GBK.")


def _records(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="|", quoting=csv.QUOTE_NONE)
    try:
        return [(reader.line_num, [value.strip() for value in cells]) for cells in reader]
    except csv.Error as exc:
        raise UnreadableSettlement(message=f"Line {reader.line_num}: {exc}") from exc


def _required(text: str, *, line: int, column: str) -> str:
    if not text:
        raise UnreadableSettlement(message=f"Line {line}: {column} is empty.")
    return text


def _minor(text: str, *, line: int, column: str) -> int:
    """Minor units of an unsigned amount with at most two decimals, under MAX_AMOUNT."""
    try:
        value = Decimal(text)
        cents = value * 100
        exact = value.is_finite() and 0 <= value < MAX_AMOUNT and cents == cents.to_integral_value()
    except ArithmeticError:  # not a number, or one too large to scale
        exact = False
    if not exact:
        raise UnreadableSettlement(message=f"Line {line}: {column} {text!r} is not an amount to the cent.")
    return round_half_up(value * 100)


def _rate(text: str, *, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value < 1000:
        raise UnreadableSettlement(message=f"Line {line}: Rate {text!r} is not an exchange rate.")
    return value


def _time(text: str, *, line: int) -> datetime:
    try:
        return datetime.strptime(text, _TIME).replace(tzinfo=BEIJING)
    except ValueError as exc:
        raise UnreadableSettlement(
            message=f"Line {line}: Settlement_time {text!r} is not a time (YYYY-MM-DD HH:MM:SS)."
        ) from exc
