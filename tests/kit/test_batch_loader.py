"""Batched lookups: concurrent callers share a query, a query in flight gathers the next batch,
errors reach every caller of their batch, and a caller that goes away harms no other."""

import asyncio

import pytest
from sqlalchemy import literal, select

from kuajing.db import Database
from kuajing.kit.batch_loader import BatchLoader

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database


@pytest.fixture
async def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'loader.db'}")
    yield database
    await database.dispose()


def _recording(batches, *, delay=0.01, missing=(), fails=False):
    async def fetch(session, keys):
        batches.append(sorted(keys))
        assert (await session.execute(select(literal(1)))).scalar() == 1  # a usable session
        await asyncio.sleep(delay)
        if fails:
            raise RuntimeError("the database went away")
        return {key: key * 10 for key in keys if key not in missing}

    return fetch


async def test_concurrent_loads_share_one_query_and_the_next_batch_gathers_meanwhile(database):
    batches = []
    loader = BatchLoader(database, _recording(batches, missing={3}))

    async with database.transaction(write=False) as session:
        first = await asyncio.gather(*(loader.load(session, key) for key in [1, 2, 3, 2]))
        # while the batch for 5 is in flight, 6, 7 and 8 arrive: they go together next
        head = asyncio.ensure_future(loader.load(session, 5))
        await asyncio.sleep(0.002)
        rest = await asyncio.gather(*(loader.load(session, key) for key in [6, 7, 8]))

    assert first == [10, 20, None, 20]  # a key asked twice is fetched once; a missing one is None
    assert await head == 50
    assert rest == [60, 70, 80]
    assert batches == [[1, 2, 3], [5], [6, 7, 8]]


async def test_a_failed_query_raises_in_every_caller_of_its_batch_and_the_next_batch_runs(database):
    batches = []
    loader = BatchLoader(database, _recording(batches, fails=True))
    async with database.transaction(write=False) as session:
        results = await asyncio.gather(*(loader.load(session, key) for key in [1, 2]), return_exceptions=True)
    assert [str(r) for r in results] == ["the database went away"] * 2

    loader = BatchLoader(database, _recording(batches))
    async with database.transaction(write=False) as session:
        assert await loader.load(session, 4) == 40


async def test_a_caller_that_goes_away_leaves_the_others_their_answers(database):
    batches = []
    loader = BatchLoader(database, _recording(batches, delay=0.05))
    async with database.transaction(write=False) as session:
        gone = asyncio.ensure_future(loader.load(session, 1))
        stays = asyncio.ensure_future(loader.load(session, 1))
        other = asyncio.ensure_future(loader.load(session, 2))
        await asyncio.sleep(0.01)
        gone.cancel()
        assert (await stays, await other) == (10, 20)
    assert gone.cancelled()
    assert batches == [[1, 2]]


async def test_on_in_memory_sqlite_a_lookup_runs_alone_in_the_callers_session():
    database = Database("sqlite:///:memory:")
    try:
        batches = []
        loader = BatchLoader(database, _recording(batches, delay=0))
        async with database.transaction(write=False) as session:
            assert (await loader.load(session, 1), await loader.load(session, 2)) == (10, 20)
        assert batches == [[1], [2]]  # no second session can open beside the caller's
    finally:
        await database.dispose()


async def test_closing_cancels_the_batch_in_flight_and_the_one_gathering(database):
    batches = []
    loader = BatchLoader(database, _recording(batches, delay=5))
    async with database.transaction(write=False) as session:
        in_flight = asyncio.ensure_future(loader.load(session, 1))
        await asyncio.sleep(0.05)
        gathering = asyncio.ensure_future(loader.load(session, 2))
        await asyncio.sleep(0.01)
        await asyncio.wait_for(loader.close(), 1)
        results = await asyncio.wait_for(asyncio.gather(in_flight, gathering, return_exceptions=True), 1)
    assert [type(result).__name__ for result in results] == ["CancelledError", "CancelledError"]
    assert batches == [[1]]  # the second batch never ran, and nobody is left waiting for it
