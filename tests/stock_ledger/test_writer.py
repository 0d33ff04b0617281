"""The order writer's thread (stock_ledger/writer.py), on PostgreSQL as the server runs it:
attempts handed over together in one loop turn each get their own outcome, once the writer has
stopped an attempt is refused at once (503), never left waiting, and only a process that serves
purchases starts it."""

import asyncio
import threading
import time

import pytest
from sqlalchemy.engine import make_url

from kuajing.db import Database
from kuajing.flash_sale.errors import PurchaseUnavailable
from kuajing.flash_sale.ledger import Refused, Reserved
from kuajing.settings import Settings
from kuajing.stock_ledger import setup as stock_ledger_setup
from kuajing.stock_ledger.group_commit import GroupCommitLedger
from kuajing.stock_ledger.writer import OrderWriter
from tests.auth.factories import bulk_buyers_with_identity
from tests.flash_sale.factories import ledger_of, wine_deal_of
from tests.stock_ledger.redis_factories import prepared
from tests.stock_ledger.redis_servers import new_prefix


async def started_writer(database: Database, *, window_seconds: float) -> OrderWriter:
    """A writer as the server makes one, started, its batches gathering for `window_seconds`."""
    writer = OrderWriter(
        lambda: database.twin(pool_size=2),
        lambda own: GroupCommitLedger(
            own, window_seconds=window_seconds, max_batch=200, sold_out_recheck_seconds=0
        ),
    )
    await asyncio.to_thread(writer.start)
    return writer


@pytest.fixture(autouse=True)
def postgresql_only(database_url):
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("the writer's thread runs where ids are taken ahead: PostgreSQL only")


def test_attempts_handed_over_together_each_get_their_own_outcome_and_a_stopped_writer_refuses(
    live_api, operator_token, database_url
):
    # given a 3-unit deal and 5 buyers
    deal = wine_deal_of(live_api, operator_token, 3)
    buyers = bulk_buyers_with_identity(database_url, 5)

    async def run():
        database = Database(database_url)
        writer = await started_writer(database, window_seconds=0.05)
        try:
            attempts = await prepared(database, deal["id"], buyers)
            # when the 5 are handed over in one turn of the loop
            together = await asyncio.gather(*(writer.write(attempt) for attempt in attempts))
        finally:
            await writer.close()
        # and one more comes after the writer stopped
        started = time.monotonic()
        with pytest.raises(PurchaseUnavailable):
            await writer.write(attempts[0])
        refused_in = time.monotonic() - started
        await database.dispose()
        return together, refused_in

    together, refused_in = asyncio.run(run())

    # then the database took 3 and refused 2 as sold out
    assert [type(outcome).__name__ for outcome in together].count("Reserved") == 3
    assert sorted(o.error.code for o in together if isinstance(o, Refused)) == ["sold_out", "sold_out"]
    assert len({o.order_id for o in together if isinstance(o, Reserved)}) == 3
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.buyers) == (0, 3, 3, 3)
    # and the attempt after the stop was refused at once
    assert refused_in < 1.0


def test_only_a_process_serving_purchases_starts_the_writer_thread(database_url, redis_url):
    # the background worker (`kuajing worker`) replays and reconciles, and buys nothing
    prefix = new_prefix()

    async def threads(purchases: bool) -> list[str]:
        database = Database(database_url)
        settings = Settings(database_url=database_url, redis_url=redis_url, redis_prefix=prefix)
        ledger = stock_ledger_setup.from_settings(database, settings, purchases=purchases)
        await ledger.start()
        try:
            return [thread.name for thread in threading.enumerate()]
        finally:
            await ledger.close()
            await database.dispose()

    assert "order-writer" in asyncio.run(threads(True))
    assert "order-writer" not in asyncio.run(threads(False))


def test_stopping_the_writer_answers_every_attempt_handed_over(live_api, operator_token, database_url):
    # given a writer whose batches gather for 5 s, and two attempts waiting in one
    deal = wine_deal_of(live_api, operator_token, 3)
    buyers = bulk_buyers_with_identity(database_url, 2)

    async def run():
        database = Database(database_url)
        writer = await started_writer(database, window_seconds=5)
        attempts = await prepared(database, deal["id"], buyers)
        writes = [asyncio.ensure_future(writer.write(attempt)) for attempt in attempts]
        await asyncio.sleep(0.2)  # handed over, waiting for their batch
        # when the writer stops
        started = time.monotonic()
        await writer.close()
        outcomes = await asyncio.wait_for(asyncio.gather(*writes, return_exceptions=True), 5)
        await database.dispose()
        return outcomes, time.monotonic() - started

    outcomes, took = asyncio.run(run())

    # then both are answered "unavailable" (nothing was written), none is left waiting
    assert [type(outcome).__name__ for outcome in outcomes] == ["PurchaseUnavailable"] * 2
    assert took < 5
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.orders) == (3, 0)
