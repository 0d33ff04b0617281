"""A Redis ledger in the test process (on a database and a Redis of the test's choosing) and
priced attempts to feed it."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from kuajing.catalog.snapshots import Snapshots
from kuajing.db import Database
from kuajing.flash_sale import purchase
from kuajing.flash_sale.ledger import Attempt
from kuajing.flash_sale.snapshots import DealSnapshots
from kuajing.flash_sale.templates import DealTemplates
from kuajing.kit.time import utcnow
from kuajing.stock_ledger.group_commit import GroupCommitLedger
from kuajing.stock_ledger.order_ids import OrderIds
from kuajing.stock_ledger.redis_ledger import RedisLedger
from kuajing.stock_ledger.redis_stock import RedisStock
from kuajing.stock_ledger.setup import keep_buyers_in
from kuajing.stock_ledger.writer import OrderWriter
from tests.auth.factories import Account


@asynccontextmanager
async def redis_ledger(
    database_url: str,
    redis_url: str,
    *,
    prefix: str,
    buckets: int = 1,
    cluster: bool = False,
    grace_seconds: float = 0,
    early: bool = False,
    write_window_seconds: float = 0.01,
) -> AsyncIterator[RedisLedger]:
    """With `early` (PostgreSQL), as the server runs it there: order ids taken ahead, answers
    before the write, and the writes on the writer's thread, whose batches gather for
    `write_window_seconds`."""
    database = Database(database_url)
    batches = GroupCommitLedger(database, window_seconds=0.01, max_batch=200, sold_out_recheck_seconds=0)
    stock = RedisStock.connect(redis_url, cluster=cluster, prefix=prefix, buckets=buckets)
    room = keep_buyers_in(database, stock, prefix=prefix)
    ledger = RedisLedger(
        database,
        stock,
        room=room,
        batches=batches,
        sold_out_recheck_seconds=0,
        replay_grace_seconds=grace_seconds,
        order_ids=OrderIds(database, block=10) if early else None,
        writer=OrderWriter(
            lambda: database.twin(pool_size=2),
            lambda own: GroupCommitLedger(
                own, window_seconds=write_window_seconds, max_batch=200, sold_out_recheck_seconds=0
            ),
        )
        if early
        else None,
    )
    await ledger.start()
    try:
        yield ledger
    finally:
        await ledger.close()
        await database.dispose()


async def prepared(
    database: Database,
    deal_id: int,
    buyers: list[Account],
    *,
    quantity: int = 1,
    quantities: list[int] | None = None,
    **options: Any,
) -> list[Attempt]:
    """Each buyer's attempt (`quantity` units each, or `quantities` one per buyer), priced and
    checked as the purchase flow does, from snapshots that keep nothing."""
    snapshots = Snapshots.build(read_seconds=0, rules_seconds=0)
    async with database.transaction(write=False) as session:
        deal = await DealSnapshots(0).facts(session, deal_id=deal_id)
        return [
            await purchase.prepare_attempt(
                session,
                snapshots,
                DealTemplates(),
                deal=deal,
                buyer_id=buyer.id,
                quantity=bought,
                risk_notice_accepted=True,
                risk_notice_version=None,
                shipping_address=None,
                ttl_seconds=300,
                now=utcnow(),
                **{"idempotency": None, **options},
            )
            for buyer, bought in zip(buyers, quantities or [quantity] * len(buyers), strict=True)
        ]


@dataclass(frozen=True)
class RedisDeal:
    """A deal as Redis holds it, over all of its buckets."""

    stock: list[int | None]  # per bucket
    buyers: dict[int, int]  # units per buyer, summed over buckets
    entries: int  # stream entries not yet settled


def redis_deal(
    redis_url: str, deal_id: int, *, prefix: str, buckets: int = 1, cluster: bool = False
) -> RedisDeal:
    """The deal in Redis once every admitted attempt is settled (its stream empty, for up to
    10 s): an API purchase is answered before its order is written."""
    deadline = time.monotonic() + 10
    while True:
        found = _redis_deal(redis_url, deal_id, prefix=prefix, buckets=buckets, cluster=cluster)
        if found.entries == 0 or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _redis_deal(redis_url: str, deal_id: int, *, prefix: str, buckets: int, cluster: bool) -> RedisDeal:
    async def read() -> RedisDeal:
        stock = RedisStock.connect(redis_url, cluster=cluster, prefix=prefix, buckets=buckets)
        try:
            buyers: dict[int, int] = {}
            for bucket in range(buckets):
                for buyer, units in (await stock.buyer_units(deal_id, bucket)).items():
                    buyers[buyer] = buyers.get(buyer, 0) + units
            return RedisDeal(
                stock=[await stock.stock(deal_id, bucket) for bucket in range(buckets)],
                buyers=buyers,
                entries=sum([len(await stock.entries(deal_id, bucket)) for bucket in range(buckets)]),
            )
        finally:
            await stock.close()

    return asyncio.run(read())
