from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, UTCDateTime


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("seller_id", "sku", name="uq_products_seller_sku"),
        Index("ix_products_category_id", "category", "id"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    title_en: Mapped[str] = mapped_column(String(200))
    title_zh: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text)
    description_zh: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    hs_code: Mapped[str] = mapped_column(String(16))
    price_amount: Mapped[int]
    price_currency: Mapped[str] = mapped_column(String(3))
    # The guarded counter: only ever changed by conditional UPDATEs in the repository.
    stock: Mapped[int]
    weight_grams: Mapped[int]
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Space-separated lowercase tokens (jieba for Chinese) the `q` filter matches against.
    search_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
