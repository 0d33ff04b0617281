"""Journal entries built from money events, as pure functions: each is balanced in every
currency before anything is written (`Posting.__post_init__` refuses one that is not).

Capture of an order's payment (all in minor units):

    Dr provider_clearing[provider]  CNY total
    Cr cbec_tax_payable             CNY tax
    Cr fx_conversion                CNY goods + freight
    Dr fx_conversion                USD goods + freight (the seller's own dollar prices)
    Cr commission_revenue           USD commission
    Cr seller_pending[seller]       USD goods + freight - commission

Delivery moves the seller's pending dollars to payable; a refund reverses its share of each.

A provider's settlement of one transaction converts the yuan it holds to dollars at its rate:

    Cr provider_clearing[provider]  CNY yuan converted
    Dr fx_conversion                CNY yuan converted
    Cr fx_conversion                USD the same yuan at the order's rate (booked)
    Dr payout_bank                  USD dollars paid to us
    Dr provider_fees[provider]      USD the provider's fee
    Cr fx_gain_loss                 USD paid + fee - booked (a debit when negative: a loss)
    Dr provider_clearing[provider]  CNY } a yuan fee the daily bill stated for the transaction,
    Cr provider_fees[provider]      CNY } given back: the dollar fee is the one charged

A settled refund is the same with every side turned over (its fee is one given back).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kuajing.ledger.accounts import (
    CBEC_TAX_PAYABLE,
    COMMISSION_REVENUE,
    FX_CONVERSION,
    FX_GAIN_LOSS,
    PAYOUT_BANK,
    PROVIDER_CLEARING,
    PROVIDER_FEES,
    SELLER_PAYABLE,
    SELLER_PENDING,
    Account,
)


class Unbalanced(ValueError):
    """An entry whose debits and credits differ in some currency: a bug, never posted."""


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    party: str
    currency: str
    debit: int = 0
    credit: int = 0


@dataclass(frozen=True, slots=True)
class Posting:
    key: str
    kind: str
    memo: str
    lines: tuple[Line, ...]
    order_id: int | None = None
    payment_id: int | None = None
    refund_id: int | None = None
    payout_id: int | None = None

    def __post_init__(self) -> None:
        if not self.lines:
            raise Unbalanced(f"{self.key}: an entry needs lines")
        totals: dict[str, int] = defaultdict(int)
        for line in self.lines:
            if line.debit < 0 or line.credit < 0 or (line.debit == 0) == (line.credit == 0):
                raise Unbalanced(f"{self.key}: each line is one positive debit or credit: {line}")
            totals[line.currency] += line.debit - line.credit
        if off := {currency: total for currency, total in totals.items() if total}:
            raise Unbalanced(f"{self.key}: debits and credits differ by {off}")


@dataclass
class _Lines:
    """Collects sides; a zero amount adds no line, a negative one goes to the other side."""

    lines: list[Line] = field(default_factory=list)

    def debit(self, account: Account, currency: str, amount: int, party: str = "") -> None:
        if amount > 0:
            self.lines.append(Line(account.code, party, currency, debit=amount))
        elif amount < 0:
            self.lines.append(Line(account.code, party, currency, credit=-amount))

    def credit(self, account: Account, currency: str, amount: int, party: str = "") -> None:
        self.debit(account, currency, -amount, party)


@dataclass(frozen=True, slots=True)
class Split:
    """What a payment (or a refund of part of it) is made of, in yuan and in dollars."""

    total: int  # CNY: goods + freight + tax
    tax: int  # CNY
    goods_and_freight: int  # CNY
    goods_and_freight_usd: int  # USD: the seller's prices and shipping fee
    commission_usd: int

    @property
    def seller_net_usd(self) -> int:
        return self.goods_and_freight_usd - self.commission_usd


def _money_lines(split: Split, *, provider: str, seller: str, owed: Account, sign: int) -> list[Line]:
    lines = _Lines()
    lines.debit(PROVIDER_CLEARING, "CNY", sign * split.total, provider)
    lines.credit(CBEC_TAX_PAYABLE, "CNY", sign * split.tax)
    lines.credit(FX_CONVERSION, "CNY", sign * split.goods_and_freight)
    lines.debit(FX_CONVERSION, "USD", sign * split.goods_and_freight_usd)
    lines.credit(COMMISSION_REVENUE, "USD", sign * split.commission_usd)
    lines.credit(owed, "USD", sign * split.seller_net_usd, seller)
    return lines.lines


def capture(*, payment_id: int, order_id: int, provider: str, seller_id: int, split: Split) -> Posting:
    return Posting(
        key=f"capture:payment:{payment_id}",
        kind="capture",
        memo=f"order {order_id} paid through {provider}",
        lines=tuple(
            _money_lines(split, provider=provider, seller=str(seller_id), owed=SELLER_PENDING, sign=1)
        ),
        order_id=order_id,
        payment_id=payment_id,
    )


def refund(
    *,
    refund_id: int,
    payment_id: int,
    order_id: int,
    provider: str,
    seller_id: int,
    split: Split,
    delivered: bool,
) -> Posting:
    """The reverse of a capture for the refunded share; the seller's dollars come back from what
    is pending, or (once delivered) from what is payable."""
    owed = SELLER_PAYABLE if delivered else SELLER_PENDING
    return Posting(
        key=f"refund:{refund_id}",
        kind="refund",
        memo=f"refund {refund_id} of order {order_id} through {provider}",
        lines=tuple(_money_lines(split, provider=provider, seller=str(seller_id), owed=owed, sign=-1)),
        order_id=order_id,
        payment_id=payment_id,
        refund_id=refund_id,
    )


def delivery(*, order_id: int, seller_id: int, pending_usd: int) -> Posting | None:
    """The seller's pending dollars for a delivered order become payable (None if nothing is)."""
    if pending_usd == 0:
        return None
    lines = _Lines()
    lines.debit(SELLER_PENDING, "USD", pending_usd, str(seller_id))
    lines.credit(SELLER_PAYABLE, "USD", pending_usd, str(seller_id))
    return Posting(
        key=f"deliver:order:{order_id}",
        kind="delivery",
        memo=f"order {order_id} delivered: the seller's dollars become payable",
        lines=tuple(lines.lines),
        order_id=order_id,
    )


def fee_key(provider: str, trade_no: str) -> str:
    """The key of a provider's fee entry on one transaction (`trade_no`, and for a refund
    `<trade_no>:<request_no>`)."""
    return f"fee:{provider}:{trade_no}"[:80]


def provider_fee(*, provider: str, trade_no: str, amount: int, order_id: int | None = None) -> Posting | None:
    """A provider's fee on one transaction (its bill states it), taken from what it holds for us."""
    if amount == 0:
        return None
    lines = _Lines()
    lines.debit(PROVIDER_FEES, "CNY", amount, provider)
    lines.credit(PROVIDER_CLEARING, "CNY", amount, provider)
    return Posting(
        key=fee_key(provider, trade_no),
        kind="provider_fee",
        memo=f"{provider} fee on {trade_no}",
        lines=tuple(lines.lines),
        order_id=order_id,
    )


def settlement_key(provider: str, *, payment_id: int, refund_id: int | None = None) -> str:
    """The key of a provider's settlement of one payment, or of one refund of it."""
    named = f"refund:{refund_id}" if refund_id is not None else f"payment:{payment_id}"
    return f"settle:{provider}:{named}"


@dataclass(frozen=True, slots=True)
class Settled:
    """One transaction as the provider settled it; amounts unsigned, in minor units."""

    provider: str
    reference: str  # as the provider names it: our payment id, or our refund request number
    refund: bool  # money the provider took back
    rmb: int  # yuan converted
    booked_usd: int  # the same yuan at the order's rate
    settled_usd: int  # dollars paid (taken back, for a refund)
    fee_usd: int
    bill_fee_cny: int = 0  # a yuan fee posted from the daily bill for it, replaced by fee_usd

    @property
    def gain_usd(self) -> int:
        return self.settled_usd + self.fee_usd - self.booked_usd


def settlement(
    settled: Settled,
    *,
    order_id: int,
    payment_id: int,
    refund_id: int | None = None,
) -> Posting:
    """The yuan a provider converted for one transaction and the dollars it paid: the difference
    from the order's rate is FX gain or loss. A yuan fee the daily bill stated for it before is
    given back (Dr provider_clearing, Cr provider_fees, in yuan), since the settlement's dollar
    fee is the one charged."""
    sign = -1 if settled.refund else 1
    lines = _Lines()
    lines.credit(PROVIDER_CLEARING, "CNY", sign * settled.rmb, settled.provider)
    lines.debit(FX_CONVERSION, "CNY", sign * settled.rmb)
    lines.credit(FX_CONVERSION, "USD", sign * settled.booked_usd)
    lines.debit(PAYOUT_BANK, "USD", sign * settled.settled_usd)
    lines.debit(PROVIDER_FEES, "USD", sign * settled.fee_usd, settled.provider)
    lines.credit(FX_GAIN_LOSS, "USD", sign * settled.gain_usd)
    lines.debit(PROVIDER_CLEARING, "CNY", settled.bill_fee_cny, settled.provider)
    lines.credit(PROVIDER_FEES, "CNY", settled.bill_fee_cny, settled.provider)
    what = f"refund {settled.reference}" if settled.refund else f"payment {settled.reference}"
    return Posting(
        key=settlement_key(settled.provider, payment_id=payment_id, refund_id=refund_id),
        kind="settlement",
        memo=f"{settled.provider} settled {what} of order {order_id} in USD",
        lines=tuple(lines.lines),
        order_id=order_id,
        payment_id=payment_id,
        refund_id=refund_id,
    )


def payout(*, payout_id: int, seller_id: int, amount_usd: int) -> Posting:
    """Dollars paid to a seller from the platform's bank: what is payable goes down."""
    lines = _Lines()
    lines.debit(SELLER_PAYABLE, "USD", amount_usd, str(seller_id))
    lines.credit(PAYOUT_BANK, "USD", amount_usd)
    return Posting(
        key=f"payout:{payout_id}",
        kind="payout",
        memo=f"payout {payout_id} to seller {seller_id}",
        lines=tuple(lines.lines),
        payout_id=payout_id,
    )


def totals(lines: Iterable[Line]) -> dict[tuple[str, str], tuple[int, int]]:
    """(account, currency) -> (debits, credits)."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        pair = sums[(line.account, line.currency)]
        pair[0] += line.debit
        pair[1] += line.credit
    return {key: (debit, credit) for key, (debit, credit) in sums.items()}
