from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import buyer_facts
from kuajing.compliance.rules import Limits, OriginTariffRate, PositiveEntry, RuleBook
from kuajing.db import add_within, add_within_many, give_back, one_of, rowcount, savepoint, upsert
from kuajing.models import (
    AnnualQuantityUsage,
    AnnualUsage,
    Base,
    BuyerIdentity,
    CbecLimit,
    Order,
    OrderLine,
    OriginTariff,
    PositiveListEntry,
    TaxRule,
)
from kuajing.pricing.tax import TaxRate
from kuajing.sealing import keyring_of


async def load_rulebook(session: AsyncSession) -> RuleBook:
    tax_rows = (await session.scalars(select(TaxRule))).all()
    tariff_rows = (await session.scalars(select(OriginTariff))).all()
    limit_rows = (await session.scalars(select(CbecLimit))).all()
    list_rows = (await session.scalars(select(PositiveListEntry))).all()
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
                r.origin, r.hs_prefix, r.rate, r.effective_from, r.effective_to, r.within_cbec_limits, r.id
            )
            for r in tariff_rows
        ],
        [
            (r.effective_from, r.effective_to, Limits(r.per_order_amount, r.annual_amount, r.currency, r.id))
            for r in limit_rows
        ],
        [
            PositiveEntry(
                r.hs_prefix,
                r.effective_from,
                r.effective_to,
                r.bonded_only,
                r.excluded,
                r.yearly_cap,
                r.yearly_cap_unit,
                r.id,
            )
            for r in list_rows
        ],
    )


async def get_identity(session: AsyncSession, user_id: int) -> BuyerIdentity | None:
    return await session.get(BuyerIdentity, user_id)


async def get_identities(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, BuyerIdentity]:
    found = await session.scalars(
        select(BuyerIdentity).where(one_of(session, BuyerIdentity.user_id, user_ids))
    )
    return {identity.user_id: identity for identity in found}


async def identities_with_year(
    session: AsyncSession, user_ids: Sequence[int], *, year: int
) -> dict[int, tuple[BuyerIdentity, int, dict[str, int]]]:
    """Each buyer's identity with what its person used of `year`: the yuan, and the grams or
    pieces of each capped positive-list line. One query, joined on the identity's lookup key
    (an identity without one, its claim awaiting an operator, comes with nothing used: the
    caller reads it by ID number). A buyer without an identity is left out."""
    rows = await session.execute(
        select(
            BuyerIdentity,
            AnnualUsage.used_amount,
            AnnualQuantityUsage.hs_prefix,
            AnnualQuantityUsage.used_quantity,
        )
        .outerjoin(
            AnnualUsage, and_(AnnualUsage.person_key == BuyerIdentity.person_key, AnnualUsage.year == year)
        )
        .outerjoin(
            AnnualQuantityUsage,
            and_(
                AnnualQuantityUsage.person_key == BuyerIdentity.person_key, AnnualQuantityUsage.year == year
            ),
        )
        .where(one_of(session, BuyerIdentity.user_id, user_ids))
    )
    found: dict[int, tuple[BuyerIdentity, int, dict[str, int]]] = {}
    for identity, used, prefix, quantity in rows.all():
        _identity, _used, held = found.setdefault(identity.user_id, (identity, used or 0, {}))
        if prefix is not None:
            held[prefix] = quantity
    return found


async def keyed_identity_users(session: AsyncSession, *, after: int, limit: int) -> list[int]:
    """The next `limit` accounts after `after` (by id) whose identity has a lookup key."""
    return list(
        await session.scalars(
            select(BuyerIdentity.user_id)
            .where(BuyerIdentity.user_id > after, BuyerIdentity.person_key.is_not(None))
            .order_by(BuyerIdentity.user_id)
            .limit(limit)
        )
    )


async def keyed_identity_count(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count()).select_from(BuyerIdentity).where(BuyerIdentity.person_key.is_not(None))
    )
    return int(found or 0)


async def save_identity(session: AsyncSession, values: dict[str, Any]) -> BuyerIdentity | None:
    """Insert or replace the account's identity, its ID number's lookup key in `person_key`; None
    when another account holds that key (the unique constraint decides, so two accounts racing
    for one number cannot both have it)."""
    values = {**values, "person_key": person_key(session, values["id_number"])}
    await buyer_facts.changing(session, [values["user_id"]])
    try:
        async with savepoint(session):
            await session.execute(upsert(session, BuyerIdentity.__table__, values, key=["user_id"]))
    except IntegrityError:
        return None
    identity = await session.get(BuyerIdentity, values["user_id"], populate_existing=True)
    assert identity is not None
    return identity


async def identity_holder(session: AsyncSession, id_number: str) -> int | None:
    """The account holding this ID number, if one does."""
    key = person_key(session, id_number)
    return await session.scalar(select(BuyerIdentity.user_id).where(BuyerIdentity.person_key == key))


async def release_identity(session: AsyncSession, user_id: int) -> bool:
    await buyer_facts.changing(session, [user_id])
    result = await session.execute(delete(BuyerIdentity).where(BuyerIdentity.user_id == user_id))
    return rowcount(result) > 0


async def mark_verified(session: AsyncSession, *, user_id: int, id_number: str, now: datetime) -> None:
    """The payer check matched: the identity on file with this number is confirmed."""
    await session.execute(
        update(BuyerIdentity)
        .where(
            BuyerIdentity.user_id == user_id,
            BuyerIdentity.person_key == person_key(session, id_number),
            BuyerIdentity.verified_at.is_(None),
        )
        .values(verified_at=now)
    )


def person_key(session: AsyncSession, id_number: str) -> str:
    """The database knows a person by their ID number's lookup key, never the number."""
    return keyring_of(session.get_bind().dialect).person_key(id_number)


def _people(session: AsyncSession, id_numbers: Sequence[str]) -> dict[str, str]:
    """{lookup key: ID number}"""
    return {person_key(session, id_number): id_number for id_number in id_numbers}


async def annuals_used(session: AsyncSession, *, id_numbers: Sequence[str], year: int) -> dict[str, int]:
    """Yuan of the CBEC year each person (by ID number) has used; a person with none is left out."""
    people = _people(session, id_numbers)
    rows = await session.execute(
        select(AnnualUsage.person_key, AnnualUsage.used_amount).where(
            one_of(session, AnnualUsage.person_key, people), AnnualUsage.year == year
        )
    )
    return {people[key]: used for key, used in rows.all()}


async def consume_annual(
    session: AsyncSession, *, id_number: str, year: int, amount: int, limit: int
) -> bool:
    """Add `amount` to the buyer's year only if it stays within `limit`."""
    key = {"person_key": person_key(session, id_number), "year": year}
    return await add_within(session, AnnualUsage.__table__, key, "used_amount", amount, limit)


async def consume_annuals(
    session: AsyncSession, *, taking: Sequence[tuple[str, int, int]], limit: int
) -> list[bool]:
    """consume_annual for distinct (ID number, year)s at once: (ID number, year, amount) each."""
    rows = [
        ({"person_key": person_key(session, id_number), "year": year}, amount)
        for id_number, year, amount in taking
    ]
    return await add_within_many(session, AnnualUsage.__table__, "used_amount", rows, limit)


async def release_annual(session: AsyncSession, *, id_number: str, year: int, amount: int) -> None:
    """Give `amount` back to the buyer's year, never below 0."""
    key = {"person_key": person_key(session, id_number), "year": year}
    await give_back(session, AnnualUsage.__table__, key, "used_amount", amount)


async def quantities_used_by(
    session: AsyncSession, *, id_numbers: Sequence[str], year: int
) -> dict[str, dict[str, int]]:
    """Grams or pieces of each capped positive-list line each person holds this year, in one
    query; a person holding none is left out."""
    people = _people(session, id_numbers)
    rows = await session.execute(
        select(
            AnnualQuantityUsage.person_key, AnnualQuantityUsage.hs_prefix, AnnualQuantityUsage.used_quantity
        ).where(one_of(session, AnnualQuantityUsage.person_key, people), AnnualQuantityUsage.year == year)
    )
    held: dict[str, dict[str, int]] = {}
    for key, prefix, used in rows.all():
        held.setdefault(people[key], {})[prefix] = used
    return held


async def consume_quantity(
    session: AsyncSession, *, id_number: str, year: int, hs_prefix: str, quantity: int, cap: int
) -> bool:
    """Add to the person's yearly quantity of a capped line only if it stays within the cap."""
    key = {"person_key": person_key(session, id_number), "year": year, "hs_prefix": hs_prefix}
    return await add_within(session, AnnualQuantityUsage.__table__, key, "used_quantity", quantity, cap)


async def consume_quantities(
    session: AsyncSession, *, taking: Sequence[tuple[str, int, str, int]], cap: int
) -> list[bool]:
    """consume_quantity for distinct (ID number, year, line)s under one cap at once:
    (ID number, year, positive-list prefix, quantity) each."""
    rows = [
        ({"person_key": person_key(session, id_number), "year": year, "hs_prefix": prefix}, quantity)
        for id_number, year, prefix, quantity in taking
    ]
    return await add_within_many(session, AnnualQuantityUsage.__table__, "used_quantity", rows, cap)


async def release_quantity(
    session: AsyncSession, *, id_number: str, year: int, hs_prefix: str, quantity: int
) -> None:
    """Give grams or pieces back to the person's year, never below 0."""
    key = {"person_key": person_key(session, id_number), "year": year, "hs_prefix": hs_prefix}
    await give_back(session, AnnualQuantityUsage.__table__, key, "used_quantity", quantity)


RULE_MODELS: dict[str, type[Base]] = {
    "tax_rules": TaxRule,
    "origin_tariffs": OriginTariff,
    "cbec_limits": CbecLimit,
    "positive_list_entries": PositiveListEntry,
}


async def rule_rows(session: AsyncSession, table: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every row of a rule table as a dict of the file's columns, plus its id."""
    model = RULE_MODELS[table]
    rows = (await session.scalars(select(model).order_by(model.id))).all()  # type: ignore[attr-defined]
    return [{"id": row.id, **{c: getattr(row, c) for c in columns}} for row in rows]  # type: ignore[attr-defined]


async def tax_rule_use(session: AsyncSession) -> dict[int, int]:
    """Order lines per tax rule id."""
    rows = await session.execute(select(OrderLine.tax_rule_id, func.count()).group_by(OrderLine.tax_rule_id))
    return {rule_id: count for rule_id, count in rows.all()}


async def latest_order_time(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.max(Order.created_at)))


async def write_rule_rows(
    session: AsyncSession, table: str, *, added: list[dict[str, Any]], changed: dict[int, dict[str, Any]]
) -> None:
    model = RULE_MODELS[table]
    for values in added:
        session.add(model(**values))
    for row_id, values in changed.items():
        await session.execute(
            update(model).where(model.id == row_id).values(**values)  # type: ignore[attr-defined]
        )
    await session.flush()
