"""Issue 4, fault 1 (SQL backend): kill -9 a two-worker server in the middle of a rehearsal, start
it again on the same database and finish the load. Every buyer sends an Idempotency-Key, and a
buyer whose request got no answer retries with the same key, as a real client would.

Then no order answered 201 is lost or duplicated, every reservation has its order and every order
its reservation, the ledger adds up with zero reconciler drift, and each retried buyer ended with
either the order the crash hid from them or one fresh order, never two."""

import asyncio
import os
from collections import Counter

from kuajing.db import Database
from kuajing.flash_sale import reconciler
from kuajing.flash_sale.reservations import TAKEN
from kuajing.rehearsal import load, run, server
from kuajing.rehearsal import repository as rehearsal_repository
from kuajing.rehearsal.load import TRANSPORT_ERROR, Job
from kuajing.rehearsal.run import Options

OPTIONS = Options(buyers=3_000, stock=300, concurrency=100, replay_every=0, keys_for_all=True)
KILL_AFTER_ORDERS = 100


def _server_env(database_url, tmp_path):
    env = {
        **os.environ,
        "KUAJING_DATABASE_URL": database_url,
        # the test runs the sweeper itself, after the load, as the rehearsal does
        "KUAJING_SWEEP_INTERVAL_SECONDS": "0",
        "KUAJING_CUSTOMS_EXCHANGE_INTERVAL_SECONDS": "0",
        "KUAJING_CUSTOMS_OUTBOX_DIR": str(tmp_path / "outbox"),
        "KUAJING_CUSTOMS_INBOX_DIR": str(tmp_path / "inbox"),
    }
    env.pop("KUAJING_REDIS_URL", None)
    return env


def test_kill_9_mid_rehearsal_loses_and_duplicates_nothing(database_url, tmp_path):
    env = _server_env(database_url, tmp_path)

    async def scenario():
        database = Database(database_url)
        first_server = await asyncio.to_thread(
            server.start, workers=2, log_path=tmp_path / "first.log", env=env
        )
        try:
            stage = await run.prepare(database, OPTIONS)
            jobs = run.plan(stage, OPTIONS)
            killed_after: list[int] = []

            def kill_mid_way(_answered: int, orders: int) -> None:
                if orders >= KILL_AFTER_ORDERS and not killed_after:
                    killed_after.append(orders)
                    first_server.kill()

            # when the server is killed -9 once 100 buyers have their order
            first = await load.purchase(
                url=first_server.url,
                deal_id=stage.deal_id,
                jobs=jobs,
                concurrency=OPTIONS.concurrency,
                quantity=1,
                on_progress=kill_mid_way,
            )
        finally:
            first_server.kill()
        async with database.transaction(write=False) as session:
            committed = await rehearsal_repository.taken_reservations(session, stage.deal_id, list(TAKEN))
        # and started again on the same database, where every unanswered buyer retries its key
        second_server = await asyncio.to_thread(
            server.start, workers=2, log_path=tmp_path / "second.log", env=env
        )
        try:
            retried = [answer for answer in first.answers if answer.status == 0]
            second = await load.purchase(
                url=second_server.url,
                deal_id=stage.deal_id,
                jobs=[Job(a.buyer_index, stage.buyers[a.buyer_index].token, a.key) for a in retried],
                concurrency=OPTIONS.concurrency,
                quantity=1,
            )
        finally:
            second_server.stop()
        try:
            verdict = await run.judge(
                database, stage=stage, options=OPTIONS, answers=first.answers + second.answers
            )
            async with database.transaction(write=True) as session:
                drift = await reconciler.reconcile_deal(session, deal_id=stage.deal_id)
        finally:
            await database.dispose()
        buyer_index = {buyer.id: i for i, buyer in enumerate(stage.buyers)}
        held_at_crash = {
            buyer_index[buyer_id]: order_id for order_id, (buyer_id, _units) in committed.items()
        }
        return killed_after, first, second, verdict, drift, held_at_crash

    killed_after, first, second, verdict, drift, held_at_crash = asyncio.run(scenario())

    # the crash came mid-way: some buyers had their orders, the rest got no answer at all
    before = Counter(answer.code for answer in first.answers)
    print(f"\nkilled after {killed_after[0]} orders; first run {dict(before)}; retried {len(second.answers)}")
    assert killed_after[0] >= KILL_AFTER_ORDERS
    assert set(before) <= {None, "sold_out", TRANSPORT_ERROR}
    assert before[None] < OPTIONS.stock and before[TRANSPORT_ERROR] > 0
    # then every retry was answered, each with an order or sold_out
    assert {answer.code for answer in second.answers} <= {None, "sold_out"}
    assert len(second.answers) == before[TRANSPORT_ERROR]
    # and the whole verdict holds: every unit sold exactly once, each to the buyer answered
    assert [(check.name, check.expected, check.found) for check in verdict.checks if not check.ok] == []
    assert (verdict.units_taken, verdict.oversold, verdict.drift) == (OPTIONS.stock, 0, [])
    assert drift.drifts == []
    # every buyer answered 201 before the crash still holds that order
    answered_before = {answer.buyer_index: answer.order_id for answer in first.answers if answer.order_id}
    answered_after = {answer.buyer_index: answer.order_id for answer in second.answers if answer.order_id}
    assert answered_before.keys().isdisjoint(answered_after)
    assert len(answered_before) + len(answered_after) == OPTIONS.stock
    assert {i: held_at_crash[i] for i in answered_before} == answered_before
    # and a buyer whose order committed while the crash swallowed the answer got that same order
    # on retry (the stored Idempotency-Key answer), not a second one
    hidden = {i: order_id for i, order_id in held_at_crash.items() if i not in answered_before}
    print(f"orders committed but unanswered at the crash: {len(hidden)}")
    assert {i: answered_after.get(i) for i in hidden} == hidden
