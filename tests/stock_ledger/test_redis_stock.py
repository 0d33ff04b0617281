"""The Redis stock's Lua script, on the shared Redis (a key prefix per test) and the test
database: its verdicts and the contract's 409 codes they map to, and a give-back that returns
units once. Live: each test drives its own ledger on the committed database, in its own event
loop."""

import asyncio
import time

import pytest

from kuajing.stock_ledger.redis_ledger import refusal_for
from kuajing.stock_ledger.redis_stock import BUYER_LIMIT, ENDED, NOT_STARTED, SOLD_OUT, TAKEN, RedisStock
from tests.auth.factories import bulk_buyers_with_identity
from tests.flash_sale.factories import wine_deal_of
from tests.stock_ledger.redis_factories import prepared, redis_ledger
from tests.stock_ledger.redis_servers import delete_prefix, new_prefix


@pytest.fixture
def prefix(redis_url):
    prefix = new_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


def test_lua_verdicts_map_to_the_contracts_409_codes(
    live_api, operator_token, database_url, redis_url, prefix
):
    deal = wine_deal_of(live_api, operator_token, 2, per_buyer_limit=1)
    first, second, third = bulk_buyers_with_identity(database_url, 3)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            (attempt,) = await prepared(ledger.database, deal["id"], [first])
            await ledger.reload(deal["id"])
            facts = attempt.deal
            starts = int(facts.starts_at.timestamp() * 1000)
            ends = int(facts.ends_at.timestamp() * 1000)

            async def take(buyer, now_ms):
                taken = await ledger.stock.take(
                    deal["id"],
                    0,
                    now_ms=now_ms,
                    buyer_id=buyer.id,
                    quantity=1,
                    token=f"0.{now_ms}",
                    payload="{}",
                )
                return taken.verdict

            during = starts + 1000
            return [
                await take(first, starts - 1),
                await take(first, ends),
                await take(first, during),
                await take(first, during),
                await take(second, during),
                await take(third, during),
            ], facts

    verdicts, facts = asyncio.run(run())

    assert verdicts == [NOT_STARTED, ENDED, TAKEN, BUYER_LIMIT, TAKEN, SOLD_OUT]
    errors = [refusal_for(facts, verdict) for verdict in (NOT_STARTED, ENDED, BUYER_LIMIT, SOLD_OUT)]
    assert [(error.status, error.code) for error in errors] == [
        (409, "not_started"),
        (409, "ended"),
        (409, "buyer_limit_reached"),
        (409, "sold_out"),
    ]


def test_a_give_back_returns_units_once(live_api, operator_token, database_url, redis_url, prefix):
    deal = wine_deal_of(live_api, operator_token, 5, per_buyer_limit=2)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            await ledger.reload(deal["id"])
            entry_id = (
                await ledger.stock.take(
                    deal["id"],
                    0,
                    now_ms=int(time.time() * 1000),
                    buyer_id=buyer.id,
                    quantity=2,
                    token="0.t",
                    payload="{}",
                )
            ).entry_id
            taken = (await ledger.stock.stock(deal["id"], 0), await ledger.stock.buyer_units(deal["id"], 0))
            gave = [
                await ledger.stock.give_back(deal["id"], 0, entry_id=entry_id, buyer_id=buyer.id, quantity=2)
                for _ in range(3)
            ]
            after = (await ledger.stock.stock(deal["id"], 0), await ledger.stock.buyer_units(deal["id"], 0))
            return taken, gave, after, await ledger.stock.entries(deal["id"], 0)

    taken, gave, after, entries = asyncio.run(run())

    assert taken == (3, {buyer.id: 2})
    assert gave == [True, False, False]
    assert after == (5, {})
    assert entries == []


@pytest.mark.once
def test_forgetting_a_deal_deletes_its_keys_in_every_bucket_and_nothing_else(redis_url, prefix):
    async def run():
        stock = RedisStock.connect(redis_url, cluster=False, prefix=prefix, buckets=2)
        try:
            # given deal 7 loaded in both buckets and deal 8 beside it
            hash_0, buyers_0 = stock.keys(7, 0)[:2]
            await stock.client.hset(hash_0, "stock", 5)
            await stock.client.hset(buyers_0, "41", 1)
            await stock.client.hset(stock.keys(7, 1)[0], "stock", 4)
            await stock.client.hset(stock.keys(8, 0)[0], "stock", 9)
            await stock.register(7)
            await stock.register(8)

            # when
            removed = await stock.forget_deal(7)

            return removed, await stock.loaded_deals(), await stock.stock(7, 0), await stock.stock(8, 0)
        finally:
            await stock.close()

    assert asyncio.run(run()) == (3, [8], None, 9)


def test_takes_asked_for_together_are_sent_together_and_each_gets_its_own_verdict(
    live_api, operator_token, database_url, own_redis, prefix
):
    # given a 3-unit deal (one per buyer), on a Redis of this module's own
    deal = wine_deal_of(live_api, operator_token, 3, per_buyer_limit=1)
    buyers = bulk_buyers_with_identity(database_url, 4)

    async def run():
        async with redis_ledger(database_url, own_redis.url, prefix=prefix) as ledger:
            await ledger.reload(deal["id"])
            sent = []
            pipeline = ledger.stock.client.pipeline

            def counted(*args, **kwargs):
                sent.append(1)
                return pipeline(*args, **kwargs)

            ledger.stock.client.pipeline = counted  # type: ignore[method-assign]

            async def take(buyer, token):
                return await ledger.stock.take(
                    deal["id"],
                    0,
                    now_ms=int(time.time() * 1000),
                    buyer_id=buyer.id,
                    quantity=1,
                    token=token,
                    payload="{}",
                )

            # when five takes are asked for in one turn of the event loop (one buyer twice)
            together = await asyncio.gather(
                *(take(buyer, f"0.t{i}") for i, buyer in enumerate([buyers[0], *buyers]))
            )
            pipelines = len(sent)
            # and again after Redis lost its scripts (a restart, SCRIPT FLUSH)
            await ledger.stock.client.script_flush()
            await ledger.stock.client.hset(ledger.stock.keys(deal["id"], 0)[0], "stock", 1)
            await ledger.stock.client.hdel(ledger.stock.keys(deal["id"], 0)[1], buyers[3].id)
            after_flush = await asyncio.gather(take(buyers[3], "0.u0"), take(buyers[3], "0.u1"))
            return together, pipelines, after_flush, await ledger.stock.stock(deal["id"], 0)

    together, pipelines, after_flush, left = asyncio.run(run())

    # then they went in one pipeline, and Redis decided each in the order asked
    assert pipelines == 1
    assert [taken.verdict for taken in together] == [TAKEN, BUYER_LIMIT, TAKEN, TAKEN, SOLD_OUT]
    assert [bool(taken.entry_id) for taken in together] == [True, False, True, True, False]
    # and with the scripts lost, each was sent again alone (which loads the script) and decided
    assert [taken.verdict for taken in after_flush] == [TAKEN, BUYER_LIMIT]
    assert left == 0
