from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, Sealed, UTCDateTime


class BuyerIdentity(Base):
    """The real-name identity CBEC requires of every orderer."""

    __tablename__ = "buyer_identities"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    name: Mapped[str] = mapped_column(Sealed("buyer_identities"))
    id_number: Mapped[str] = mapped_column(Sealed("buyer_identities"))
    # The ID number's lookup key (kuajing.sealing.Keyring.person_key): unique, so one person's
    # number belongs to one account at a time. Null while a claim awaits an operator (two
    # accounts held the number before this rule; the migration kept the earliest).
    person_key: Mapped[str | None] = mapped_column(String(68), unique=True)
    birth_date: Mapped[date]
    # When a payment company confirmed the payer was this person (the payer-identity check).
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
