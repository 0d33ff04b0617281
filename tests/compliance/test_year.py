"""compliance.year.buyer_years: each buyer's identity and their person's CBEC year, read for many
buyers at once (the purchase flow's and checkout's batched look-up), exact to the fen and the
gram, in one query a year."""

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import year
from kuajing.db import upsert
from kuajing.models import AnnualQuantityUsage, BuyerIdentity
from tests.auth.factories import bulk_buyers_with_identity
from tests.compliance.room_factories import person_keys, set_db_used, this_year
from tests.helpers import in_db


def _set_quantities(target, key: str, year_: int, quantities: dict[str, int]) -> None:
    async def write(session: AsyncSession) -> None:
        for prefix, used in quantities.items():
            await session.execute(
                upsert(
                    session,
                    AnnualQuantityUsage.__table__,
                    {"person_key": key, "year": year_, "hs_prefix": prefix, "used_quantity": used},
                    key=["person_key", "year", "hs_prefix"],
                )
            )

    in_db(target, write)


def test_buyer_years_reads_each_persons_year_exactly_in_one_query_a_year(database_url):
    # given three buyers: one who used part of this year and holds two capped lines (and used
    # some of last year), one who used nothing, and one whose identity has no lookup key (a
    # claim awaiting an operator) though their person used part of the year
    used, fresh, unkeyed = bulk_buyers_with_identity(database_url, 3)
    keys = person_keys(database_url, [used.id, fresh.id, unkeyed.id])
    now, last = this_year(), this_year() - 1
    set_db_used(database_url, [keys[used.id]], now, 123_456)
    set_db_used(database_url, [keys[used.id]], last, 999)
    _set_quantities(database_url, keys[used.id], now, {"0402": 1_500, "2106": 3})
    set_db_used(database_url, [keys[unkeyed.id]], now, 50_000)
    _set_quantities(database_url, keys[unkeyed.id], now, {"0402": 200})

    async def unkey(session: AsyncSession) -> None:
        await session.execute(
            update(BuyerIdentity).where(BuyerIdentity.user_id == unkeyed.id).values(person_key=None)
        )

    in_db(database_url, unkey)
    nobody = 2_000_000_000  # no such user, so no identity

    # when their years are read together, with a second year for one of them
    async def read(session: AsyncSession):
        statements = []
        engine = (await session.connection()).sync_engine

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            found = await year.buyer_years(
                session,
                [(used.id, now), (fresh.id, now), (unkeyed.id, now), (nobody, now), (used.id, last)],
            )
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return {
            key: (
                None if found_year.identity is None else found_year.identity.user_id,
                found_year.annual_used,
                found_year.quantities_used,
            )
            for key, found_year in found.items()
        }, len(statements)

    found, statements = in_db(database_url, read, write=False)

    # then each is exact, the unkeyed one read by ID number as the counters take it
    assert found == {
        (used.id, now): (used.id, 123_456, {"0402": 1_500, "2106": 3}),
        (fresh.id, now): (fresh.id, 0, {}),
        (unkeyed.id, now): (unkeyed.id, 50_000, {"0402": 200}),
        (nobody, now): (None, 0, {}),
        (used.id, last): (used.id, 999, {}),
    }
    # and it took one query a year, and two more for the identity without a lookup key
    assert statements == 2 + 2
