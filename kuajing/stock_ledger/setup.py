"""Which stock ledger a process runs: the SQL group-commit ledger, behind Redis when
KUAJING_REDIS_URL is set (decision 0003)."""

from kuajing.compliance import buyer_facts, year_room
from kuajing.compliance.buyer_facts import BuyerFacts
from kuajing.compliance.year_room import YearRoom
from kuajing.db import Database
from kuajing.settings import Settings
from kuajing.stock_ledger.group_commit import GroupCommitLedger
from kuajing.stock_ledger.order_ids import OrderIds
from kuajing.stock_ledger.redis_ledger import RedisLedger
from kuajing.stock_ledger.redis_stock import RedisStock
from kuajing.stock_ledger.writer import POOL_SIZE as WRITER_POOL_SIZE
from kuajing.stock_ledger.writer import OrderWriter


def keep_buyers_in(database: Database, stock: RedisStock, *, prefix: str) -> YearRoom:
    """Have every session of `database` carry the buyers' yearly rooms and facts in this Redis
    (year_room.of, buyer_facts.of): orders reserve their rooms there, and purchases read their
    buyers there."""
    room = YearRoom(stock.client, prefix=prefix)
    database.attach(year_room.SESSION_KEY, room)
    database.attach(buyer_facts.SESSION_KEY, BuyerFacts(stock.client, prefix=prefix, room=room))
    return room


def from_settings(
    database: Database, settings: Settings, *, purchases: bool = True
) -> GroupCommitLedger | RedisLedger:
    """With Redis, the buyers' yearly rooms are kept there too, on the ledger's connections, and
    every session of `database` carries them (year_room.of) so that every order reserves its
    room where a flash-sale admission does; and so are the buyers' identities, which purchases
    then read there (buyer_facts.of). Without `purchases` (a process that serves none,
    whose ledger only replays and reconciles) there is no writer thread."""
    batches = GroupCommitLedger(
        database,
        window_seconds=settings.flash_sale_batch_window_seconds,
        max_batch=settings.flash_sale_batch_max,
        sold_out_recheck_seconds=settings.flash_sale_sold_out_recheck_seconds,
    )
    if not settings.redis_url:
        return batches
    stock = RedisStock.connect(
        settings.redis_url,
        cluster=settings.redis_cluster,
        prefix=settings.redis_prefix,
        buckets=settings.flash_sale_stock_buckets,
        max_connections=settings.redis_max_connections,
    )
    room = keep_buyers_in(database, stock, prefix=settings.redis_prefix)
    # On PostgreSQL an API purchase is answered before its order is written, with an id taken
    # ahead, and the orders are written on a thread of their own. SQLite has no sequence to take
    # ids from, and one writer at a time: there every purchase waits for its order.
    fast = purchases and not database.is_sqlite
    return RedisLedger(
        database,
        stock,
        room=room,
        order_ids=OrderIds(database) if fast else None,
        writer=OrderWriter(
            lambda: database.twin(pool_size=WRITER_POOL_SIZE),
            lambda own: GroupCommitLedger(
                own,
                window_seconds=settings.flash_sale_batch_window_seconds,
                max_batch=settings.flash_sale_batch_max,
                sold_out_recheck_seconds=settings.flash_sale_sold_out_recheck_seconds,
            ),
        )
        if fast
        else None,
        batches=batches,
        sold_out_recheck_seconds=settings.flash_sale_sold_out_recheck_seconds,
        replay_grace_seconds=settings.flash_sale_replay_grace_seconds,
    )
