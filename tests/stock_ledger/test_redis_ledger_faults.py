"""Flush Redis mid-campaign (a private redis-server, so flushing it harms nobody): the next
purchases rebuild the deal from the database, nothing is oversold, the final counts are exact,
and `kuajing flash-sale reconcile` reports the drift it repaired."""

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import Order
from tests.auth.factories import bulk_buyers_with_identity
from tests.catalog.factories import stock_of
from tests.flash_sale.factories import holders, ledger_of, purchase_body
from tests.flash_sale.races import (
    RACE_SERVER_ARGS,
    hundred_unit_deal,
    purchases,
    race,
)
from tests.helpers import in_db
from tests.live import start_server
from tests.stock_ledger.redis_factories import RedisDeal, redis_deal
from tests.stock_ledger.redis_servers import new_prefix


@pytest.fixture(scope="module")
def prefix():
    return new_prefix()


@pytest.fixture(scope="module")
def flushable_workers(database_url, own_redis, prefix, tmp_path_factory):
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("flash-flush") / "server.log",
        workers=2,
        extra_args=RACE_SERVER_ARGS,
        sweep_interval_seconds="0",
        auth_cache_seconds="5",
        redis_url=own_redis.url,
        redis_prefix=prefix,
        # only the fault's own rebuild and the command below may repair Redis here
        flash_sale_reconcile_interval_seconds="0",
    )
    yield server.url
    server.stop()


def _reconcile(database_url, redis_url, prefix, deal_id, *options):
    return subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "flash-sale", "reconcile", "--deal", str(deal_id), *options],
        env={
            **os.environ,
            "KUAJING_DATABASE_URL": database_url,
            "KUAJING_REDIS_URL": redis_url,
            "KUAJING_REDIS_PREFIX": prefix,
            "COLUMNS": "200",  # one table row per line
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def _row(output: str, deal_id: int) -> list[str]:
    """The report's row for the deal's (only) bucket, as its cells."""
    rows = [line for line in output.splitlines() if line.startswith("│")]
    (line,) = [row for row in rows if row.strip("│ ").startswith(f"{deal_id} ")]
    return [cell.strip() for cell in line.strip("│").split("│")]


def _written(database_url: str, order_ids: set[int]) -> dict[int, str]:
    """The orders' statuses once all of them are written (answered before written: up to 10 s)."""

    async def read(session: AsyncSession) -> dict[int, str]:
        rows = await session.execute(select(Order.id, Order.status).where(Order.id.in_(order_ids)))
        return {order_id: status for order_id, status in rows.all()}

    deadline = time.monotonic() + 10
    while (
        len(found := in_db(database_url, read, write=False)) < len(order_ids) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    return found


def test_a_flush_mid_campaign_is_rebuilt_from_the_database_and_nothing_is_oversold(
    live_api, operator_token, database_url, own_redis, prefix, flushable_workers
):
    # given a 100-unit deal of which 60 sold through Redis
    deal, wine = hundred_unit_deal(live_api, operator_token)
    buyers = bulk_buyers_with_identity(database_url, 1000)
    early, late = buyers[:60], buyers[60:]
    first = asyncio.run(
        race(flushable_workers, purchases(deal["id"], early, [purchase_body()] * 60), connections=60)
    )
    assert Counter(r.status_code for r in first) == {201: 60}
    assert redis_deal(own_redis.url, deal["id"], prefix=prefix).stock == [40]

    # when Redis loses everything, and again while the other 940 buyers race
    own_redis.client(own_redis.ports[0]).flushall()
    flushing_again = threading.Timer(0.5, own_redis.client(own_redis.ports[0]).flushall)
    flushing_again.start()
    second = asyncio.run(
        race(flushable_workers, purchases(deal["id"], late, [purchase_body()] * 940), connections=200)
    )
    flushing_again.join()

    # then exactly 100 buyers were answered 201 and the rest sold_out: after each loss Redis
    # answers only once the database has written the order (it may admit more than the
    # database has while purchases admitted before the flush are still being written)
    answers = first + second
    assert Counter(r.status_code for r in answers) == {201: 100, 409: 900}
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"sold_out"}
    answered = {r.json()["order_id"] for r in answers if r.status_code == 201}
    assert Counter(_written(database_url, answered).values()) == Counter({"pending_payment": 100})
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.buyers, ledger.most_units_per_buyer) == (
        0,
        100,
        100,
        100,
        1,
    )
    assert stock_of(live_api, wine["id"]) == 50

    # and the reconciler puts Redis back exactly where the database says, reporting the drift
    # it found (after the second flush Redis may hold units that were in flight, or nothing)
    repaired = _reconcile(database_url, own_redis.url, prefix, deal["id"])
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    _deal, bucket, _found, expected, in_flight, _differing, _result = _row(repaired.stdout, deal["id"])
    assert (bucket, expected, in_flight) == ("0", "0", "0")
    winners = holders(database_url, deal["id"])
    assert len(winners) == 100
    assert redis_deal(own_redis.url, deal["id"], prefix=prefix) == RedisDeal(
        stock=[0], buyers={buyer_id: 1 for buyer_id in winners}, entries=0
    )

    # and a drift made on purpose is reported exactly, then repaired, then found clean
    client = own_redis.client(own_redis.ports[0])
    deal_key = f"{prefix}:{{deal:{deal['id']}}}"
    client.hset(deal_key, "stock", 7)
    client.delete(f"{deal_key}:buyers")
    found = _reconcile(database_url, own_redis.url, prefix, deal["id"], "--check")
    assert found.returncode == 1
    assert _row(found.stdout, deal["id"]) == [str(deal["id"]), "0", "7", "0", "0", "100", "DRIFT"]
    fixed = _reconcile(database_url, own_redis.url, prefix, deal["id"])
    assert _row(fixed.stdout, deal["id"]) == [str(deal["id"]), "0", "7", "0", "0", "100", "repaired"]
    clean = _reconcile(database_url, own_redis.url, prefix, deal["id"], "--check")
    assert clean.returncode == 0, clean.stdout
    assert _row(clean.stdout, deal["id"]) == [str(deal["id"]), "0", "0", "0", "0", "0", "ok"]
