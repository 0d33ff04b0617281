"""Issue 4, fault 1 (SQL backend): kill -9 a two-worker server in the middle of a rehearsal, start
it again on the same database and finish the load. Every buyer sends an Idempotency-Key, and a
buyer whose request got no answer retries with the same key, as a real client would.

Then no order answered 201 is lost or duplicated, every reservation has its order and every order
its reservation, the ledger adds up with zero reconciler drift, and each retried buyer ended with
either the order the crash hid from them or one fresh order, never two."""

import asyncio
import json
import os
from collections import Counter
from urllib.parse import urlsplit

from kuajing.bootstrap import build_runtime
from kuajing.db import Database
from kuajing.flash_sale import reconciler
from kuajing.flash_sale.reservations import TAKEN
from kuajing.rehearsal import load, run, server
from kuajing.rehearsal import repository as rehearsal_repository
from kuajing.rehearsal.load import TIMEOUT, TRANSPORT_ERROR, Job
from kuajing.rehearsal.run import Options
from kuajing.rehearsal.setup import Stage
from kuajing.settings import Settings

OPTIONS = Options(buyers=3_000, stock=300, concurrency=100, replay_every=0, keys_for_all=True)
KILL_AFTER_ORDERS = 100
# Buyers whose order commits but whose answer the crash swallows: they send their purchase and
# never read the answer, and the server is killed once their orders are in the database. (A
# crash between a batch's commit and its answers is too short a window to hit by timing.)
ANSWER_LOST = 20


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


async def _send_without_reading(url: str, deal_id: int, job: Job) -> asyncio.StreamWriter:
    parts = urlsplit(url)
    body = json.dumps({"quantity": 1, "risk_notice_accepted": True}).encode()
    _reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"POST /api/v1/deals/{deal_id}/purchase HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {job.token}\r\nIdempotency-Key: {job.key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    return writer


async def _orders_held(database: Database, stage: Stage) -> dict[int, int]:
    """buyer index -> order id of every held or sold reservation of the deal."""
    async with database.transaction(write=False) as session:
        taken = await rehearsal_repository.taken_reservations(session, stage.deal_id, list(TAKEN))
    index = {buyer.id: i for i, buyer in enumerate(stage.buyers)}
    return {index[buyer_id]: order_id for order_id, (buyer_id, _units) in taken.items()}


def test_kill_9_mid_rehearsal_loses_and_duplicates_nothing(database_url, tmp_path):
    env = _server_env(database_url, tmp_path)

    async def scenario():
        runtime = build_runtime(Settings(database_url=database_url))
        database = runtime.database
        first_server = await asyncio.to_thread(
            server.start, workers=2, log_path=tmp_path / "first.log", env=env
        )
        try:
            stage = await run.prepare(runtime, OPTIONS)
            jobs = run.plan(stage, OPTIONS)
            lost, rest = jobs[:ANSWER_LOST], jobs[ANSWER_LOST:]
            # given buyers whose orders are placed while they are not reading their answers
            unread = [await _send_without_reading(first_server.url, stage.deal_id, job) for job in lost]
            for _ in range(500):
                if len(await _orders_held(database, stage)) == ANSWER_LOST:
                    break
                await asyncio.sleep(0.02)
            killed_after: list[int] = []

            def kill_mid_way(_answered: int, orders: int) -> None:
                if orders >= KILL_AFTER_ORDERS and not killed_after:
                    killed_after.append(orders)
                    first_server.kill()

            # when the server is killed -9 once 100 other buyers have had their 201
            first = await load.purchase(
                url=first_server.url,
                deal_id=stage.deal_id,
                jobs=rest,
                concurrency=OPTIONS.concurrency,
                quantity=1,
                on_progress=kill_mid_way,
            )
        finally:
            first_server.kill()
        for writer in unread:
            writer.close()
        held_at_crash = await _orders_held(database, stage)
        # and started again on the same database, where every buyer without an answer retries its key
        second_server = await asyncio.to_thread(
            server.start, workers=2, log_path=tmp_path / "second.log", env=env
        )
        try:
            retries = lost + [jobs[a.buyer_index] for a in first.answers if a.status == 0]
            second = await load.purchase(
                url=second_server.url,
                deal_id=stage.deal_id,
                jobs=retries,
                concurrency=OPTIONS.concurrency,
                quantity=1,
            )
        finally:
            second_server.stop()
        try:
            verdict = await run.judge(
                runtime, stage=stage, options=OPTIONS, answers=first.answers + second.answers
            )
            async with database.transaction(write=True) as session:
                drift = await reconciler.reconcile_deal(session, deal_id=stage.deal_id)
        finally:
            await runtime.close()
        return killed_after, first, second, verdict, drift, held_at_crash

    killed_after, first, second, verdict, drift, held_at_crash = asyncio.run(scenario())

    # the crash came mid-way: some buyers had their orders, the rest got no answer at all (the
    # connection dropped, or, on a loaded machine, the request was still waiting when it died)
    before = Counter(answer.code for answer in first.answers)
    unanswered = before[TRANSPORT_ERROR] + before[TIMEOUT]
    print(f"\nkilled after {killed_after[0]} orders; first run {dict(before)}; retried {len(second.answers)}")
    assert killed_after[0] >= KILL_AFTER_ORDERS
    assert set(before) <= {None, "sold_out", TRANSPORT_ERROR, TIMEOUT}
    assert before[None] < OPTIONS.stock - ANSWER_LOST and unanswered > 0
    # then every retry was answered, each with an order or sold_out
    assert {answer.code for answer in second.answers} <= {None, "sold_out"}
    assert len(second.answers) == ANSWER_LOST + unanswered
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
    # and every buyer whose order committed while the crash swallowed the answer (the 20 who did
    # not read, and any whose batch committed just before the kill) got that same order back on
    # retry (the Idempotency-Key's stored answer), not a second one
    hidden = {i: order_id for i, order_id in held_at_crash.items() if i not in answered_before}
    print(f"orders committed but unanswered at the crash: {len(hidden)}")
    assert set(range(ANSWER_LOST)) <= hidden.keys()
    assert {i: answered_after.get(i) for i in hidden} == hidden
