"""Early answers on PostgreSQL: the Redis ledger answers an API purchase as soon as Redis admits
it, with an order id taken ahead, and its writer thread writes the order after. In the test
process, on the committed live database, like test_redis_ledger.py; the writer's batches gather
for half a second, so the answer comes while the order is not yet written."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from kuajing.db import Database
from kuajing.flash_sale.ledger import Attempt, IdempotencyClaim, Refused, Replayed, Reserved
from kuajing.models import IdempotencyKey, Order, OrderEvent, Role
from kuajing.order import service as order_service
from kuajing.order.errors import OrderNotFound
from kuajing.stock_ledger import attempt_codec, redis_reconciler
from kuajing.stock_ledger.redis_ledger import RedisLedger
from tests.auth.factories import bulk_buyers_with_identity
from tests.flash_sale.factories import ledger_of, wine_deal_of
from tests.stock_ledger.redis_factories import prepared, redis_ledger
from tests.stock_ledger.redis_servers import delete_prefix, new_prefix

WINDOW = 1.0  # the writer's batches gather this long: the answer comes well before, a read waits 2 s


@pytest.fixture
def prefix(redis_url):
    prefix = new_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture(autouse=True)
def postgresql_only(database_url):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("ids are taken ahead from the orders' sequence: PostgreSQL only")


async def drained(ledger: RedisLedger, deal_id: int) -> None:
    """Until every admitted attempt of the deal is settled (its stream empty), at most 10 s."""
    deadline = time.monotonic() + 10
    while await ledger.stock.entries(deal_id, 0):
        assert time.monotonic() < deadline, "the writer did not settle the deal's stream"
        await asyncio.sleep(0.02)


async def units(ledger: RedisLedger, deal_id: int, change: int) -> None:
    """Add (or take away) units of the deal in the database only."""
    async with ledger.database.transaction(write=True) as session:
        await session.execute(
            text("UPDATE deals SET quantity = quantity + :n, remaining = remaining + :n WHERE id = :id"),
            {"n": change, "id": deal_id},
        )


def attempt_id(outcome) -> int:
    """The order id a purchase was answered with (0 for a refusal: no order has it)."""
    return outcome.order_id if isinstance(outcome, Reserved) else 0


async def early_attempts(ledger: RedisLedger, deal_id: int, buyers) -> list[Attempt]:
    """Each buyer's attempt, as an API purchase makes it (answered when Redis admits it)."""
    return [replace(a, answer_early=True) for a in await prepared(ledger.database, deal_id, buyers)]


async def bought(ledger: RedisLedger, attempt: Attempt) -> tuple[object, bool]:
    """The purchase's outcome, and whether its order was written when it was answered."""
    outcome = await ledger.purchase(attempt)
    async with ledger.database.transaction(write=False) as session:
        return outcome, bool(await order_service.present(session, [attempt_id(outcome)]))


async def loaded_then_lost(ledger: RedisLedger, deal_id: int, first: Attempt) -> tuple[object, bool]:
    """A first purchase loads the deal into Redis and is written; then Redis loses the deal, as a
    flush would. The first purchase's outcome, as bought() gives it."""
    outcome = await bought(ledger, first)
    await drained(ledger, deal_id)
    await ledger.stock.client.delete(*ledger.stock.keys(deal_id, 0))
    return outcome


@asynccontextmanager
async def lost_deal(
    database_url: str,
    redis_url: str,
    prefix: str,
    deal_id: int,
    buyers,
    *,
    write_window_seconds: float = 0.01,
) -> AsyncIterator[tuple[RedisLedger, list[Attempt], tuple[object, bool]]]:
    """An early-answering ledger, the buyers' attempts, and the outcome of the first one's
    purchase, which loaded the deal into Redis before Redis lost it (loaded_then_lost)."""
    async with redis_ledger(
        database_url, redis_url, prefix=prefix, early=True, write_window_seconds=write_window_seconds
    ) as ledger:
        attempts = await early_attempts(ledger, deal_id, buyers)
        yield ledger, attempts, await loaded_then_lost(ledger, deal_id, attempts[0])


def claim(buyer_id: int, key: str) -> IdempotencyClaim:
    return IdempotencyClaim(owner=f"user:{buyer_id}", key=key, request_hash="0" * 64)


def test_a_purchase_is_answered_before_its_order_is_written_and_a_read_of_it_waits_for_it(
    live_api, operator_token, database_url, redis_url, prefix
):
    deal = wine_deal_of(live_api, operator_token, 3)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)

    async def run():
        async with redis_ledger(
            database_url, redis_url, prefix=prefix, early=True, write_window_seconds=WINDOW
        ) as ledger:
            (attempt,) = await prepared(ledger.database, deal["id"], [buyer])
            started = time.monotonic()
            answer = await ledger.purchase(replace(attempt, answer_early=True))
            answered_in = time.monotonic() - started
            async with ledger.database.transaction(write=False) as session:
                written_then = await order_service.present(session, [answer.order_id])
                # the buyer asks for it at once: the read waits until it is written
                order = await order_service.get_order(
                    session, order_id=answer.order_id, viewer=order_service.Viewer(buyer.id, Role.buyer)
                )
            await drained(ledger, deal["id"])
            return answer, answered_in, written_then, order

    answer, answered_in, written_then, order = asyncio.run(run())

    # when Redis admits the purchase, it is answered with its order id before any write
    assert isinstance(answer, Reserved)
    assert answered_in < WINDOW
    assert written_then == set()
    # and the order written after is the one the answer named
    assert (order.id, order.buyer_id, order.status, order.channel) == (
        answer.order_id,
        buyer.id,
        "pending_payment",
        "cbec",
    )
    assert answer.answer == {
        "order_id": order.id,
        "status": "pending_payment",
        "expires_at": order.expires_at.isoformat(),
    }
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.buyers) == (2, 1, 1, 1)


def test_an_order_id_handed_out_but_never_written_is_not_found_after_the_wait(database_url, monkeypatch):
    monkeypatch.setattr(order_service, "WRITTEN_SOON_SECONDS", 1.0)

    async def run():
        database = Database(database_url)
        try:
            async with database.transaction(write=False) as session:
                (unused,) = await order_service.next_order_ids(session, 1)
                started = time.monotonic()
                with pytest.raises(OrderNotFound):
                    await order_service.get_order(
                        session, order_id=unused, viewer=order_service.Viewer(1, Role.operator)
                    )
                waited = time.monotonic() - started
                # an id the sequence never gave is answered at once
                started = time.monotonic()
                with pytest.raises(OrderNotFound):
                    await order_service.get_order(
                        session, order_id=unused + 10_000, viewer=order_service.Viewer(1, Role.operator)
                    )
                return waited, time.monotonic() - started
        finally:
            await database.dispose()

    waited, at_once = asyncio.run(run())
    assert 1.0 <= waited < 3.0
    assert at_once < 0.5


def test_a_keyed_purchase_redis_refuses_takes_no_order_id_and_leaves_its_key_free(
    live_api, operator_token, database_url, redis_url, prefix
):
    deal = wine_deal_of(live_api, operator_token, 1)
    first, second = bulk_buyers_with_identity(database_url, 2)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix, early=True) as ledger:
            winner, loser = await prepared(ledger.database, deal["id"], [first, second])
            won = await ledger.purchase(replace(winner, answer_early=True))
            lost = await ledger.purchase(
                replace(loser, answer_early=True, idempotency=claim(second.id, "late-1"))
            )
            await drained(ledger, deal["id"])
            async with ledger.database.transaction(write=False) as session:
                keys = (
                    await session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == "late-1"))
                ).all()
                orders = (await session.scalars(select(Order.id).where(Order.buyer_id == second.id))).all()
            return won, lost, keys, orders

    won, lost, keys, orders = asyncio.run(run())

    # then the loser is told sold_out, no order is written for it and its key is free again
    assert isinstance(won, Reserved)
    assert isinstance(lost, Refused) and lost.error.code == "sold_out"
    assert (keys, orders) == ([], [])
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.orders) == (0, 1)


def test_an_answered_purchase_the_database_refuses_is_written_cancelled_with_its_reason(
    live_api, operator_token, database_url, redis_url, prefix
):
    # given a 3-unit deal sold out, and a Redis that wrongly says 2 are left
    deal = wine_deal_of(live_api, operator_token, 3)
    buyers = bulk_buyers_with_identity(database_url, 5)

    async def run():
        async with redis_ledger(database_url, redis_url, prefix=prefix, early=True) as ledger:
            attempts = await early_attempts(ledger, deal["id"], buyers)
            for attempt in attempts[:3]:
                assert isinstance(await ledger.purchase(attempt), Reserved)
            await drained(ledger, deal["id"])
            await ledger.stock.client.hset(ledger.stock.keys(deal["id"], 0)[0], "stock", 2)
            # when two more buyers are admitted by it, one with an Idempotency-Key
            keyed = replace(attempts[4], idempotency=claim(buyers[4].id, "stale-1"))
            late = [await ledger.purchase(attempts[3]), await ledger.purchase(keyed)]
            await drained(ledger, deal["id"])
            # and the keyed request is sent again
            again = await ledger.purchase(keyed)
            deadline = time.monotonic() + 10
            while await ledger.stock.stock(deal["id"], 0) != 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            left = await ledger.stock.stock(deal["id"], 0)
            async with ledger.database.transaction(write=False) as session:
                written = {
                    order.id: (order.buyer_id, order.status)
                    for order in (
                        await session.scalars(select(Order).where(Order.id.in_([o.order_id for o in late])))
                    ).all()
                }
                reasons = set(
                    (
                        await session.scalars(
                            select(OrderEvent.reason).where(OrderEvent.order_id.in_(list(written)))
                        )
                    ).all()
                )
                stored = await session.scalar(
                    select(IdempotencyKey.response).where(IdempotencyKey.key == "stale-1")
                )
            # and, once the deal has a unit again, the first one's stream entry is replayed (its
            # give-back lost, say): its order is there, cancelled, and nothing more is written
            await units(ledger, deal["id"], 1)
            entry = replace(attempts[3], order_id=late[0].order_id, token="0.replayed-entry", replayed=True)
            replayed = await ledger._batches.purchase(entry)
            return late, again, left, written, reasons, stored, replayed

    late, again, left, written, reasons, stored, replayed = asyncio.run(run())

    # then both were answered 201, and each order id shows the order, cancelled, with why
    assert all(isinstance(outcome, Reserved) for outcome in late)
    assert written == {
        late[0].order_id: (buyers[3].id, "cancelled"),
        late[1].order_id: (buyers[4].id, "cancelled"),
    }
    assert reasons == {f"refused after it was answered: sold_out (deal {deal['id']})"}
    # and the database sold its 3 and no more, and Redis was set from it: no units left to
    # admit (and answer) one more buyer the database would refuse
    assert left == 0
    # and the key keeps the answer its buyer was given: sent again, it takes nothing
    assert stored == late[1].answer
    assert isinstance(again, Replayed)
    # and the replayed entry stays refused, its order as it was, the unit added still free: 3
    # held orders in all, the 2 answered ones cancelled
    assert isinstance(replayed, Refused) and replayed.error.code == "order_refused"
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.quantity, ledger.remaining, ledger.reserved, ledger.orders) == (4, 1, 3, 3)


def test_at_most_two_requests_of_a_worker_wait_for_ids_not_written(database_url, monkeypatch):
    monkeypatch.setattr(order_service, "WRITTEN_SOON_SECONDS", 1.0)

    async def run():
        database = Database(database_url)
        try:
            async with database.transaction(write=False) as session:
                unused = await order_service.next_order_ids(session, 3)

            async def ask(order_id: int) -> float:
                started = time.monotonic()
                async with database.transaction(write=False) as session:
                    with pytest.raises(OrderNotFound):
                        await order_service.get_order(
                            session, order_id=order_id, viewer=order_service.Viewer(1, Role.operator)
                        )
                return time.monotonic() - started

            return sorted(await asyncio.gather(*(ask(order_id) for order_id in unused)))
        finally:
            await database.dispose()

    # when three requests ask at once for ids handed out that no order got
    at_once, *waited = asyncio.run(run())

    # then two wait for them, each holding its connection, and the third is answered at once
    assert at_once < 0.5
    assert all(1.0 <= seconds < 3.0 for seconds in waited) and len(waited) == 2


def test_after_redis_lost_a_deal_purchases_wait_for_the_database_for_a_while(
    live_api, operator_token, database_url, redis_url, prefix, monkeypatch
):
    # given a 6-unit deal, and a late period of 1.5 s after a loss
    monkeypatch.setattr(redis_reconciler, "LATE_AFTER_LOSS_SECONDS", 1.5)
    deal = wine_deal_of(live_api, operator_token, 6)
    buyers = bulk_buyers_with_identity(database_url, 6)

    async def run():
        # the first purchase loads the deal into Redis (a first load, answered early), then
        # Redis loses the deal, as a flush would
        async with lost_deal(
            database_url, redis_url, prefix, deal["id"], buyers, write_window_seconds=0.3
        ) as (ledger, attempts, first):
            # when the next purchase rebuilds it
            after_loss = await bought(ledger, attempts[1])
            # and Redis holds more than the database, as attempts admitted before a loss and
            # still being written make it: 2 of the database's 4 units go, Redis still says 4
            await units(ledger, deal["id"], -2)
            over = [await bought(ledger, attempt) for attempt in attempts[2:5]]
            await drained(ledger, deal["id"])
            # and once the late period is over (and the 2 units are back), purchases are
            # answered early again
            await asyncio.sleep(1.6)
            await units(ledger, deal["id"], 2)
            await ledger.reload(deal["id"])
            again = await bought(ledger, attempts[5])
            await drained(ledger, deal["id"])
            return first, after_loss, over, again

    first, after_loss, over, again = asyncio.run(run())

    # then the first load answered before the write, as any purchase
    assert isinstance(first[0], Reserved) and first[1] is False
    # and after the loss the answer came once the order was written
    assert isinstance(after_loss[0], Reserved) and after_loss[1] is True
    assert [(type(outcome).__name__, written) for outcome, written in over] == [
        ("Reserved", True),
        ("Reserved", True),
        ("Refused", False),
    ]
    # and the buyer Redis admitted past the database's units is told sold_out, with no order
    # written cancelled under an id it was never given
    assert over[2][0].error.code == "sold_out"
    assert isinstance(again[0], Reserved) and again[1] is False
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.quantity, ledger.remaining, ledger.reserved, ledger.orders) == (6, 1, 5, 5)


def test_when_the_late_period_ends_the_deal_is_set_again_before_anyone_is_answered_early(
    live_api, operator_token, database_url, redis_url, prefix, monkeypatch
):
    # given a 10-unit deal Redis lost and rebuilt (late for 1 s), and then 5 units written by
    # purchases admitted before the loss, which Redis therefore still counts as free
    monkeypatch.setattr(redis_reconciler, "LATE_AFTER_LOSS_SECONDS", 1.0)
    deal = wine_deal_of(live_api, operator_token, 10)
    buyers = bulk_buyers_with_identity(database_url, 6)

    async def run():
        async with lost_deal(
            database_url, redis_url, prefix, deal["id"], buyers, write_window_seconds=0.3
        ) as (ledger, attempts, _first):
            await bought(ledger, attempts[1])
            await units(ledger, deal["id"], -5)
            # when the late period is over and the next buyer comes, with no refusal meanwhile
            await asyncio.sleep(1.1)
            over = await bought(ledger, attempts[2])
            deadline = time.monotonic() + 10
            while await ledger.stock.stock(deal["id"], 0) != 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            later = [await bought(ledger, attempt) for attempt in attempts[3:6]]
            await drained(ledger, deal["id"])
            late_field = await ledger.stock.client.hget(ledger.stock.keys(deal["id"], 0)[0], "late")
            return over, later, late_field

    over, later, late_field = asyncio.run(run())

    # then that buyer still waited for the write, and the deal was set from the database
    assert isinstance(over[0], Reserved) and over[1] is True
    # and the next two were answered early again, the third refused by Redis: no answer given
    # that the database did not keep, no order written cancelled
    assert [(type(outcome).__name__, written) for outcome, written in later] == [
        ("Reserved", False),
        ("Reserved", False),
        ("Refused", False),
    ]
    assert later[2][0].error.code == "sold_out"
    assert late_field is None
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.quantity, ledger.remaining, ledger.reserved, ledger.orders) == (5, 0, 5, 5)


def test_a_replayed_entry_admitted_while_its_deal_answered_late_promised_nothing(
    live_api, operator_token, database_url, redis_url, prefix
):
    # given a deal Redis lost and rebuilt, so it answers late
    deal = wine_deal_of(live_api, operator_token, 3)
    buyers = bulk_buyers_with_identity(database_url, 2)

    async def run():
        async with lost_deal(database_url, redis_url, prefix, deal["id"], buyers) as (
            ledger,
            attempts,
            _first,
        ):
            await ledger.reload(deal["id"])
            # and a worker that died after Redis admitted its attempt: the entry's payload was
            # sealed as an early answer with its order id, before the take said "late"
            dying = replace(attempts[1], order_id=await ledger._order_ids.take())
            taken = await ledger.stock.take(
                deal["id"],
                0,
                now_ms=int(time.time() * 1000),
                buyer_id=dying.buyer_id,
                quantity=1,
                token="0.died-late",
                payload=attempt_codec.dumps(dying),
            )
            # when the database has no unit left for it and the replayer writes the entry
            await units(ledger, deal["id"], -2)
            replayed = await ledger.replay(deal["id"], 0, await ledger.stock.entries(deal["id"], 0))
            async with ledger.database.transaction(write=False) as session:
                written = await order_service.present(session, [dying.order_id])
            return taken, replayed, written

    taken, replayed, written = asyncio.run(run())

    # then it was refused and given back, and no order holds the id its buyer never got
    assert taken.verdict == "taken" and taken.late is True
    assert (replayed.written, replayed.given_back, replayed.failed) == (0, 1, 0)
    assert written == set()
