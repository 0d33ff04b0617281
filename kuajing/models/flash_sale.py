"""Singles' Day: campaigns, deals with stock carved out of a product, and the ledger rows that
say where every allocated unit is (remaining, reserved by an unpaid order, or sold)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, UTCDateTime


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="window_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The rehearsal's synthetic campaign: never the sale buyers or sellers see.
    rehearsal: Mapped[bool] = mapped_column(default=False, server_default=false())


class Deal(Base):
    """A product's units allocated to a campaign at a deal price.

    The four counters are the ledger: every allocated unit is remaining, reserved (held by an
    unpaid order) or sold, and only guarded UPDATEs that move units between them change it.
    """

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("campaign_id", "product_id", name="uq_deals_campaign_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
        CheckConstraint("remaining + reserved + sold = quantity", name="units_add_up"),
        CheckConstraint("per_buyer_limit > 0", name="per_buyer_limit_positive"),
        CheckConstraint("price_amount > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # The row whose units the deal sells: the product, or one variant of it (see Product).
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    variant_of: Mapped[int | None] = mapped_column(ForeignKey("products.id"))  # that variant's product
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    price_amount: Mapped[int]
    price_currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int]
    remaining: Mapped[int]
    reserved: Mapped[int]
    sold: Mapped[int]
    per_buyer_limit: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The rehearsal's synthetic deal: its orders are rehearsal traffic.
    rehearsal: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the Redis ledger first set the deal in Redis: a rebuild finding it missing after
    # that follows a loss, with purchases admitted before it perhaps still being written.
    redis_loaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DealBuyer(Base):
    """Units of one deal a buyer holds (reserved or bought): a guarded counter, so a buyer's
    racing attempts stop exactly at the deal's per-buyer limit."""

    __tablename__ = "deal_buyers"
    __table_args__ = (CheckConstraint("units >= 0", name="units_not_negative"),)

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    units: Mapped[int]


class DealReservation(Base):
    """The units one order holds of a deal: held until paid (sold) or expired (released)."""

    __tablename__ = "deal_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_deal_reservations_deal_id_status", "deal_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    # The Redis ledger's admission token (its stream entry's), so replaying the stream can
    # never write one admitted attempt twice; None for attempts the SQL ledger applied.
    redis_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
