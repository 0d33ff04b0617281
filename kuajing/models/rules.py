"""Policy as dated data: tax rows per HS prefix, additional tariffs by origin, CBEC limits, jobs ratio."""

from datetime import date
from decimal import Decimal

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuajing.models.base import Base, ExactDecimal


class TaxRule(Base):
    __tablename__ = "tax_rules"
    __table_args__ = (UniqueConstraint("hs_prefix", "effective_from", name="uq_tax_rules_prefix_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hs_prefix: Mapped[str] = mapped_column(String(10))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    consumption_tax_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    mfn_tariff_rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    # A specific consumption tax in yuan per litre (beer) instead of the ad valorem rate.
    consumption_tax_per_litre: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    # Ad valorem consumption tax that applies only above a price per ml or g, or per piece
    # (high-end cosmetics); below both thresholds the ordinary rate applies.
    high_end_consumption_tax_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    high_end_min_per_ml_or_g: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    high_end_min_per_piece: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)
    remarks: Mapped[str] = mapped_column(Text, default="")


class OriginTariff(Base):
    __tablename__ = "origin_tariffs"
    __table_args__ = (
        UniqueConstraint("origin", "hs_prefix", "effective_from", name="uq_origin_tariffs_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(2))
    hs_prefix: Mapped[str] = mapped_column(String(10))  # "" = every line from that origin
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    # Whether the tariff is also levied on orders within the CBEC limits (where the tariff is
    # otherwise 0). Unconfirmed in law; off unless a row says so.
    within_cbec_limits: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(Text)


class CbecLimit(Base):
    __tablename__ = "cbec_limits"

    id: Mapped[int] = mapped_column(primary_key=True)
    per_order_amount: Mapped[int]
    annual_amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    effective_from: Mapped[date] = mapped_column(unique=True)
    effective_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)


class JobsRatio(Base):
    __tablename__ = "jobs_ratios"

    id: Mapped[int] = mapped_column(primary_key=True)
    data_year: Mapped[int] = mapped_column(unique=True)
    jobs_per_billion_usd: Mapped[int]
    published: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)


class PositiveListEntry(Base):
    """A line of the CBEC positive list with its remarks (备注). Goods whose HS code no entry in
    force covers cannot use the cross-border channel at all."""

    __tablename__ = "positive_list_entries"
    __table_args__ = (UniqueConstraint("hs_prefix", "effective_from", name="uq_positive_list_prefix_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hs_prefix: Mapped[str] = mapped_column(String(10))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    # Remark: the line may be sold only from a bonded warehouse (仅限网购保税).
    bonded_only: Mapped[bool] = mapped_column(default=False)
    # Remark: the line is on the list but these goods are excluded (dual-use, endangered species).
    excluded: Mapped[bool] = mapped_column(default=False)
    # Remark: how much one person may buy in a Beijing calendar year, in grams or pieces.
    yearly_cap: Mapped[int | None]
    yearly_cap_unit: Mapped[str | None] = mapped_column(String(8))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)
    remarks: Mapped[str] = mapped_column(Text, default="")
