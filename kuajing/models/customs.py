from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, Sealed, UTCDateTime


class CustomsMessage(Base):
    """One CBEC document (CEB311 order, CEB411 payment, CEB511 waybill) for one order."""

    __tablename__ = "customs_messages"
    __table_args__ = (UniqueConstraint("order_id", "message_type", name="uq_customs_messages_order_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    message_type: Mapped[str] = mapped_column(String(6))
    guid: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    # As sent to customs, the buyer's full name and ID number included: sealed at rest.
    xml: Mapped[str] = mapped_column(Sealed("customs_messages"))
    # Why a draft is not sent yet (the seller has no customs code); None when it may go.
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    receipt_code: Mapped[str | None] = mapped_column(String(10))
    receipt_note: Mapped[str | None] = mapped_column(String(1000))


class CustomsEvent(Base):
    """Append-only: every status move of a customs message, and every receipt read for it."""

    __tablename__ = "customs_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("customs_messages.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
