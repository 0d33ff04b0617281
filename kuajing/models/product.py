from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, UTCDateTime


class Product(Base):
    """A product, or one variant of a product (docs/decisions/0009-variants-as-product-rows.md).

    A product without options is its own only variant: the row is sold. A product with options
    (`has_variants`) is sold only through its variants, rows of this table whose `parent_id` names
    it, each with its own SKU, price, stock, weight and measurements; the product-wide columns
    (titles, descriptions, category, HS code, the other attributes) are copied onto them by the
    catalog service, so every path that sells, reserves, refunds or declares a row works on a
    variant as on a product.
    """

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("seller_id", "sku", name="uq_products_seller_sku"),
        Index("ix_products_category_id", "category", "id"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        # a product with variants sells nothing of its own
        CheckConstraint("NOT has_variants OR stock = 0", name="variants_hold_the_stock"),
        CheckConstraint("parent_id IS NULL OR NOT has_variants", name="variants_have_no_variants"),
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
    # On a product with variants: [{"name": {"en": "Size", "zh": "尺码"}, "values": ["S", "M"]}]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    has_variants: Mapped[bool] = mapped_column(default=False, server_default=false())
    # On a variant: its product, and its value of each of the product's options, in their order
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    option_values: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The rehearsal's synthetic product (its seller is one too): never listed.
    rehearsal: Mapped[bool] = mapped_column(default=False, server_default=false())


class ProductSearch(Base):
    """A product's search document (kuajing.catalog.search): space-separated tokens, its title's
    and its body's, rewritten with the product. A variant is found through its product.

    The database indexes it its own way (kuajing.catalog.search_index): on SQLite an FTS5 table
    kept in step by triggers, on PostgreSQL a GIN index over the two fields as a tsvector.
    """

    __tablename__ = "product_search"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # the analysis that wrote it (search.analysis_version): another is rewritten at the next start
    analysis: Mapped[str] = mapped_column(String(16))


class ProductImage(Base):
    """A seller's photo of a product, kept only as its renditions (kuajing.media.images): each of
    `widths` as WebP and JPEG under `products/<product_id>/<digest>-<width>.<webp|jpg>`. The
    photo at position 0 is the product's main photo."""

    __tablename__ = "product_images"
    __table_args__ = (
        UniqueConstraint("product_id", "digest", name="uq_product_images_digest"),
        Index("ix_product_images_product_position", "product_id", "position"),
        CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    position: Mapped[int]
    digest: Mapped[str] = mapped_column(String(16))
    # the largest rendition's size, and every width drawn (ascending), e.g. [240, 480, 960]
    width: Mapped[int]
    height: Mapped[int]
    widths: Mapped[list[int]] = mapped_column(JSON)
    source_type: Mapped[str] = mapped_column(String(16))
    source_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CatalogImport(Base):
    """A seller's product CSV being checked (a dry run) or imported, as a background job: its
    file (as UTF-8 text, kept until the import is done), its progress and a report row per item
    (`report`: [{line, sku, title, action, problems: [{code, message, blocking}]}])."""

    __tablename__ = "catalog_imports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'checking', 'checked', 'importing', 'done', 'failed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(60))
    dry_run: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, deferred=True)  # up to 15 MB: read only to run
    total: Mapped[int]
    processed: Mapped[int]
    created: Mapped[int]
    updated: Mapped[int]
    skipped: Mapped[int]
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSON, deferred=True)
    failure: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
