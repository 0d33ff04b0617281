"""A provider's settlement posted to the books: for each transaction it settled, the yuan it
converted leave its clearing account, the dollars it paid reach the platform's bank, its fee is
an expense, and the difference between its rate and the order's is FX gain or loss.

A row is posted only when it adds up (Settlement + Fee = Amount, and Amount is Rmb_amount at
the row's Rate to the cent: columns read wrongly would otherwise post an invented gain) and
agrees with our records: it names our payment (or refund) through that provider, with its
transaction number, and converts exactly the yuan we took (or gave back). Any other row is a
difference, reported and not posted; the rest are posted in the same transaction. Posting is
idempotent by the entry's key, made of our own ids (`settle:<provider>:payment:<id>`,
`…:refund:<id>`), so a file imported twice, or naming a payment as "12" and "012", posts once.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.fulfillment.reconcile import Difference, DifferenceKind, signed_yuan
from kuajing.kit.money import minor_text, round_half_up
from kuajing.ledger import postings
from kuajing.ledger import service as ledger_service
from kuajing.ledger.accounts import PROVIDER_FEES
from kuajing.models import Order, Payment, Refund
from kuajing.order import service as order_service
from kuajing.payment import service as payment_service
from kuajing.payment.providers import payment_id_of, yuan_text
from kuajing.payment.settlements import Settlement, SettlementRow


@dataclass(frozen=True, slots=True)
class SettlementReport:
    provider: str
    rows: int
    skipped: int
    posted: int  # entries written by this run
    already: int  # rows posted by an earlier run
    differences: tuple[Difference, ...]
    # of the entries this run wrote:
    rmb: int  # fen converted, refunds less
    settled_usd: int  # cents paid, refunds less
    fees_usd: int
    gain_usd: int  # FX gain (negative: loss)

    @property
    def clean(self) -> bool:
        return not self.differences


def booked_usd(rmb: int, rate: Decimal) -> int:
    """Cents of `rmb` fen at an order's rate (yuan per dollar), rounded half up."""
    return round_half_up(Decimal(rmb) / rate)


def _usd(cents: int) -> str:
    return ("-" if cents < 0 else "") + minor_text(abs(cents)) + " USD"


async def _bill_fee(session: AsyncSession, row: SettlementRow, request_no: str | None) -> int:
    """The yuan fee a daily bill posted for this transaction (net debit to provider_fees), 0 if none."""
    # the key kuajing.fulfillment.reconcile gives a bill's fee entry
    reference = row.trade_no if request_no is None else f"{row.trade_no}:{request_no}"
    return sum(
        line.debit - line.credit
        for line in await ledger_service.entry_lines(session, key=postings.fee_key(row.provider, reference))
        if line.account == PROVIDER_FEES.code and line.currency == "CNY"
    )


def _adds_up(row: SettlementRow) -> Difference | None:
    """Settlement + Fee = Amount, and Amount = Rmb_amount / Rate to the cent."""
    converted = round_half_up(Decimal(row.rmb_amount) / row.rate)
    if row.settled + row.fee == row.amount and abs(converted - row.amount) <= 1:
        return None
    return Difference(
        DifferenceKind.does_not_add_up,
        row.provider,
        "",
        f"{row.trade_no} ({row.reference})",
        f"{minor_text(row.rmb_amount)} CNY / {row.rate} = {minor_text(converted)}",
        f"{minor_text(row.settled)} + {minor_text(row.fee)} fee, of {minor_text(row.amount)}",
    )


def _agrees(
    row: SettlementRow, payment: Payment | None, refund: Refund | None, our_id: str
) -> list[Difference]:
    def differs(kind: DifferenceKind, ours: str, theirs: str) -> Difference:
        named = f"{row.trade_no} ({row.reference})"
        return Difference(kind, row.provider, our_id if payment else "", named, ours, theirs)

    if payment is None or (row.kind == "refund" and refund is None):
        return [differs(DifferenceKind.missing_here, "", yuan_text(row.rmb_amount))]
    if payment.provider != row.provider:
        elsewhere = f"through {payment.provider}"
        return [differs(DifferenceKind.missing_here, elsewhere, yuan_text(row.rmb_amount))]
    if payment.status != "captured":
        return [differs(DifferenceKind.not_captured_here, payment.status, "settled")]
    found = []
    if refund is not None and refund.status != "succeeded":
        found.append(differs(DifferenceKind.refund_failed_here, refund.status, "settled"))
    ours = refund.amount if refund is not None else payment.amount
    if ours != row.rmb_amount:
        found.append(differs(DifferenceKind.amount_differs, yuan_text(ours), yuan_text(row.rmb_amount)))
    if payment.reference != row.trade_no:
        found.append(differs(DifferenceKind.trade_no_differs, payment.reference or "", row.trade_no))
    return found


async def settle(session: AsyncSession, settlement: Settlement) -> SettlementReport:
    """Post each row of `settlement` that agrees with our records (in the caller's transaction)
    and report every one that does not."""
    payment_rows = [row for row in settlement.rows if row.kind == "payment"]
    refund_rows = [row for row in settlement.rows if row.kind == "refund"]
    refunds = await payment_service.refunds_by_request_no(session, [row.reference for row in refund_rows])
    payments = await payment_service.payments_by_id(
        session,
        [id_ for row in payment_rows if (id_ := payment_id_of(row.reference)) is not None]
        + [refund.payment_id for refund in refunds.values()],
    )
    orders: dict[int, Order] = {}
    differences: list[Difference] = []
    seen: set[str] = set()
    posted = already = rmb = settled_usd = fees_usd = gain_usd = 0
    for row in settlement.rows:
        refund = refunds.get(row.reference) if row.kind == "refund" else None
        if row.kind == "refund":
            payment = payments.get(refund.payment_id) if refund is not None else None
            our_id = f"refund {refund.id}" if refund is not None else ""
        else:
            payment_id = payment_id_of(row.reference)
            payment = payments.get(payment_id) if payment_id is not None else None
            our_id = f"payment {payment.id}" if payment is not None else ""
        if our_id and our_id in seen:
            twice = Difference(
                DifferenceKind.twice_in_bill, row.provider, our_id, row.trade_no, "", f"line {row.line}"
            )
            differences.append(twice)
            continue
        inconsistent = _adds_up(row)
        if inconsistent is not None:
            differences.append(inconsistent)
            continue
        seen.add(our_id)
        found = _agrees(row, payment, refund, our_id)
        if found:
            differences += found
            continue
        assert payment is not None
        if payment.order_id not in orders:
            orders[payment.order_id] = await order_service.reload(session, payment.order_id)
        order = orders[payment.order_id]
        settled = postings.Settled(
            provider=row.provider,
            reference=row.reference,
            refund=row.kind == "refund",
            rmb=row.rmb_amount,
            booked_usd=booked_usd(row.rmb_amount, order.fx_rate),
            settled_usd=row.settled,
            fee_usd=row.fee,
            bill_fee_cny=await _bill_fee(session, row, refund.request_no if refund is not None else None),
        )
        posting = postings.settlement(
            settled,
            order_id=order.id,
            payment_id=payment.id,
            refund_id=refund.id if refund is not None else None,
        )
        if not await ledger_service.post(session, posting, now=row.settled_at):
            already += 1
            continue
        posted += 1
        sign = -1 if settled.refund else 1
        rmb += sign * settled.rmb
        settled_usd += sign * settled.settled_usd
        fees_usd += sign * settled.fee_usd
        gain_usd += sign * settled.gain_usd
    return SettlementReport(
        provider=settlement.provider,
        rows=len(settlement.rows),
        skipped=settlement.skipped,
        posted=posted,
        already=already,
        differences=tuple(differences),
        rmb=rmb,
        settled_usd=settled_usd,
        fees_usd=fees_usd,
        gain_usd=gain_usd,
    )


def summary(report: SettlementReport) -> str:
    """One line for the operator: what was read, posted, and what it came to."""
    read = f"{report.rows} row{'' if report.rows == 1 else 's'} read"
    if report.skipped:
        read += f" ({report.skipped} of other types skipped)"
    return ", ".join(
        [
            read,
            f"{report.posted} posted",
            f"{report.already} posted before",
            f"{len(report.differences)} difference{'' if len(report.differences) == 1 else 's'}",
            f"posted now: {signed_yuan(report.rmb)} CNY converted",
            f"{_usd(report.settled_usd)} paid",
            f"fees {_usd(report.fees_usd)}",
            f"FX {'gain' if report.gain_usd >= 0 else 'loss'} {_usd(abs(report.gain_usd))}",
        ]
    )
