from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, ExactDecimal, UTCDateTime


class FxRate(Base):
    """Every rate ever set, with who set it and when; the newest row for a pair is in force."""

    __tablename__ = "fx_rates"
    __table_args__ = (Index("ix_fx_rates_pair_id", "base", "quote", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
