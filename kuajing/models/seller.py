from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, UTCDateTime


class SellerProfile(Base):
    __tablename__ = "seller_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    us_state: Mapped[str] = mapped_column(String(2), index=True)
    employees: Mapped[int]
    shipping_fee_amount: Mapped[int]
    shipping_fee_currency: Mapped[str] = mapped_column(String(3))
    # The seller's code and registered name with China customs (CEB311 ebcCode / ebcName).
    # Without a code the seller's customs messages are drafted but held back.
    customs_code: Mapped[str | None] = mapped_column(String(18))
    customs_name: Mapped[str | None] = mapped_column(String(100))
    # The seller's story as buyers read it on each product page, in both languages ("" if none).
    story_en: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    story_zh: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Vetting (kuajing.seller.status): a seller signs up `pending` and only an `approved` seller's
    # products are shown or sold. Sellers trading before vetting began were approved (0015).
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending", index=True)
    # The IRS Employer Identification Number, NN-NNNNNNN; None until the seller gives it.
    ein: Mapped[str | None] = mapped_column(String(10))
    # The rehearsal's synthetic seller: never shown to buyers or in the console's lists.
    rehearsal: Mapped[bool] = mapped_column(default=False, server_default=false())


class SellerDocument(Base):
    """A business document a seller uploaded for vetting (an EIN letter, a state registration, an
    FDA facility registration, a TTB permit, a China customs registration), kept privately under
    `documents/<seller id>/<digest>.<pdf|png|jpg>` (kuajing.media.storage). A newer document of
    the same kind stands in for an older one; the older stays for the record."""

    __tablename__ = "seller_documents"
    __table_args__ = (Index("ix_seller_documents_seller_kind", "seller_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SellerReview(Base):
    """Append-only: every change of a seller's vetting status, who made it and why (an operator's
    decision, or the seller sending what was asked for)."""

    __tablename__ = "seller_reviews"
    __table_args__ = (
        CheckConstraint(
            "decision IN ('approve', 'request_info', 'reject', 'suspend', 'resubmit')", name="decision_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    status_from: Mapped[str] = mapped_column(String(16))
    status_to: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(1000))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
