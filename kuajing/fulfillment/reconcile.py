"""A provider's daily bill checked against our payments, refunds and the ledger, and each
transaction's fee posted from it.

Our records are what the bill is checked against, row by row:

- a payment row names our payment (out_trade_no) through that provider: none is "missing here";
  one not captured is "not captured here"; otherwise its amount, its transaction number
  (Payment.reference) and the capture's yuan in provider_clearing must be the bill's;
- a refund row names our refund (its request number): none, or one of a payment through another
  provider, is "missing here"; a failed one "refund failed here" (pending is fine: the provider
  has accepted it); otherwise its amount and the refund's yuan in provider_clearing;
- our captured payments and succeeded refunds through that provider on the bill's days (Beijing)
  that no row names are "not in the bill". Our times are when we learned of the money (the
  notification, the refund's answer): a payment made at 23:59:59 and captured just after
  midnight is on the provider's bill for one day and ours for the next.

Posting fees is idempotent by the entry's key (`fee:<provider>:<trade_no>` for a payment,
`…:<trade_no>:<request_no>` for a refund), so importing a bill twice posts each fee once. A
transaction the provider has already settled in dollars gets no yuan fee from its bill: the
settlement posted the fee it charged (and gives back a yuan fee posted before it).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.ledger import postings
from kuajing.ledger import service as ledger_service
from kuajing.ledger.accounts import PROVIDER_CLEARING
from kuajing.models import Payment, Refund
from kuajing.payment import service as payment_service
from kuajing.payment.bills import Bill, BillRow
from kuajing.payment.providers import payment_id_of, yuan_text


class DifferenceKind(StrEnum):
    missing_here = "missing here"
    not_captured_here = "not captured here"
    refund_failed_here = "refund failed here"
    twice_in_bill = "twice in the bill"
    amount_differs = "amount differs"
    trade_no_differs = "trade number differs"
    not_in_ledger = "not in the ledger"
    ledger_differs = "ledger amount differs"
    not_in_bill = "not in the bill"
    does_not_add_up = "row does not add up"


@dataclass(frozen=True, slots=True)
class Difference:
    kind: DifferenceKind
    provider: str
    our_id: str  # "payment 12", "refund 3"; "" when we have nothing
    provider_no: str  # the provider's transaction number (and our refund request number)
    ours: str  # what our records (or the ledger) say; "" for nothing
    theirs: str  # what the bill says; "" for nothing


@dataclass(frozen=True, slots=True)
class Reconciliation:
    provider: str
    days: tuple[date, date]
    rows: int  # payment and refund rows read
    skipped: int  # rows of other kinds
    matched: int  # rows that agree with our records in full
    differences: tuple[Difference, ...]
    fees: int  # fen: the bill's fees, less those given back
    fees_posted: int  # fee entries written by this run

    @property
    def clean(self) -> bool:
        return not self.differences


def signed_yuan(fen: int) -> str:
    return ("-" if fen < 0 else "") + yuan_text(abs(fen))


def fee_reference(row: BillRow) -> str:
    """What names a row's fee in its ledger key: its transaction, and the refund's request."""
    return row.trade_no if row.kind == "payment" else f"{row.trade_no}:{row.request_no}"


class _Clearing:
    """The yuan each capture and refund moved in provider_clearing, read an order at a time."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._by_order: dict[int, dict[str, int]] = {}

    async def posted(self, *, order_id: int, key: str) -> int | None:
        if order_id not in self._by_order:
            sums: dict[str, int] = {}
            for line in await ledger_service.order_lines(self._session, order_id=order_id):
                if line.account == PROVIDER_CLEARING.code:
                    sums[line.key] = sums.get(line.key, 0) + line.debit - line.credit
            self._by_order[order_id] = sums
        return self._by_order[order_id].get(key)


def _provider_no(row: BillRow) -> str:
    return row.trade_no if row.kind == "payment" else f"{row.trade_no} ({row.request_no})"


async def _check_payment(
    row: BillRow, payment: Payment | None, seen: set[int], clearing: _Clearing
) -> list[Difference]:
    def differs(kind: DifferenceKind, ours: str, theirs: str) -> Difference:
        return Difference(
            kind, row.provider, f"payment {payment.id}" if payment else "", row.trade_no, ours, theirs
        )

    if payment is None:
        return [differs(DifferenceKind.missing_here, "", yuan_text(row.amount))]
    if payment.provider != row.provider:
        return [differs(DifferenceKind.missing_here, f"through {payment.provider}", yuan_text(row.amount))]
    if payment.id in seen:
        return [differs(DifferenceKind.twice_in_bill, "", f"line {row.line}")]
    seen.add(payment.id)
    if payment.status != "captured":
        return [differs(DifferenceKind.not_captured_here, payment.status, "paid")]
    found = []
    if payment.amount != row.amount:
        found.append(differs(DifferenceKind.amount_differs, yuan_text(payment.amount), yuan_text(row.amount)))
    if payment.reference != row.trade_no:
        found.append(differs(DifferenceKind.trade_no_differs, payment.reference or "", row.trade_no))
    # the capture's entry: kuajing.ledger.postings.capture
    posted = await clearing.posted(order_id=payment.order_id, key=f"capture:payment:{payment.id}")
    if posted is None:
        found.append(differs(DifferenceKind.not_in_ledger, "", yuan_text(row.amount)))
    elif posted != row.amount:
        found.append(differs(DifferenceKind.ledger_differs, signed_yuan(posted), yuan_text(row.amount)))
    return found


async def _check_refund(
    row: BillRow, refund: Refund | None, payment: Payment | None, seen: set[str], clearing: _Clearing
) -> list[Difference]:
    def differs(kind: DifferenceKind, ours: str, theirs: str) -> Difference:
        return Difference(
            kind, row.provider, f"refund {refund.id}" if refund else "", _provider_no(row), ours, theirs
        )

    if refund is None or payment is None:
        return [differs(DifferenceKind.missing_here, "", yuan_text(row.amount))]
    if payment.provider != row.provider:
        return [differs(DifferenceKind.missing_here, f"through {payment.provider}", yuan_text(row.amount))]
    if refund.request_no in seen:
        return [differs(DifferenceKind.twice_in_bill, "", f"line {row.line}")]
    seen.add(refund.request_no)
    if refund.status == "failed":
        return [differs(DifferenceKind.refund_failed_here, refund.failure or "failed", "refunded")]
    found = []
    if refund.amount != row.amount:
        found.append(differs(DifferenceKind.amount_differs, yuan_text(refund.amount), yuan_text(row.amount)))
    if payment.reference != row.trade_no:
        found.append(differs(DifferenceKind.trade_no_differs, payment.reference or "", row.trade_no))
    # the refund's entry: kuajing.ledger.postings.refund (a credit to the clearing account)
    posted = await clearing.posted(order_id=refund.order_id, key=f"refund:{refund.id}")
    if posted is None:
        found.append(differs(DifferenceKind.not_in_ledger, "", yuan_text(row.amount)))
    elif -posted != row.amount:
        found.append(differs(DifferenceKind.ledger_differs, signed_yuan(-posted), yuan_text(row.amount)))
    return found


async def reconcile(
    session: AsyncSession, bill: Bill, *, days: tuple[date, date], post_fees: bool, now: datetime
) -> Reconciliation:
    """Check `bill` (covering `days`) against our records and the ledger; with `post_fees`, post
    each row's non-zero fee once (in the caller's transaction)."""
    provider = bill.provider
    payment_rows = [row for row in bill.rows if row.kind == "payment"]
    refund_rows = [row for row in bill.rows if row.kind == "refund"]
    payments = await payment_service.payments_by_id(
        session, [id_ for row in payment_rows if (id_ := payment_id_of(row.out_trade_no)) is not None]
    )
    refunds = await payment_service.refunds_by_request_no(
        session, [row.request_no or "" for row in refund_rows]
    )
    refunded = await payment_service.payments_by_id(
        session, [refund.payment_id for refund in refunds.values()]
    )

    clearing = _Clearing(session)
    seen_payments: set[int] = set()
    seen_refunds: set[str] = set()
    differences: list[Difference] = []
    matched = 0
    order_of_row: dict[int, int] = {}
    settlement_of_row: dict[int, str] = {}
    for row in bill.rows:
        refund = None
        if row.kind == "payment":
            payment_id = payment_id_of(row.out_trade_no)
            payment = payments.get(payment_id) if payment_id is not None else None
            found = await _check_payment(row, payment, seen_payments, clearing)
        else:
            refund = refunds.get(row.request_no or "")
            payment = refunded.get(refund.payment_id) if refund else None
            found = await _check_refund(row, refund, payment, seen_refunds, clearing)
        if payment is not None and payment.provider == provider:
            order_of_row[row.line] = payment.order_id
            settlement_of_row[row.line] = postings.settlement_key(
                provider, payment_id=payment.id, refund_id=refund.id if refund is not None else None
            )
        differences += found
        if not found:
            matched += 1

    for captured in await payment_service.captured_on(session, provider=provider, days=days):
        if captured.id not in seen_payments:
            differences.append(
                Difference(
                    DifferenceKind.not_in_bill,
                    provider,
                    f"payment {captured.id}",
                    captured.reference or "",
                    yuan_text(captured.amount),
                    "",
                )
            )
    for succeeded in await payment_service.refunded_on(session, provider=provider, days=days):
        if succeeded.request_no not in seen_refunds:
            differences.append(
                Difference(
                    DifferenceKind.not_in_bill,
                    provider,
                    f"refund {succeeded.id}",
                    f"({succeeded.request_no})",
                    yuan_text(succeeded.amount),
                    "",
                )
            )

    posted = 0
    if post_fees:
        posted = await _post_fees(session, bill.rows, order_of_row, settlement_of_row, now=now)
    return Reconciliation(
        provider=provider,
        days=days,
        rows=len(bill.rows),
        skipped=bill.skipped,
        matched=matched,
        differences=tuple(differences),
        fees=sum(row.fee for row in bill.rows),
        fees_posted=posted,
    )


async def _post_fees(
    session: AsyncSession,
    rows: Sequence[BillRow],
    order_of_row: dict[int, int],
    settlement_of_row: dict[int, str],
    *,
    now: datetime,
) -> int:
    """Each row's fee, once: the provider took it whether or not the row matched ours. Not a
    transaction the provider already settled in dollars: its settlement posted the fee charged."""
    posted = 0
    for row in rows:
        settled = settlement_of_row.get(row.line)
        if settled is not None and await ledger_service.is_posted(session, key=settled):
            continue
        posting = postings.provider_fee(
            provider=row.provider,
            trade_no=fee_reference(row),
            amount=row.fee,
            order_id=order_of_row.get(row.line),
        )
        if posting is not None and await ledger_service.post(session, posting, now=row.at or now):
            posted += 1
    return posted
