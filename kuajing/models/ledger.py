"""The double-entry ledger: balanced journal entries in minor units per currency, append-only,
and the platform's commission as dated data rows with their source."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, ExactDecimal, UTCDateTime


class JournalEntry(Base):
    """Append-only. One money event; `key` names it (e.g. "capture:payment:12") so the same
    event can never be posted twice. Corrections are new entries."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    memo: Mapped[str] = mapped_column(String(300))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))


class JournalLine(Base):
    """Append-only. One side of an entry: an account (with its party, e.g. the seller or the
    provider, "" when none), a currency and either a debit or a credit in minor units."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0", name="sides_not_negative"),
        CheckConstraint("(debit = 0) <> (credit = 0)", name="one_side"),
        Index("ix_journal_lines_account", "account", "party", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(40), default="")
    currency: Mapped[str] = mapped_column(String(3))
    debit: Mapped[int] = mapped_column(default=0)
    credit: Mapped[int] = mapped_column(default=0)


class CommissionRate(Base):
    """The platform's commission on a seller's goods: a rate for every category (category and
    seller both null), per category, or for one seller, each in force over dated days. The
    most specific row in force applies: the seller's, then the category's, then the default."""

    __tablename__ = "commission_rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str | None] = mapped_column(String(32))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)


class PayoutBatch(Base):
    """One run of payouts: every seller paid in it, and the file handed to the bank."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rail: Mapped[str] = mapped_column(String(24))
    minimum_usd_amount: Mapped[int]
    payouts: Mapped[int]
    total_usd_amount: Mapped[int]


class Payout(Base):
    """Dollars paid to one seller in a batch: the sum of its lines, posted to the ledger."""

    __tablename__ = "payouts"
    __table_args__ = (CheckConstraint("amount_usd > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount_usd: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PayoutLine(Base):
    """What one order contributed to a payout (negative for a refund after an earlier payout)."""

    __tablename__ = "payout_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount_usd: Mapped[int]
