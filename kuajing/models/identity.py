from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, UTCDateTime


class BuyerIdentity(Base):
    """The real-name identity CBEC requires of every orderer."""

    __tablename__ = "buyer_identities"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
