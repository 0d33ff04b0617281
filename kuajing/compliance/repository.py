from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.rules import Limits, OriginTariffRate, RuleBook, TaxRate
from kuajing.models import AnnualUsage, BuyerIdentity, CbecLimit, OriginTariff, TaxRule


async def load_rulebook(session: AsyncSession) -> RuleBook:
    tax_rows = (await session.scalars(select(TaxRule))).all()
    tariff_rows = (await session.scalars(select(OriginTariff))).all()
    limit_rows = (await session.scalars(select(CbecLimit))).all()
    return RuleBook(
        [
            TaxRate(
                r.id,
                r.hs_prefix,
                r.vat_rate,
                r.consumption_tax_rate,
                r.mfn_tariff_rate,
                r.effective_from,
                r.effective_to,
            )
            for r in tax_rows
        ],
        [
            OriginTariffRate(r.origin, r.hs_prefix, r.rate, r.effective_from, r.effective_to)
            for r in tariff_rows
        ],
        [
            (r.effective_from, r.effective_to, Limits(r.per_order_amount, r.annual_amount, r.currency))
            for r in limit_rows
        ],
    )


def _parse(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None:
            out[key] = None if key != "hs_prefix" else ""
        elif key.endswith("_rate") or key == "rate":
            out[key] = Decimal(value)
        elif key.startswith("effective_"):
            out[key] = date.fromisoformat(value)
        elif key.endswith("_amount"):
            out[key] = int(value)
        else:
            out[key] = value
    return out


async def insert_missing_tax_rules(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    existing = {(r.hs_prefix, r.effective_from) for r in (await session.scalars(select(TaxRule))).all()}
    added = 0
    for raw in rows:
        row = _parse(raw)
        row["remarks"] = row.get("remarks") or ""
        if (row["hs_prefix"], row["effective_from"]) not in existing:
            session.add(TaxRule(**row))
            added += 1
    await session.flush()
    return added


async def insert_missing_origin_tariffs(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    existing = {
        (r.origin, r.hs_prefix, r.effective_from) for r in (await session.scalars(select(OriginTariff))).all()
    }
    added = 0
    for raw in rows:
        row = _parse(raw)
        if (row["origin"], row["hs_prefix"], row["effective_from"]) not in existing:
            session.add(OriginTariff(**row))
            added += 1
    await session.flush()
    return added


async def insert_missing_limits(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    existing = {r.effective_from for r in (await session.scalars(select(CbecLimit))).all()}
    added = 0
    for raw in rows:
        row = _parse(raw)
        if row["effective_from"] not in existing:
            session.add(CbecLimit(**row))
            added += 1
    await session.flush()
    return added


async def get_identity(session: AsyncSession, user_id: int) -> BuyerIdentity | None:
    return await session.get(BuyerIdentity, user_id)


async def save_identity(session: AsyncSession, identity: BuyerIdentity) -> BuyerIdentity:
    merged = await session.merge(identity)
    await session.flush()
    return merged


async def annual_used(session: AsyncSession, *, buyer_id: int, year: int) -> int:
    used = await session.scalar(
        select(AnnualUsage.used_amount).where(AnnualUsage.buyer_id == buyer_id, AnnualUsage.year == year)
    )
    return used or 0


async def consume_annual(session: AsyncSession, *, buyer_id: int, year: int, amount: int, limit: int) -> bool:
    """Add `amount` to the buyer's year only if it stays within `limit`: one guarded UPDATE."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(AnnualUsage).values(buyer_id=buyer_id, year=year, used_amount=0).on_conflict_do_nothing()
    )
    result = await session.execute(
        update(AnnualUsage)
        .where(
            AnnualUsage.buyer_id == buyer_id,
            AnnualUsage.year == year,
            AnnualUsage.used_amount + amount <= limit,
        )
        .values(used_amount=AnnualUsage.used_amount + amount)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def release_annual(session: AsyncSession, *, buyer_id: int, year: int, amount: int) -> None:
    await session.execute(
        update(AnnualUsage)
        .where(AnnualUsage.buyer_id == buyer_id, AnnualUsage.year == year)
        .values(used_amount=AnnualUsage.used_amount - amount)
        .execution_options(synchronize_session=False)
    )
