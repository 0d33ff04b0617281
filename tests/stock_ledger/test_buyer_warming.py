"""The Redis ledger's upkeep sets the buyers in Redis before a campaign opens
(kuajing/stock_ledger/buyer_warming.py): not while the campaign is further off than the lead
time, once when it comes within it, not again while the campaign's mark stays, and again after a
flush took the mark. Never for a rehearsal's campaign. On a migrated SQLite file of its own (so
no other test's campaign is open) and this module's own redis-server."""

import asyncio
import contextlib
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.bootstrap import prepare_database
from kuajing.compliance.year import Warmed
from kuajing.compliance.year_room import Held
from kuajing.db import Database
from kuajing.kit.time import beijing_year, utcnow
from kuajing.models import Campaign
from kuajing.stock_ledger import buyer_warming
from kuajing.stock_ledger.redis_stock import RedisStock
from kuajing.stock_ledger.setup import keep_buyers_in
from tests.auth.factories import bulk_buyers_with_identity
from tests.compliance.room_factories import person_keys, rooms, set_db_used
from tests.helpers import in_db
from tests.stock_ledger.redis_factories import redis_ledger
from tests.stock_ledger.redis_servers import new_prefix

AHEAD = timedelta(minutes=10)


@pytest.fixture
def marketplace(tmp_path):
    url = f"sqlite:///{tmp_path / 'kuajing.db'}"
    prepare_database(url)
    return url


def _campaign(url: str, *, starts_in: timedelta, rehearsal: bool = False, by: int) -> int:
    async def write(session: AsyncSession) -> int:
        now = utcnow()
        campaign = Campaign(
            name="双11",
            starts_at=now + starts_in,
            ends_at=now + starts_in + timedelta(hours=2),
            created_by_id=by,
            created_at=now,
            rehearsal=rehearsal,
        )
        session.add(campaign)
        await session.flush()
        return campaign.id

    return in_db(url, write)


def test_the_buyers_are_set_once_a_campaign_is_within_the_lead_time_and_again_after_a_flush(
    marketplace, own_redis
):
    # given two buyers who used 50.00 and 0 CNY of the year, a rehearsal's campaign opening in
    # a minute, and a real one opening in 15 minutes (the lead time is 10)
    used, fresh = bulk_buyers_with_identity(marketplace, 2)
    keys = person_keys(marketplace, [used.id, fresh.id])
    now_year = beijing_year(utcnow())
    set_db_used(marketplace, [keys[used.id]], now_year, 5_000)
    _campaign(marketplace, starts_in=timedelta(minutes=1), rehearsal=True, by=used.id)
    campaign_id = _campaign(marketplace, starts_in=timedelta(minutes=15), by=used.id)
    prefix = new_prefix()

    async def round_at(after: timedelta):
        database = Database(marketplace)
        stock = RedisStock.connect(own_redis.url, cluster=False, prefix=prefix, buckets=1)
        keep_buyers_in(database, stock, prefix=prefix)
        try:
            return await buyer_warming.warm_before_opening(database, stock, ahead=AHEAD, now=utcnow() + after)
        finally:
            await stock.close()
            await database.dispose()

    def held():
        return rooms(own_redis.url, prefix, [keys[used.id], keys[fresh.id]], now_year)

    # when the upkeep's round comes now, then 6 minutes on (9 before the opening), then again
    early = asyncio.run(round_at(timedelta(0)))
    early_rooms = held()
    within = asyncio.run(round_at(timedelta(minutes=6)))
    again = asyncio.run(round_at(timedelta(minutes=6)))

    # then nothing is set while the campaign is 15 minutes off (the rehearsal's is not a reason),
    # both buyers are set once it is within 10, and the next round finds the campaign marked
    assert early == []
    assert early_rooms == {keys[used.id]: None, keys[fresh.id]: None}
    assert within == [Warmed(buyers=2, rooms_set=2)]
    assert held() == {keys[used.id]: Held(5_000, {}), keys[fresh.id]: Held(0, {})}
    assert again == []

    # and when Redis loses everything, the next round sets them again
    asyncio.run(Redis.from_url(own_redis.url).flushall())
    assert asyncio.run(round_at(timedelta(minutes=6))) == [Warmed(buyers=2, rooms_set=2)]
    assert held() == {keys[used.id]: Held(5_000, {}), keys[fresh.id]: Held(0, {})}
    mark = buyer_warming.mark_key(
        RedisStock.connect(own_redis.url, cluster=False, prefix=prefix, buckets=1), campaign_id, now_year
    )
    assert asyncio.run(Redis.from_url(own_redis.url).exists(mark)) == 1


def test_the_upkeep_loop_warms_beside_its_rounds(marketplace, own_redis):
    # given a buyer who used 12.34 CNY of the year, and a campaign opening in 5 minutes
    (buyer,) = bulk_buyers_with_identity(marketplace, 1)
    key = person_keys(marketplace, [buyer.id])[buyer.id]
    now_year = beijing_year(utcnow())
    set_db_used(marketplace, [key], now_year, 1_234)
    _campaign(marketplace, starts_in=timedelta(minutes=5), by=buyer.id)
    prefix = new_prefix()

    # when a Redis ledger's upkeep runs a few rounds with a 10-minute lead
    async def upkeep() -> None:
        async with redis_ledger(marketplace, own_redis.url, prefix=prefix) as ledger:
            task = asyncio.create_task(
                ledger.upkeep_forever(replay_interval=0, reconcile_interval=0.05, warm_ahead=600)
            )
            for _ in range(100):
                if await ledger.room.held(key, now_year) is not None:
                    break
                await asyncio.sleep(0.05)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(upkeep())

    # then the buyer's room is in Redis, as the database holds it
    assert rooms(own_redis.url, prefix, [key], now_year) == {key: Held(1_234, {})}
