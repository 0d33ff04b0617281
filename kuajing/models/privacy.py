from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, UTCDateTime


class DataKey(Base):
    """A data key sealing one table's personal data (or making lookup keys), wrapped by the
    key-encryption key whose fingerprint it names. See kuajing.sealing."""

    __tablename__ = "data_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(16))
    wrapped: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rewrapped_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersonalDataReveal(Base):
    """Append-only: every time a buyer's full ID number left the seal, who took it and why (an
    operator's explicit reveal, a customs message sent)."""

    __tablename__ = "personal_data_reveals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # null when the platform itself did it (the customs exchange)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # whose data: the order's buyer, or the account holding an identity
    subject_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
