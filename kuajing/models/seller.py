from datetime import datetime

from sqlalchemy import ForeignKey, String
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
