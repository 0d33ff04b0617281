"""The buyers' facts in Redis (kuajing/compliance/buyer_facts.py): compliance.year.buyer_years
reads a buyer's identity and their person's year there once Redis has them, with no database
statement, and the same values the database gives; an identity's change is read from the
database from the moment it is made (its own transaction's quote included) until its mark
expires, a read older than the change cannot put the old identity back, and a change rolled back
leaves nothing stale; deleted accounts leave nothing, and a Redis failure stops their delete;
`kuajing flash-sale warm-buyers` sets every keyed identity and room before a sale, leaving rooms
Redis holds as they are; after a flush, or with Redis down, the database answers.

On this module's own redis-server (so one may flush it) and the session's database."""

import asyncio
import contextlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, event, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import buyer_facts, year
from kuajing.compliance import repository as compliance_repository
from kuajing.compliance import service as compliance_service
from kuajing.compliance.buyer_facts import BuyerFacts
from kuajing.compliance.year import BuyerYear
from kuajing.compliance.year_room import Held
from kuajing.db import Database, savepoint
from kuajing.models import BuyerIdentity
from kuajing.rehearsal import repository as rehearsal_repository
from kuajing.stock_ledger.redis_stock import RedisStock
from kuajing.stock_ledger.setup import keep_buyers_in
from tests.auth.factories import bulk_buyers_with_identity, new_id_number
from tests.compliance.room_factories import (
    db_years,
    person_keys,
    rooms,
    set_db_used,
    set_room_used,
    this_year,
)
from tests.helpers import in_db
from tests.stock_ledger.redis_servers import new_prefix


@pytest.fixture
def prefix():
    return new_prefix()


@asynccontextmanager
async def kept_in(database_url: str, redis_url: str, prefix: str) -> AsyncIterator[Database]:
    """A Database whose sessions keep the buyers in this Redis, as a server's do."""
    database = Database(database_url)
    stock = RedisStock.connect(redis_url, cluster=False, prefix=prefix, buckets=1)
    keep_buyers_in(database, stock, prefix=prefix)
    try:
        yield database
    finally:
        await stock.close()
        await database.dispose()


async def _facts(database: Database) -> BuyerFacts:
    async with database.transaction(write=False) as session:
        facts = buyer_facts.of(session)
    assert facts is not None
    return facts


def _shown(found: dict[tuple[int, int], BuyerYear]) -> dict[tuple[int, int], tuple]:
    """What a read says of each buyer, comparable across reads."""
    return {
        key: (
            None
            if buyer.identity is None
            else (
                buyer.identity.user_id,
                buyer.identity.name,
                buyer.identity.id_number,
                buyer.identity.person_key,
                buyer.identity.birth_date,
            ),
            buyer.annual_used,
            buyer.quantities_used,
        )
        for key, buyer in found.items()
    }


async def _counted(database: Database, keys: Sequence[tuple[int, int]]) -> tuple[dict, int]:
    """buyer_years for `keys` in a read of `database`, and how many statements it sent."""
    statements: list[str] = []
    async with database.transaction(write=False) as session:
        engine = (await session.connection()).sync_engine

        def count(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            found = await year.buyer_years(session, keys)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return _shown(found), len(statements)


def _without_birth(found: dict) -> dict:
    """_shown's values without the birth date (bulk buyers' are random)."""
    return {
        key: (None if identity is None else identity[:4], used, held)
        for key, (identity, used, held) in found.items()
    }


async def _plain(database_url: str, keys: Sequence[tuple[int, int]]) -> dict:
    """buyer_years as the database alone answers it (a Database without Redis)."""
    database = Database(database_url)
    try:
        async with database.transaction(write=False) as session:
            return _shown(await year.buyer_years(session, keys))
    finally:
        await database.dispose()


def _from_database(database_url: str, keys: Sequence[tuple[int, int]]) -> dict:
    return asyncio.run(_plain(database_url, keys))


def test_a_read_keeps_the_buyers_in_redis_and_the_next_read_sends_no_statement(
    database_url, own_redis, prefix
):
    # given a buyer who used 1,234.56 CNY of the year, one who used nothing, and an account
    # without an identity
    used, fresh = bulk_buyers_with_identity(database_url, 2)
    keys = person_keys(database_url, [used.id, fresh.id])
    now = this_year()
    set_db_used(database_url, [keys[used.id]], now, 123_456)
    nobody = 2_000_000_001
    asked = [(used.id, now), (fresh.id, now), (nobody, now)]
    expected = _from_database(database_url, asked)
    assert expected[used.id, now][1:] == (123_456, {})
    assert expected[nobody, now] == (None, 0, {})

    # when they are read twice through a database keeping its buyers in Redis
    async def twice():
        async with kept_in(database_url, own_redis.url, prefix) as database:
            first = await _counted(database, asked)
            # the rooms are set by an order's reservation; here, from what the database holds
            facts = await _facts(database)
            await facts.room.warm(
                [(keys[used.id], now, Held(123_456, {})), (keys[fresh.id], now, Held(0, {}))]
            )
            return first, await _counted(database, asked)

    (first, first_statements), (second, second_statements) = asyncio.run(twice())

    # then the first read asks the database, the second nothing, and both say what it says
    assert first == second == expected
    assert first_statements == 1
    assert second_statements == 0


def test_an_identity_change_reaches_the_reads_at_once_and_an_older_read_cannot_put_it_back(
    database_url, own_redis, prefix, monkeypatch
):
    # given a buyer Redis holds, with their person's room, and the room of the person whose ID
    # number they will give instead: Redis could answer either identity
    monkeypatch.setattr(buyer_facts, "CHANGING_SECONDS", 1)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)
    now = this_year()
    asked = [(buyer.id, now)]
    other_number = new_id_number()

    async def run():
        async with kept_in(database_url, own_redis.url, prefix) as database:
            facts = await _facts(database)
            async with database.transaction(write=False) as session:
                keyring = buyer_facts.keyring_for(session)
                stale = await year._read_years(session, asked)  # a read made before the change
            await facts.room.warm(
                [
                    (keyring.person_key(stale[buyer.id, now].identity.id_number), now, Held(0, {})),
                    (keyring.person_key(other_number), now, Held(0, {})),
                ]
            )
            await _counted(database, asked)
            held_before = await _counted(database, asked)
            # when the buyer gives another ID number and name
            async with database.transaction(write=True) as session:
                await compliance_service.set_identity(
                    session, user_id=buyer.id, name="李新名", id_number=other_number
                )
            changed = await _counted(database, asked)
            # and the read from before the change comes back to set what it saw
            await facts.remember(keyring, {buyer.id: stale[buyer.id, now].identity})
            after_stale = await _counted(database, asked)
            # and once the change's mark has expired, the buyer is read and kept again
            await asyncio.sleep(1.2)
            kept_again = [await _counted(database, asked) for _ in range(2)]
            # and the buyer then gives the ID number up
            async with database.transaction(write=True) as session:
                await compliance_service.release_identity(session, user_id=buyer.id)
            released = await _counted(database, asked)
            old_number = stale[buyer.id, now].identity.id_number
            other_person = keyring.person_key(other_number)
            return old_number, other_person, held_before, changed, after_stale, kept_again, released

    old_number, other_person, held_before, changed, after_stale, kept_again, released = asyncio.run(run())

    # then Redis answered the old identity alone before, the database answers the new one as
    # soon as it is committed (the older read set nothing), Redis again once the mark expired,
    # and the release is read from the database
    identity, statements = held_before[0][buyer.id, now][0], held_before[1]
    assert (identity[0], identity[2], statements) == (buyer.id, old_number, 0)
    new = {(buyer.id, now): ((buyer.id, "李新名", other_number, other_person), 0, {})}
    assert _without_birth(changed[0]) == new and changed[1] == 1
    assert _without_birth(after_stale[0]) == new and after_stale[1] == 1
    assert [(_without_birth(found), n) for found, n in kept_again] == [(new, 1), (new, 0)]
    assert released == ({(buyer.id, now): (None, 0, {})}, 1)


def test_a_quote_in_the_changing_transaction_reads_the_new_identity_and_a_rollback_leaves_none(
    database_url, own_redis, prefix
):
    # given an account without an identity, which Redis holds as such (it looked at a page)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)

    async def release(session: AsyncSession) -> None:
        await session.execute(delete(BuyerIdentity).where(BuyerIdentity.user_id == buyer.id))

    in_db(database_url, release)
    now = this_year()
    asked = [(buyer.id, now)]
    number = new_id_number()

    async def run():
        async with kept_in(database_url, own_redis.url, prefix) as database:
            before = await _counted(database, asked)
            # when the checkout saves the identity and quotes in one transaction (the page's)
            async with database.transaction(write=True) as session:
                await compliance_service.set_identity(
                    session, user_id=buyer.id, name="王小明", id_number=number
                )
                in_transaction = _shown(await year.buyer_years(session, asked))
            # and when another save is rolled back to its savepoint, the transaction committing
            async with database.transaction(write=True) as session:
                with contextlib.suppress(RuntimeError):
                    async with savepoint(session):
                        await compliance_service.release_identity(session, user_id=buyer.id)
                        raise RuntimeError("the page's next check refused")
            after = await _counted(database, asked)
            return before, in_transaction, after

    before, in_transaction, after = asyncio.run(run())

    # then the quote saw the identity it had just saved, not Redis's "none", and after the
    # rolled-back release the identity is still the one the database holds
    assert before == ({(buyer.id, now): (None, 0, {})}, 1)
    assert _without_birth(in_transaction)[buyer.id, now][0][1:3] == ("王小明", number)
    assert _without_birth(after[0])[buyer.id, now][0][1:3] == ("王小明", number)


def test_deleted_accounts_leave_nothing_in_redis_and_a_redis_failure_stops_the_delete(
    database_url, own_redis, prefix
):
    # given two rehearsal buyers Redis holds, with their rooms
    buyers = bulk_buyers_with_identity(database_url, 2)
    keys = person_keys(database_url, [buyer.id for buyer in buyers])
    now = this_year()
    asked = [(buyer.id, now) for buyer in buyers]

    async def run():
        async with kept_in(database_url, own_redis.url, prefix) as database:
            facts = await _facts(database)
            await facts.room.warm([(keys[buyer.id], now, Held(0, {})) for buyer in buyers])
            await _counted(database, asked)
            held = await _counted(database, asked)
            # when a cleanup deletes the first, with Redis answering
            async with database.transaction(write=True) as session:
                await rehearsal_repository.delete_users(session, [buyers[0].id])
            after = await _counted(database, asked)
        # and when it deletes the second through a Redis that does not answer
        async with kept_in(database_url, "redis://127.0.0.1:1", prefix) as database:
            with pytest.raises(RedisError):
                async with database.transaction(write=True) as session:
                    await rehearsal_repository.delete_users(session, [buyers[1].id])
        return held, after

    held, after = asyncio.run(run())

    # then Redis answered both before, the first is gone from Redis and the database, and the
    # second's delete did not happen
    assert held[1] == 0
    assert after[1] == 1
    assert after[0][buyers[0].id, now] == (None, 0, {})
    assert after[0][buyers[1].id, now][0][0] == buyers[1].id
    assert person_keys(database_url, [buyers[1].id]) == {buyers[1].id: keys[buyers[1].id]}


def test_warm_buyers_sets_every_keyed_buyer_and_leaves_the_rooms_redis_holds(database_url, own_redis, prefix):
    # given three buyers who used 100.00, 200.00 and 300.00 CNY of the year, one more whose
    # identity has no lookup key (a claim awaiting an operator), and a room Redis already holds
    # above the database (an order reserved there and not yet committed)
    buyers = bulk_buyers_with_identity(database_url, 4)
    *keyed, unkeyed = buyers
    keys = person_keys(database_url, [buyer.id for buyer in keyed])
    now = this_year()
    for amount, buyer in zip((10_000, 20_000, 30_000), keyed, strict=True):
        set_db_used(database_url, [keys[buyer.id]], now, amount)

    async def unkey(session: AsyncSession) -> None:
        await session.execute(
            update(BuyerIdentity).where(BuyerIdentity.user_id == unkeyed.id).values(person_key=None)
        )

    in_db(database_url, unkey)
    set_room_used(own_redis.url, prefix, keys[keyed[2].id], now, 45_000)
    asked = [(buyer.id, now) for buyer in buyers]
    expected = _from_database(database_url, asked)

    async def keyed_count(session: AsyncSession) -> int:
        return await compliance_repository.keyed_identity_count(session)

    keyed_in_database = in_db(database_url, keyed_count, write=False)  # other tests' buyers too

    # when the operator warms the buyers
    result = subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "flash-sale", "warm-buyers", "--year", str(now)],
        env={
            **os.environ,
            "KUAJING_DATABASE_URL": database_url,
            "KUAJING_REDIS_URL": own_redis.url,
            "KUAJING_REDIS_PREFIX": prefix,
            "COLUMNS": "200",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then every keyed buyer is in Redis: the rooms are the database's, but the one Redis held
    assert result.returncode == 0, result.stdout + result.stderr
    warmed = re.search(
        r"(\d+) buyer\(s\) with an identity are in Redis for (\d+); (\d+) yearly room", result.stdout
    )
    assert warmed is not None, result.stdout
    buyers_warmed, warmed_year, rooms_set = (int(group) for group in warmed.groups())
    assert warmed_year == now
    assert buyers_warmed == keyed_in_database
    assert rooms_set == keyed_in_database - 1  # all but the room Redis held
    assert rooms(own_redis.url, prefix, [keys[buyer.id] for buyer in keyed], now) == {
        keys[keyed[0].id]: Held(10_000, {}),
        keys[keyed[1].id]: Held(20_000, {}),
        keys[keyed[2].id]: Held(45_000, {}),
    }
    assert db_years(database_url, [keys[keyed[2].id]], now) == {keys[keyed[2].id]: Held(30_000, {})}

    # and the purchases' reads then ask the database only for the unkeyed one
    async def read():
        async with kept_in(database_url, own_redis.url, prefix) as database:
            return await _counted(database, asked)

    found, statements = asyncio.run(read())
    assert found == {**expected, (keyed[2].id, now): (expected[keyed[2].id, now][0], 45_000, {})}
    assert statements == 3  # the unkeyed identity, and its person's year and capped lines by number


def test_after_a_flush_or_with_redis_down_the_database_answers(database_url, own_redis, prefix):
    # given two buyers Redis knows
    buyers = bulk_buyers_with_identity(database_url, 2)
    now = this_year()
    asked = [(buyer.id, now) for buyer in buyers]
    expected = _from_database(database_url, asked)

    async def run():
        async with kept_in(database_url, own_redis.url, prefix) as database:
            await _counted(database, asked)
            # when Redis loses everything
            await Redis.from_url(own_redis.url).flushall()
            after_flush = await _counted(database, asked)
        # and when a database keeps its buyers in a Redis that does not answer
        async with kept_in(database_url, "redis://127.0.0.1:1", prefix) as database:
            down = await _counted(database, asked)
        return after_flush, down

    (after_flush, flush_statements), (down, down_statements) = asyncio.run(run())

    # then the database answers both, as it would alone
    assert after_flush == down == expected
    assert flush_statements == down_statements == 1
