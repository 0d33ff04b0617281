"""The Redis reconciler: rebuild a deal's Redis state from the database, the source of truth, and
report the drift.

Redis only admits; the database decides. Every admitted attempt is still applied under the
deal's row lock with the guarded `UPDATE deals SET remaining = remaining - n WHERE remaining >=
n`, and each buyer's units by a guarded counter, so a Redis that is stale, rebuilt late or
flushed can only admit too many (the database refuses them, and their units are given back to
Redis) or too few (units unsold until the next reconcile) — it can never oversell.

The rebuild is exact because it runs while holding that same row lock: no attempt can be
written, and no reservation released, until it is done. So for each bucket the Lua script can
count, at its own atomic moment, every stream entry whose token is not in the database as in
flight: stock = the database's remaining (this bucket's share) - units in flight, and each
buyer's units = the database's + in flight. Released reservation ids are written to the
bucket's released set, so a give-back still on its way for one of them is not counted twice.

What the rebuild cannot count is an attempt admitted before Redis lost the deal (its stream went
with it) whose worker is still writing it: Redis would admit its unit again. So a rebuild after
a loss (the deal had been set in Redis before: `deals.redis_loaded_at`) marks the deal `late`
for LATE_AFTER_LOSS_SECONDS, and until then an admitted purchase is answered only once the
database has written its order, never early (redis_ledger.py); a refusal is then told as such.
"""

from dataclasses import dataclass
from datetime import datetime

from kuajing.db import Database
from kuajing.flash_sale import reservations
from kuajing.kit.time import utcnow
from kuajing.stock_ledger.redis_stock import RedisStock, token_bucket

# How long purchases wait for their order after Redis lost a deal it held. Longer than an
# attempt admitted before the loss takes to be written: a writer's batch takes about 0.1 s, and
# the write of an entry left in the stream is given up after the replay grace (10 s default).
LATE_AFTER_LOSS_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class BucketDrift:
    deal_id: int
    bucket: int
    found: int | None  # the stock Redis held; None when the deal was not loaded (flushed)
    expected: int  # what the database says it should hold
    in_flight: int  # units admitted by Redis and not yet written to the database
    buyers_differing: int
    repaired: bool
    late_over: bool = False  # the bucket's late period (after a loss) is over but not ended

    @property
    def drifted(self) -> bool:
        return self.found != self.expected or self.buyers_differing > 0


def bucket_of(stock: RedisStock, *, buyer_id: int, token: str | None) -> int:
    """The bucket a reservation's units came from (its buyer's home bucket if not from Redis)."""
    return stock.home_bucket(buyer_id) if token is None else token_bucket(token) % stock.buckets


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def reconcile_deal(
    database: Database, stock: RedisStock, *, deal_id: int, repair: bool = True
) -> list[BucketDrift]:
    """Compare (and with `repair`, set) each of the deal's buckets against the database."""
    buckets = range(stock.buckets)
    async with database.transaction(write=True) as session:
        deal = await reservations.lock_deal(session, deal_id=deal_id)
        now = utcnow()  # once the lock is held: a rebuild may have waited for it a while
        remaining = deal.remaining
        entries = {bucket: await stock.entries(deal_id, bucket) for bucket in buckets}
        written = await reservations.written_tokens(
            session, [entry.token for bucket in buckets for entry in entries[bucket]]
        )
        held: dict[int, dict[int, int]] = {bucket: {} for bucket in buckets}
        if stock.buckets == 1:
            held[0] = await reservations.units_by_buyer(session, deal_id=deal_id)
        else:
            # the per-buyer limit across buckets is the database's; a bucket only pre-checks
            # what the buyer took through it
            rows = await reservations.taken_by_token(session, deal_id=deal_id)
            for buyer_id, token, units in rows:
                counts = held[bucket_of(stock, buyer_id=buyer_id, token=token)]
                counts[buyer_id] = counts.get(buyer_id, 0) + units
        released: dict[int, list[int]] = {bucket: [] for bucket in buckets}
        for reservation in await reservations.released(session, deal_id=deal_id):
            bucket = bucket_of(stock, buyer_id=reservation.buyer_id, token=reservation.redis_token)
            released[bucket].append(reservation.id)
        in_flight = {
            bucket: sum(entry.quantity for entry in entries[bucket] if entry.token not in written)
            for bucket in buckets
        }
        # the units free for new attempts, shared out; floor division keeps the sum exact even
        # when more is in flight than remains (the database will refuse the excess)
        free = remaining - sum(in_flight.values())

        async def each_bucket(repairing: bool, *, late_until_ms: int = 0) -> list[BucketDrift]:
            found = []
            for bucket in buckets:
                share = free // stock.buckets + (1 if bucket < free % stock.buckets else 0)
                rebuilt = await stock.rebuild(
                    deal_id,
                    bucket,
                    repair=repairing,
                    base=in_flight[bucket] + share,
                    limit=deal.per_buyer_limit,
                    starts_ms=_epoch_ms(deal.starts_at),
                    ends_ms=_epoch_ms(deal.ends_at),
                    written=[entry.token for entry in entries[bucket] if entry.token in written],
                    buyers=held[bucket],
                    released=released[bucket],
                    now_ms=_epoch_ms(now),
                    late_until_ms=late_until_ms,
                )
                found.append(
                    BucketDrift(
                        deal_id=deal_id,
                        bucket=bucket,
                        found=rebuilt.found,
                        expected=rebuilt.expected,
                        in_flight=rebuilt.in_flight,
                        buyers_differing=rebuilt.buyers_differing,
                        repaired=repairing,
                        late_over=rebuilt.late_over,
                    )
                )
            return found

        # Looked at first, and set only if the deal is missing or its total or a buyer's units
        # differ. Setting a live deal shares its free units out evenly again, and a bucket that
        # admitted more than its new share between the read above and its script ends below 0
        # while the others hold the difference: Redis would then admit more than the database
        # has (each bucket is its own slot, so no one script can see them all at once). How the
        # units happen to lie over the buckets is not a drift.
        report = await each_bucket(False)
        if repair and _needs_repair(report):
            lost = deal.redis_loaded_at is not None and deal.starts_at <= now
            lost = lost and any(drift.found is None for drift in report)
            report = await each_bucket(
                True, late_until_ms=_epoch_ms(now) + int(LATE_AFTER_LOSS_SECONDS * 1000) if lost else 0
            )
        elif repair:
            # Redis agrees with the database: a late period that is over ends (the attempts
            # admitted before the loss are written by now, and counted above); a repair above
            # drops one itself
            for drift in report:
                if drift.late_over:
                    await stock.settle_late(deal_id, drift.bucket, now_ms=_epoch_ms(now))
        if repair and deal.redis_loaded_at is None:
            await reservations.mark_redis_loaded(session, deal_id=deal_id, now=now)
    if repair:
        await stock.register(deal_id)
    return report


def _needs_repair(report: list[BucketDrift]) -> bool:
    if any(drift.found is None for drift in report):
        return True
    total_found = sum(drift.found or 0 for drift in report)
    return total_found != sum(drift.expected for drift in report) or any(
        drift.buyers_differing for drift in report
    )


async def reconcile_deals(
    database: Database, stock: RedisStock, *, deal_ids: list[int] | None = None, repair: bool = True
) -> list[BucketDrift]:
    """Reconcile the given deals, or every deal whose campaign has not ended."""
    if deal_ids is None:
        async with database.transaction(write=False) as session:
            deal_ids = await reservations.live_deal_ids(session, now=utcnow())
    report: list[BucketDrift] = []
    for deal_id in deal_ids:
        report += await reconcile_deal(database, stock, deal_id=deal_id, repair=repair)
    return report
