"""The database wrapper's edges: in-memory SQLite still works with the fixed pool, a pool that
stays full answers 503, not 500, and guarded counters taken many at once."""

import asyncio
import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import sqlalchemy
from fastapi import FastAPI
from sqlalchemy import select, text

from kuajing import problems
from kuajing.db import Database, add_within, add_within_many, insert_rows
from kuajing.models import AnnualUsage
from kuajing.models.base import ExactDecimal, Sealed, UTCDateTime
from tests.helpers import in_db


def test_an_in_memory_sqlite_database_still_opens():
    async def ask() -> int:
        database = Database("sqlite:///:memory:")
        try:
            async with database.transaction(write=False) as session:
                return await session.scalar(text("SELECT 41 + 1"))
        finally:
            await database.dispose()

    assert asyncio.run(ask()) == 42


def test_a_pool_that_stays_full_is_a_503_problem():
    app = FastAPI()
    problems.install(app)

    @app.get("/busy")
    async def busy() -> None:
        raise sqlalchemy.exc.TimeoutError("QueuePool limit of size 10 overflow 0 reached")

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kuajing") as client:
            return await client.get("/busy")

    answer = asyncio.run(ask())
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "service_busy"


def test_add_within_many_adds_what_fits_and_refuses_the_rest(database_url):
    year, people = 2031, [f"T{uuid.uuid4().hex[:14]}-{n}" for n in range(3)]
    table = AnnualUsage.__table__

    def key(person: str) -> dict:
        return {"person_key": person, "year": year}

    async def work(session):
        # the second person already holds 200 of the 1,000
        assert await add_within(session, table, key(people[1]), "used_amount", 200, 1000)
        taken = await add_within_many(
            session,
            table,
            "used_amount",
            [(key(people[0]), 100), (key(people[1]), 900), (key(people[2]), 1200)],
            1000,
        )
        rows = await session.execute(
            select(AnnualUsage.person_key, AnnualUsage.used_amount).where(AnnualUsage.person_key.in_(people))
        )
        return taken, dict(rows.all())

    taken, held = in_db(database_url, work)
    # the first fits; the second would pass the limit; the third is over it on its own
    assert taken == [True, False, False]
    assert held == {people[0]: 100, people[1]: 200}


def test_add_within_many_refuses_one_key_twice_and_writes_nothing(database_url):
    person = f"D{uuid.uuid4().hex[:16]}"
    rows = [({"person_key": person, "year": 2031}, 1), ({"person_key": person, "year": 2031}, 1)]

    async def work(session):
        with pytest.raises(ValueError, match="distinct keys"):
            await add_within_many(session, AnnualUsage.__table__, "used_amount", rows, 10)
        return await session.scalar(select(AnnualUsage.used_amount).where(AnnualUsage.person_key == person))

    assert in_db(database_url, work) is None


@pytest.mark.skipif(
    not os.environ.get("KUAJING_TEST_DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL pass only"
)
def test_add_within_many_is_one_prepared_statement_whatever_the_number_of_rows(database_url):
    # given batches of 1, 2 and 5 counters on one connection
    people = [f"P{uuid.uuid4().hex[:14]}-{n}" for n in range(8)]

    async def work(session):
        for batch in (people[:1], people[1:3], people[3:]):
            taken = await add_within_many(
                session,
                AnnualUsage.__table__,
                "used_amount",
                [({"person_key": person, "year": 2032}, 10) for person in batch],
                1000,
            )
            assert taken == [True] * len(batch)
        return await session.scalar(
            text(
                "SELECT count(*) FROM pg_prepared_statements"
                " WHERE statement LIKE 'INSERT INTO annual_usage %unnest%'"
            )
        )

    # then the server prepared the statement once for the three
    assert in_db(database_url, work) == 1


def scratch_table() -> sqlalchemy.Table:
    """A table of this test's own: a sealed column, JSON, a UTC time and an exact decimal."""
    return sqlalchemy.Table(
        f"scratch_{uuid.uuid4().hex[:10]}",
        sqlalchemy.MetaData(),
        sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("name", Sealed("orders"), nullable=False),
        sqlalchemy.Column("doc", sqlalchemy.JSON, nullable=False),
        sqlalchemy.Column("at", UTCDateTime(), nullable=False),
        sqlalchemy.Column("rate", ExactDecimal(), nullable=True),
    )


def test_insert_rows_binds_every_column_through_its_type_and_returns_ids_in_order(database_url):
    table = scratch_table()
    at = datetime(2026, 11, 11, 0, 0, 1, tzinfo=UTC)
    rows = [
        {
            "name": f"买家{n}",
            "doc": {"n": n, "lines": [n, n + 1]},
            "at": at,
            "rate": Decimal("7.1000") if n else None,
        }
        for n in range(3)
    ]

    async def work(session):
        await session.run_sync(lambda sync: table.create(sync.connection()))
        try:
            ids = await insert_rows(session, table, rows[:1], new_ids=True)
            ids += await insert_rows(session, table, rows[1:], new_ids=True)
            read = (await session.execute(select(table).order_by(table.c.id))).all()
            raw = (await session.execute(text(f"SELECT name FROM {table.name} ORDER BY id"))).scalars().all()
            prepared = None
            if database_url.startswith("postgres"):
                prepared = await session.scalar(
                    text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :insert"),
                    {"insert": f"INSERT INTO {table.name} %"},
                )
            return ids, [tuple(row) for row in read], raw, prepared
        finally:
            await session.run_sync(lambda sync: table.drop(sync.connection()))

    ids, read, raw, prepared = in_db(database_url, work)
    # the ids come back in the order the rows were given, each row whole
    assert len(ids) == 3 and ids == sorted(ids)
    assert read == [
        (ids[0], "买家0", {"n": 0, "lines": [0, 1]}, at, None),
        (ids[1], "买家1", {"n": 1, "lines": [1, 2]}, at, Decimal("7.1000")),
        (ids[2], "买家2", {"n": 2, "lines": [2, 3]}, at, Decimal("7.1000")),
    ]
    # and the sealed column holds no name in clear
    assert [value.startswith("kj1:orders:") for value in raw] == [True, True, True]
    # and on PostgreSQL a batch of 1 and one of 2 were one statement, prepared once
    assert prepared == (1 if database_url.startswith("postgres") else None)


def test_insert_rows_refuses_rows_naming_different_columns_and_writes_nothing(database_url):
    table = scratch_table()
    at = datetime(2026, 11, 11, tzinfo=UTC)

    async def work(session):
        await session.run_sync(lambda sync: table.create(sync.connection()))
        try:
            with pytest.raises(ValueError, match="same columns"):
                await insert_rows(
                    session,
                    table,
                    [{"name": "a", "doc": {}, "at": at, "rate": None}, {"name": "b", "doc": {}, "at": at}],
                )
            return await session.scalar(select(sqlalchemy.func.count()).select_from(table))
        finally:
            await session.run_sync(lambda sync: table.drop(sync.connection()))

    assert in_db(database_url, work) == 0
