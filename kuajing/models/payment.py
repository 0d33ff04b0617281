"""Money moving through payment providers: payments (one per attempt), refunds, and every
notification a provider sent, kept whether it was accepted or refused."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, Sealed, UTCDateTime


class Payment(Base):
    """One attempt to pay an order through one provider: pending until the provider says it
    was paid (captured), or closed when the order's window passes, or failed.

    An order may have several (the buyer tries Alipay, then WeChat Pay); only one moves it to
    paid, and a second capture for an order already paid is refunded in full.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'captured', 'closed', 'failed')", name="status_known"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunds_within_amount"),
        Index("ix_payments_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    # The provider's transaction number, once it has one (customs' payTransactionId).
    reference: Mapped[str | None] = mapped_column(String(64))
    # Where the buyer pays: Alipay's signed page-pay URL, or WeChat Pay's Native code_url.
    redirect_url: Mapped[str | None] = mapped_column(Text)
    code_url: Mapped[str | None] = mapped_column(String(256))
    # A guarded counter: refunds add to it only while it stays within the amount.
    refunded_amount: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The payment company's declaration to customs (the source of CEB411 there): "accepted" or
    # "refused", null until asked; its number; and whether it found the payer to be the orderer
    # ("same", "different", or "unchecked" when it did not say).
    declaration_status: Mapped[str | None] = mapped_column(String(16))
    declaration_reference: Mapped[str | None] = mapped_column(String(64))
    payer_identity: Mapped[str | None] = mapped_column(String(16))
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Refund(Base):
    """Money given back from one payment: the whole order, or some units of its lines.

    `request_no` is sent to the provider as its refund request number, so asking again after a
    timeout never pays twice. The parts (goods, freight, tax in yuan; goods and freight in
    dollars) are what the ledger reverses.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status_known"),
        CheckConstraint("amount = goods_amount + freight_amount + tax_amount", name="parts_add_up"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    request_no: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    goods_amount: Mapped[int]
    freight_amount: Mapped[int]
    tax_amount: Mapped[int]
    # What the refund gives back of the buyer's CBEC yearly room (goods + freight).
    dutiable_amount: Mapped[int]
    goods_usd_amount: Mapped[int]
    freight_usd_amount: Mapped[int]
    # The platform's commission given back with it (cents): the seller's dollars refunded are
    # goods + freight - this.
    commission_usd_amount: Mapped[int] = mapped_column(default=0, server_default="0")
    # [{product_id, quantity}] refunded, or None for a whole payment (a duplicate capture).
    lines: Mapped[list[dict[str, int]] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reference: Mapped[str | None] = mapped_column(String(64))
    failure: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentNotification(Base):
    """Append-only: every asynchronous notification a provider sent, as received, with what
    was made of it. Refused ones stay for the operator to see."""

    __tablename__ = "payment_notifications"
    __table_args__ = (
        CheckConstraint(
            "outcome IN ('captured', 'refunded', 'replayed', 'noted', 'refused')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    # Why it was refused: bad_signature, app_mismatch, unknown_trade, amount_mismatch, malformed.
    code: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(300), default="")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Sealed("payment_notifications"))
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
