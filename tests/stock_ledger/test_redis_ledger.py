"""The Redis ledger in the test process, on the shared Redis (a key prefix per test) and the test
database: replay idempotency, give-back on expiry, and why a stale Redis never oversells. (The
Lua verdicts and the give-back are in test_redis_stock.py.) Live: each test drives its own ledger
on the committed database, in its own event loop, so the deals are made through the live server."""

import asyncio
import time
from datetime import timedelta

import pytest

from kuajing.flash_sale.ledger import Refused, Reserved
from kuajing.fulfillment import service as fulfillment_service
from kuajing.kit.time import utcnow
from kuajing.stock_ledger import attempt_codec, redis_reconciler
from kuajing.stock_ledger.redis_ledger import ReplayReport
from kuajing.stock_ledger.redis_stock import TAKEN
from tests.auth.factories import bulk_buyers_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import Ledger, create_campaign, create_deal, holders, ledger_of, wine_deal_of
from tests.helpers import fulfillment_context
from tests.stock_ledger.redis_factories import prepared, redis_ledger
from tests.stock_ledger.redis_servers import delete_prefix, new_prefix


@pytest.fixture
def prefix(redis_url):
    prefix = new_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


def test_replaying_a_dead_workers_entries_twice_writes_one_order_each(
    live_api, operator_token, database_url, redis_url, prefix
):
    # given 3 attempts Redis admitted for a worker that died before writing them, and one more
    # the database will refuse (its buyer already holds the limit through an earlier order)
    deal = wine_deal_of(live_api, operator_token, 10, per_buyer_limit=1)
    buyers = bulk_buyers_with_identity(database_url, 4)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            attempts = await prepared(ledger.database, deal["id"], buyers)
            earlier = await ledger.purchase(attempts[3])
            assert isinstance(earlier, Reserved)
            await ledger.stock.client.hdel(
                ledger.stock.keys(deal["id"], 0)[1], buyers[3].id
            )  # Redis forgot it
            for i, attempt in enumerate(attempts):
                taken = await ledger.stock.take(
                    deal["id"],
                    0,
                    now_ms=int(time.time() * 1000),
                    buyer_id=attempt.buyer_id,
                    quantity=1,
                    token=f"0.dead{i}",
                    payload=attempt_codec.dumps(attempt),
                )
                assert taken.verdict == TAKEN
            entries = await ledger.stock.entries(deal["id"], 0)
            # when the replayer runs, twice at once, then once more over the same entries
            both = await asyncio.gather(
                ledger.replay(deal["id"], 0, entries), ledger.replay(deal["id"], 0, entries)
            )
            again = await ledger.replay(deal["id"], 0, entries)
            stale = await ledger.replay_stale()
            return (
                both,
                again,
                stale,
                await ledger.stock.stock(deal["id"], 0),
                await ledger.stock.entries(deal["id"], 0),
            )

    both, again, stale, redis_stock, left = asyncio.run(run())

    # then each admitted attempt has exactly one order; the refused one gave its unit back
    assert sorted(both, key=lambda r: r.written) == [ReplayReport(3, 1, 0), ReplayReport(3, 1, 0)]
    assert again == ReplayReport(3, 1, 0)
    assert stale == ReplayReport()  # nothing left in the stream
    assert left == []
    assert holders(database_url, deal["id"]) == {buyer.id for buyer in buyers}
    assert ledger_of(database_url, deal["id"]) == Ledger(
        quantity=10,
        remaining=6,
        reserved=4,
        sold=0,
        held_units=4,
        sold_units=0,
        orders=4,
        order_units=4,
        most_units_per_buyer=1,
        most_orders_per_buyer=1,
        buyers=4,
    )
    assert redis_stock == 6


def test_a_stale_redis_admits_too_many_the_database_refuses_them_and_redis_is_set_again(
    live_api, operator_token, database_url, redis_url, prefix
):
    # given a 3-unit deal sold out in the database, and a Redis that wrongly says 5 are left
    deal = wine_deal_of(live_api, operator_token, 3)
    buyers = bulk_buyers_with_identity(database_url, 8)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            attempts = await prepared(ledger.database, deal["id"], buyers)
            first = await asyncio.gather(*(ledger.purchase(a) for a in attempts[:3]))
            await ledger.stock.client.hset(ledger.stock.keys(deal["id"], 0)[0], "stock", 5)
            # when five more buyers try
            late = await asyncio.gather(*(ledger.purchase(a) for a in attempts[3:]))
            # the ledger sets the deal from the database once the database says sold out
            deadline = time.monotonic() + 10
            while await ledger.stock.stock(deal["id"], 0) != 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            resynced = await ledger.stock.stock(deal["id"], 0)
            checked = await redis_reconciler.reconcile_deal(
                ledger.database, ledger.stock, deal_id=deal["id"], repair=False
            )
            return first, late, resynced, checked

    first, late, resynced, checked = asyncio.run(run())

    # then Redis admitted them and the database refused every one
    assert all(isinstance(o, Reserved) for o in first)
    assert [o.error.code for o in late if isinstance(o, Refused)] == ["sold_out"] * 5
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.buyers) == (0, 3, 3, 3)
    # and Redis was set from the database (not left holding the 5 units the refusals gave back,
    # which would admit, and on the API answer, buyers the database refuses until a reconcile)
    assert resynced == 0
    assert [(d.found, d.expected, d.drifted) for d in checked] == [(0, 0, False)]


def test_a_deal_not_started_is_refused_by_redis(live_api, operator_token, database_url, redis_url, prefix):
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=5)
    campaign = create_campaign(live_api, operator_token, starts_in=timedelta(hours=1))
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=5)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            (attempt,) = await prepared(ledger.database, deal["id"], [buyer])
            return await ledger.purchase(attempt)

    outcome = asyncio.run(run())
    assert isinstance(outcome, Refused)
    assert outcome.error.code == "not_started"


def test_an_expired_order_gives_its_units_back_in_the_database_and_in_redis(
    live_api, operator_token, database_url, redis_url, prefix
):
    # given a 2-unit deal held whole by one unpaid order placed through Redis
    deal = wine_deal_of(live_api, operator_token, 2, per_buyer_limit=2)
    (holder,) = bulk_buyers_with_identity(database_url, 1)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            (attempt,) = await prepared(ledger.database, deal["id"], [holder], quantity=2)
            held = await ledger.purchase(attempt)
            assert isinstance(held, Reserved)
            before = (await ledger.stock.stock(deal["id"], 0), await ledger.stock.buyer_units(deal["id"], 0))
            # when the sweeper's step expires it (as if its time had passed) and, after the
            # commit, tells the ledger, twice (two workers sweeping)
            async with ledger.database.transaction(write=True) as session:
                assert await fulfillment_service.expire_order(
                    session, fulfillment_context(), order_id=held.order_id, now=utcnow() + timedelta(hours=1)
                )
            await ledger.released([held.order_id])
            await ledger.released([held.order_id])
            after = (await ledger.stock.stock(deal["id"], 0), await ledger.stock.buyer_units(deal["id"], 0))
            return before, after

    before, after = asyncio.run(run())

    # then both units are back, once, on the deal in the database and in Redis
    assert before == (0, {holder.id: 2})
    assert after == (2, {})
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.most_units_per_buyer) == (2, 0, 0, 0)


def test_an_entry_that_cannot_be_decoded_is_given_back_without_stopping_the_replay(
    live_api, operator_token, database_url, redis_url, prefix
):
    # given two dead workers' entries: one whose priced attempt carries a broken decimal, one fine
    deal = wine_deal_of(live_api, operator_token, 5)
    buyers = bulk_buyers_with_identity(database_url, 2)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            await ledger.reload(deal["id"])
            attempts = await prepared(ledger.database, deal["id"], buyers)
            payloads = [attempt_codec.dumps(attempts[0]), attempt_codec.dumps(attempts[1])]
            broken = payloads[0].replace('"$dec":"', '"$dec":"not-a-number', 1)
            assert broken != payloads[0]
            for i, (attempt, payload) in enumerate(zip(attempts, [broken, payloads[1]], strict=True)):
                taken = await ledger.stock.take(
                    deal["id"],
                    0,
                    now_ms=int(time.time() * 1000),
                    buyer_id=attempt.buyer_id,
                    quantity=1,
                    token=f"0.odd{i}",
                    payload=payload,
                )
                assert taken.verdict == TAKEN
            # when the replayer runs over both
            report = await ledger.replay(deal["id"], 0, await ledger.stock.entries(deal["id"], 0))
            return report, await ledger.stock.stock(deal["id"], 0), await ledger.stock.entries(deal["id"], 0)

    report, redis_stock, left = asyncio.run(run())

    # then the broken one's unit is back in Redis, the good one became an order, nothing is left
    assert report == ReplayReport(written=1, given_back=1, failed=0)
    assert (redis_stock, left) == (4, [])
    assert holders(database_url, deal["id"]) == {buyers[1].id}


def test_an_admitted_attempt_is_sealed_in_the_stream_and_a_sealed_entry_replays(
    live_api, operator_token, database_url, redis_url, prefix
):
    # the stream entry names the buyer (ID number, address): Redis may keep it on disk
    deal = wine_deal_of(live_api, operator_token, 10, per_buyer_limit=1)
    first, dead = bulk_buyers_with_identity(database_url, 2)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix) as ledger:
            attempts = await prepared(ledger.database, deal["id"], [first, dead])
            payloads: list[str] = []
            take = ledger.stock.take

            async def spy(*args, **kwargs):
                payloads.append(kwargs["payload"])
                return await take(*args, **kwargs)

            ledger.stock.take = spy  # type: ignore[method-assign]
            bought = await ledger.purchase(attempts[0])
            # a worker that died after Redis admitted its attempt: its entry, sealed as it would be
            sealed = (await ledger.database.keyring()).seal("orders", attempt_codec.dumps(attempts[1]))
            taken = await take(
                deal["id"],
                0,
                now_ms=int(time.time() * 1000),
                buyer_id=dead.id,
                quantity=1,
                token="0.deadsealed",
                payload=sealed,
            )
            assert taken.verdict == TAKEN
            replayed = await ledger.replay(deal["id"], 0, await ledger.stock.entries(deal["id"], 0))
            return bought, payloads, attempts[0].id_number, replayed

    bought, payloads, number, replayed = asyncio.run(run())
    assert isinstance(bought, Reserved)
    # the deal was not in Redis yet: the first take loads it, the second takes, same entry both times
    assert len(payloads) == 2 and payloads[0] == payloads[1] and payloads[0].startswith("kj1:orders:")
    assert not any(number in payload or "李娜" in payload for payload in payloads)
    assert replayed == ReplayReport(written=1, given_back=0, failed=0)
    assert holders(database_url, deal["id"]) == {first.id, dead.id}
