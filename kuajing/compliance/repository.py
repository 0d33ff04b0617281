from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.rules import Limits, OriginTariffRate, RuleBook, TaxRate
from kuajing.db import dialect_insert, upsert
from kuajing.models import AnnualUsage, Base, BuyerIdentity, CbecLimit, OriginTariff, TaxRule


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
                r.consumption_tax_per_litre,
                r.high_end_consumption_tax_rate,
                r.high_end_min_per_ml_or_g,
                r.high_end_min_per_piece,
            )
            for r in tax_rows
        ],
        [
            OriginTariffRate(
                r.origin, r.hs_prefix, r.rate, r.effective_from, r.effective_to, r.within_cbec_limits
            )
            for r in tariff_rows
        ],
        [
            (r.effective_from, r.effective_to, Limits(r.per_order_amount, r.annual_amount, r.currency))
            for r in limit_rows
        ],
    )


async def insert_missing(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], *, key: tuple[str, ...]
) -> int:
    """Insert the packaged rows whose natural key the table lacks; rows already there stay as
    they are (changing a rule is a new dated row, issue 3's import, not an edit)."""
    columns = [getattr(model, name) for name in key]
    existing = {tuple(row) for row in (await session.execute(select(*columns))).all()}
    added = 0
    for row in rows:
        if tuple(row[name] for name in key) not in existing:
            session.add(model(**row))
            added += 1
    await session.flush()
    return added


async def get_identity(session: AsyncSession, user_id: int) -> BuyerIdentity | None:
    return await session.get(BuyerIdentity, user_id)


async def save_identity(session: AsyncSession, values: dict[str, Any]) -> BuyerIdentity:
    await session.execute(upsert(session, BuyerIdentity.__table__, values, key=["user_id"]))
    identity = await session.get(BuyerIdentity, values["user_id"], populate_existing=True)
    assert identity is not None
    return identity


async def annual_used(session: AsyncSession, *, id_number: str, year: int) -> int:
    used = await session.scalar(
        select(AnnualUsage.used_amount).where(AnnualUsage.id_number == id_number, AnnualUsage.year == year)
    )
    return used or 0


async def consume_annual(
    session: AsyncSession, *, id_number: str, year: int, amount: int, limit: int
) -> bool:
    """Add `amount` to the buyer's year only if it stays within `limit`: one guarded UPDATE."""
    row = {"id_number": id_number, "year": year, "used_amount": 0}
    await session.execute(dialect_insert(session, AnnualUsage.__table__, row).on_conflict_do_nothing())
    result = await session.execute(
        update(AnnualUsage)
        .where(
            AnnualUsage.id_number == id_number,
            AnnualUsage.year == year,
            AnnualUsage.used_amount + amount <= limit,
        )
        .values(used_amount=AnnualUsage.used_amount + amount)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def release_annual(session: AsyncSession, *, id_number: str, year: int, amount: int) -> None:
    """Give `amount` back to the buyer's year in one statement, never below 0: a year whose
    counter drifted low still lets a cancel or a refunded return through instead of failing
    the CHECK."""
    await session.execute(
        update(AnnualUsage)
        .where(AnnualUsage.id_number == id_number, AnnualUsage.year == year)
        .values(
            used_amount=case((AnnualUsage.used_amount >= amount, AnnualUsage.used_amount - amount), else_=0)
        )
        .execution_options(synchronize_session=False)
    )
