from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kuajing.models.base import Base, ExactDecimal, Sealed, SealedJSON, UTCDateTime


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        Index("ix_orders_buyer_id_id", "buyer_id", "id"),
        Index("ix_orders_seller_id_id", "seller_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(32))
    fx_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3))
    goods_amount: Mapped[int]
    freight_amount: Mapped[int]
    consumption_tax_amount: Mapped[int]
    vat_amount: Mapped[int]
    tariff_amount: Mapped[int]
    tax_amount: Mapped[int]
    total_amount: Mapped[int]
    # goods + freight: what counts against the CBEC per-order and annual limits
    dutiable_amount: Mapped[int]
    goods_usd_amount: Mapped[int]
    # The seller's shipping fee in cents as the order charged it (0 on orders placed before it
    # was kept, whose freight the ledger converts back from yuan at the order's rate).
    freight_usd_amount: Mapped[int] = mapped_column(default=0, server_default="0")
    # The payment that paid it, set by the guarded move to paid: any other payment captured for
    # the order is a duplicate, given back in full. (An id without a foreign key: payments
    # already point at orders.)
    paid_by_payment_id: Mapped[int | None]
    # Why the order may not ship: "payer_mismatch" when the payment company found the payer is
    # not the orderer (CBEC's real-name rule); an operator resolves it.
    held_reason: Mapped[str | None] = mapped_column(String(40))
    limit_year: Mapped[int]
    cbec_limit_id: Mapped[int | None] = mapped_column(ForeignKey("cbec_limits.id"))
    # Grams or pieces this order holds of each yearly-capped positive-list line, by HS prefix:
    # what cancelling or expiring the order gives back.
    capped_quantities: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, server_default="{}")
    # The real-name identity the order was placed under (customs messages and the yearly limit)
    # and where it goes: sealed at rest.
    buyer_name: Mapped[str] = mapped_column(Sealed("orders"))
    buyer_id_number: Mapped[str] = mapped_column(Sealed("orders"))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(SealedJSON("orders"))
    risk_notice_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    risk_notice_version: Mapped[str] = mapped_column(String(20))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    # When it moved to delivered: the buyer's 30-day return window counts from here.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list["OrderLine"]] = relationship(lazy="raise", order_by="OrderLine.id")
    return_request: Mapped["OrderReturn | None"] = relationship(lazy="raise", uselist=False)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunds_within_quantity"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    # The row sold: the product itself, or the variant ordered (a row of its own, see Product).
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # The product a variant belongs to; null when the row sold is a product without variants.
    variant_of: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    hs_code: Mapped[str] = mapped_column(String(16))
    # The rule rows that priced and admitted the line: its tax row, its positive-list line and the
    # additional-tariff rows in force for its origin (levied or not).
    tax_rule_id: Mapped[int] = mapped_column(ForeignKey("tax_rules.id"))
    positive_entry_id: Mapped[int | None] = mapped_column(ForeignKey("positive_list_entries.id"))
    origin_tariff_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    unit_price_usd_amount: Mapped[int]
    unit_price_amount: Mapped[int]
    goods_amount: Mapped[int]
    freight_amount: Mapped[int]
    consumption_tax_amount: Mapped[int]
    vat_amount: Mapped[int]
    tariff_amount: Mapped[int]
    tax_amount: Mapped[int]
    # The product as ordered, which customs declares whatever the seller edits later. Null on
    # lines placed before these were kept: the customs messages read the product instead.
    item_name_zh: Mapped[str | None] = mapped_column(String(200))
    item_name_en: Mapped[str | None] = mapped_column(String(200))
    item_sku: Mapped[str | None] = mapped_column(String(64))
    weight_grams: Mapped[int | None]
    # Units given back by refunds: a guarded counter, so two racing refunds of a line cannot
    # both pay it back.
    refunded_quantity: Mapped[int] = mapped_column(default=0, server_default="0")


class OrderEvent(Base):
    """Append-only: one row for every status transition, with who caused it."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnnualUsage(Base):
    """Per person (resident ID number, by its lookup key) and Beijing calendar year: dutiable
    value held by pending and paid orders. Keyed by the person, not the account, because the
    CBEC yearly limit belongs to the person.

    A guarded counter like stock, so two concurrent orders cannot both squeeze under the limit.
    """

    __tablename__ = "annual_usage"
    __table_args__ = (CheckConstraint("used_amount >= 0", name="used_not_negative"),)

    person_key: Mapped[str] = mapped_column(String(68), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    used_amount: Mapped[int]


class AnnualQuantityUsage(Base):
    """Per person (ID number's lookup key), Beijing year and capped positive-list line: grams or
    pieces held by pending and paid orders. A guarded counter, like AnnualUsage."""

    __tablename__ = "annual_quantity_usage"
    __table_args__ = (CheckConstraint("used_quantity >= 0", name="used_quantity_not_negative"),)

    person_key: Mapped[str] = mapped_column(String(68), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    hs_prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    used_quantity: Mapped[int]


class OrderReturn(Base):
    """A buyer's request to return a whole delivered order, its decision, and the refund.

    One per order (the unique order_id): a refused return is not asked for again. The refund
    columns are filled when the return is accepted, in the same transaction that moves the
    order to returned; they are the whole paid amount and, within it, the whole tax.
    """

    __tablename__ = "order_returns"
    __table_args__ = (
        CheckConstraint("decision IN ('accepted', 'rejected')", name="decision_known"),
        CheckConstraint(
            "CASE WHEN decision = 'accepted' THEN refund_amount IS NOT NULL ELSE refund_amount IS NULL END",
            name="refund_iff_accepted",
        ),
        CheckConstraint("refund_tax_amount <= refund_amount", name="tax_within_refund"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    restocked: Mapped[bool | None] = mapped_column(Boolean)
    refund_amount: Mapped[int | None]
    refund_tax_amount: Mapped[int | None]
    refund_currency: Mapped[str | None] = mapped_column(String(3))
    refund_reference: Mapped[str | None] = mapped_column(String(64))
