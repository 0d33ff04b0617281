"""`kuajing rehearse --cleanup`: every row of rehearsal traffic deleted from the database, the
shadow data a rehearsal on a live deployment (`kuajing rehearse --url`) left behind.

The rehearsal's users are marked (`users.rehearsal`), as are its seller's profile, product,
campaign and deal; every other row is reached through them. The deletes run in bounded batches,
each its own transaction, children before parents: first the rehearsal sellers' orders with what
hangs off them, then the deals, campaigns, products and sellers' rows, then the users with their
identities, tokens, keys and counters. Whatever stops it half-way leaves the rest still marked, so
running it again finishes the job, and running it on a clean database removes nothing.
"""

from collections import Counter
from collections.abc import Callable

from kuajing.db import Database
from kuajing.media.storage import Storage
from kuajing.rehearsal import repository
from kuajing.stock_ledger.redis_stock import RedisStock

# Orders or users per transaction: a few thousand rows a batch, and never a long lock on SQLite.
BATCH = 1_000
REDIS_KEYS = "redis keys"  # what the Redis stock ledger held of the deals, beside the tables


async def cleanup(
    database: Database,
    storage: Storage,
    *,
    redis: RedisStock | None = None,
    batch: int = BATCH,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Counter[str]:
    """Delete every rehearsal row, and the files and Redis keys of the rehearsal's seller and
    deals: rows removed per table (REDIS_KEYS: keys). `on_start(total)` gets the orders and users
    to go through; `on_progress(n)` is called after each batch of n of them."""
    removed: Counter[str] = Counter()
    async with database.transaction(write=False) as session:
        orders, users = await repository.count_traffic(session)
    if on_start is not None:
        on_start(orders + users)

    while True:
        async with database.transaction(write=True) as session:
            order_ids = await repository.seller_order_ids(session, limit=batch)
            removed += await repository.delete_orders(session, order_ids)
        if not order_ids:
            break
        if on_progress is not None:
            on_progress(len(order_ids))

    async with database.transaction(write=True) as session:
        for key in await repository.rehearsal_documents(session):
            await storage.delete(key)  # before the rows: a run that fails here finds them again
        deal_ids, rows = await repository.delete_sale_and_sellers(session)
        removed += rows
        if redis is not None:  # before the commit, for the same reason
            for deal_id in deal_ids:
                removed[REDIS_KEYS] += await redis.forget_deal(deal_id)

    while True:
        async with database.transaction(write=True) as session:
            user_ids = await repository.rehearsal_user_ids(session, limit=batch)
            # a rehearsal buyer's orders are its seller's, gone already; any other goes with it
            removed += await repository.delete_orders(
                session, await repository.orders_of_buyers(session, user_ids)
            )
            removed += await repository.delete_users(session, user_ids)
        if not user_ids:
            break
        if on_progress is not None:
            on_progress(len(user_ids))
    return removed
