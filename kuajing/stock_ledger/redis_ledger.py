"""The Redis stock ledger: Redis admits, the database records.

One Lua script (`take`, redis_stock.lua) checks the deal's window, the buyer's units and the
stock, takes the units and appends the priced attempt to the deal's stream, atomically; a second
(compliance.year_room) then reserves the buyer's CBEC yearly room in the person's own slot, and
the units go back if it refuses. Losers are refused by Redis and never touch the database; a
worker that saw a deal sell out answers sold_out from memory for a moment (sold_out.SoldOutMemo).

An API purchase is answered as soon as Redis admits it (on PostgreSQL), with an order id taken
ahead from the orders' sequence (order_ids.py) and carried in the stream entry; its order is
written a moment later, on a thread of its own (writer.py). A purchase from the Singles' Day
page waits for its order, and so does every purchase for a while after Redis lost the deal
(Take.late, redis_reconciler.LATE_AFTER_LOSS_SECONDS). Either way the
admitted attempts go to the database through the same per-deal group commit the SQL ledger
uses (group_commit.GroupCommitLedger → flash_sale.batch.apply_batch), with the stream entry's
token stored on the reservation. After the commit the entry is deleted. An attempt the database
refuses (its buyer limit, CBEC year or caps, sold out, an idempotency replay) is given back to
Redis by `give_back`, which returns the units and the room only if it is the one that deletes
the entry; one answered already is written cancelled with the refusal as its reason, so its
order id shows what happened (batch._write_broken_promises).

Why this cannot oversell: the database still takes every unit with its guarded UPDATE under
the deal's row lock, so Redis holding too much stock (flushed and rebuilt while attempts were
in flight, a lost give-back) only admits attempts the database then refuses. See redis_reconciler.py.

A worker that dies between the admission and the commit leaves its entry in the stream;
`replay_stale` (run periodically by every worker) writes entries older than a grace period from
their payload, or gives them back if the database refuses — idempotent, because an entry whose
token is already on a reservation answers with that order. An answered entry whose write fails
(the database unavailable) is left for the replayer too. Expired or cancelled orders give
their units back to Redis after the commit that released them (`released`). When a deal is not
in Redis (first use, or after a flush) the reconciler rebuilds it from the database.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from redis.exceptions import RedisError

from kuajing.compliance import year_room
from kuajing.compliance.year_room import YearRoom
from kuajing.db import Database
from kuajing.errors import KuajingError
from kuajing.flash_sale import reservations
from kuajing.flash_sale.errors import BuyerLimitReached, Ended, NotStarted, PurchaseUnavailable, SoldOut
from kuajing.flash_sale.ledger import Attempt, DealFacts, Outcome, Refused, Replayed, Reserved
from kuajing.flash_sale.purchase import receipt
from kuajing.kit.time import utcnow
from kuajing.observability import metrics
from kuajing.sealing import CannotOpen, is_sealed
from kuajing.stock_ledger import attempt_codec, buyer_warming, redis_reconciler
from kuajing.stock_ledger.group_commit import GroupCommitLedger
from kuajing.stock_ledger.order_ids import OrderIds
from kuajing.stock_ledger.redis_stock import (
    BUYER_LIMIT,
    ENDED,
    NOT_STARTED,
    PENDING,
    ROOM_UNKNOWN,
    SETTLED,
    SOLD_OUT,
    TAKEN,
    UNKNOWN,
    Entry,
    RedisStock,
    Take,
    claim_of,
)
from kuajing.stock_ledger.sold_out import SoldOutMemo
from kuajing.stock_ledger.writer import OrderWriter

log = logging.getLogger(__name__)

# How long an attempt waits while another with its Idempotency-Key is being written before it
# answers idempotency_in_progress; a dead worker's entry holds the key until it is replayed.
PENDING_WAIT_SECONDS = 5.0
MAX_RELOADS = 3  # rebuilds of a deal Redis lost, within one purchase


# The stream entries are the orders-to-be: sealed with the orders table's data key.
STREAM_DATA_KEY = "orders"


@dataclass(frozen=True, slots=True)
class ReplayReport:
    written: int = 0  # entries whose order is in the database (now or already)
    given_back: int = 0  # entries the database refused: units back in Redis
    failed: int = 0  # left in the stream for the next round


def refusal_for(deal: DealFacts, verdict: str) -> KuajingError:
    if verdict == NOT_STARTED:
        return NotStarted(message=f"Deal {deal.id} starts at {deal.starts_at.isoformat()}.")
    if verdict == ENDED:
        return Ended(message=f"Deal {deal.id} ended at {deal.ends_at.isoformat()}.")
    if verdict == BUYER_LIMIT:
        return BuyerLimitReached(message=f"Deal {deal.id} allows at most {deal.per_buyer_limit} per buyer.")
    if verdict == SOLD_OUT:
        return SoldOut(message=f"Deal {deal.id} is sold out.")
    raise ValueError(f"unexpected verdict {verdict!r} from the take script")


def _mark_read(task: "asyncio.Future[Any]") -> None:
    # a caller that hung up never reads the result of its shielded write
    if not task.cancelled():
        task.exception()


class RedisLedger:
    def __init__(
        self,
        database: Database,
        stock: RedisStock,
        *,
        room: YearRoom,
        batches: GroupCommitLedger,
        sold_out_recheck_seconds: float,
        replay_grace_seconds: float,
        order_ids: OrderIds | None = None,
        writer: OrderWriter | None = None,
    ) -> None:
        self.database = database
        # ids taken ahead, to answer an API purchase before its order is written (None: every
        # purchase waits for its order; SQLite, which has no sequence to take them from)
        self._order_ids = order_ids
        # early-answered orders being written: close() lets them finish
        self._early_writes: set[asyncio.Future[Outcome]] = set()
        # admitted attempts are written on a thread of their own when given (writer.py); else on
        # this loop, through `batches`, which also claims the keys of attempts Redis refused
        self._writer = writer
        # written entries waiting to be forgotten together, per (deal, bucket); and the tasks
        self._to_forget: dict[tuple[int, int], list[tuple[str, str]]] = {}
        self._forgetting: set[asyncio.Task[None]] = set()
        self.stock = stock
        self.room = room
        self._batches = batches
        self._sold_out = SoldOutMemo(sold_out_recheck_seconds)
        self._grace_ms = int(replay_grace_seconds * 1000)
        self._reloads: dict[int, asyncio.Task[list[redis_reconciler.BucketDrift]]] = {}
        self._warming: asyncio.Task[None] | None = None  # buyer_warming, started by the upkeep
        # tokens this worker is writing right now: its own replayer leaves them alone
        self._writing: set[str] = set()

    async def start(self) -> None:
        await self.stock.start()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.start)

    def known_sold_out(self, deal_id: int) -> bool:
        # Redis said so, or the database did in a batch on this loop. Batches on the writer's
        # thread do not tell this memory: a sold-out refusal there sets the deal in Redis again
        # from the database (_resync_soon), and Redis then says so itself.
        return self._sold_out.known(deal_id) or self._batches.known_sold_out(deal_id)

    def sold_out_trusted(self, deal_id: int) -> bool:
        return self._sold_out.trusted(deal_id) or self._batches.sold_out_trusted(deal_id)

    async def purchase(self, attempt: Attempt) -> Outcome:
        deal = attempt.deal
        if attempt.answer_early and self._order_ids is not None:
            try:
                attempt = replace(attempt, order_id=await self._order_ids.take())
            except Exception as exc:
                log.warning("could not take order ids ahead: %r", exc)
                raise PurchaseUnavailable(message="Orders cannot be written now; nothing was taken.") from exc
        else:
            attempt = replace(attempt, answer_early=False)
        # sealed: the attempt names the buyer (name, ID number, address), and Redis may keep it
        # on disk (an append-only file) until the entry is written and deleted
        payload = (await self.database.keyring()).seal(STREAM_DATA_KEY, attempt_codec.dumps(attempt))
        unique = uuid.uuid4().hex
        home = self.stock.home_bucket(attempt.buyer_id)
        # On one Redis the buyer's yearly room is checked and taken by the same script as the
        # units; on a cluster it lies in another slot, so it is reserved right after (below).
        room = await self._room_of(attempt) if self.stock.one_node else None
        # the home bucket first, then the others: sold out only when every bucket is empty
        for offset in range(self.stock.buckets):
            bucket = (home + offset) % self.stock.buckets
            token = f"{bucket}.{unique}"
            verdict, entry_id, late, late_over = await self._take(attempt, bucket, token, payload, room)
            if verdict == TAKEN:
                break
            if verdict != SOLD_OUT:
                # refused by the take (no entry holds its order id): the id goes to the next one
                attempt = self._unused(attempt, recycle=True)
            if verdict in (PENDING, SETTLED):
                return Replayed()  # the endpoint answers with its result, or that it is in progress
            if verdict == ROOM_UNKNOWN:
                # cannot be: the attempt carries what its buyer's year held (Attempt.held)
                log.error("the take found no yearly room and no values to set it from")
                raise PurchaseUnavailable(message="The stock ledger could not check your yearly room.")
            if verdict == year_room.ANNUAL or verdict.startswith("capped:"):
                over = year_room.refusal(verdict, year=attempt.limit_year)
                assert over is not None
                return await self._refuse(attempt, over)
            if verdict != SOLD_OUT:
                return await self._refuse(attempt, refusal_for(deal, verdict))
        else:
            self._sold_out.learn(deal.id)
            return await self._refuse(self._unused(attempt, recycle=True), refusal_for(deal, SOLD_OUT))
        if room is None:
            # The units are taken; now the buyer's yearly room, in the person's own slot, given
            # back with the units if it refuses.
            over = await self._reserve_room(attempt, bucket, entry_id)
            if over is not None:
                return await self._refuse(attempt, over)
        # Admitted: the write goes on even if the caller hangs up, so the entry is settled now
        # rather than by the replayer.
        if late:
            # Redis lately lost the deal and may admit more than the database has (attempts
            # admitted before the loss were not counted in its rebuild): the database answers
            attempt = replace(attempt, answer_early=False)
        if late_over:
            # the attempts admitted before the loss are written by now: the deal is set from
            # the database, which counts them, and that ends the late period
            self._resync_soon(deal.id)
        write = asyncio.ensure_future(self._write(replace(attempt, token=token), bucket, entry_id))
        write.add_done_callback(_mark_read)
        if attempt.promised:
            # Redis has decided: units, the buyer's limit and yearly room are taken, the entry
            # holds the order for any worker to write. The order id was taken ahead.
            assert attempt.order_id is not None
            self._early_writes.add(write)
            write.add_done_callback(self._early_writes.discard)
            expires_at = attempt.order["expires_at"]
            return Reserved(
                attempt.order_id, expires_at, receipt(attempt.order_id, attempt.order["status"], expires_at)
            )
        return await asyncio.shield(write)

    async def _room_of(self, attempt: Attempt) -> tuple[str, list[Any]]:
        """The buyer's yearly room key and what the take script checks it with."""
        person = (await self.database.keyring()).person_key(attempt.id_number)
        args = year_room.room_args(
            dutiable=attempt.dutiable, limit=attempt.annual_limit, capped=attempt.capped, held=attempt.held
        )
        return self.room.key(person, attempt.limit_year), args

    async def _reserve_room(self, attempt: Attempt, bucket: int, entry_id: str) -> KuajingError | None:
        """Reserve the attempt's dutiable value and capped quantities in the buyer's yearly room
        (compliance.year_room), set from what the request read if Redis has none. On a refusal
        or a failure the units go back, and the refusal is returned (a failure raised)."""
        assert attempt.held is not None, "an attempt checked by this worker carries what it read"
        person = (await self.database.keyring()).person_key(attempt.id_number)
        try:
            verdict = await self.room.reserve(
                person,
                attempt.limit_year,
                dutiable=attempt.dutiable,
                limit=attempt.annual_limit,
                capped=attempt.capped,
                held=attempt.held,
            )
        except Exception as exc:
            log.warning("Redis failed a yearly room on deal %d: %r", attempt.deal.id, exc)
            await self._settle(self._unused(attempt), bucket, entry_id, written=False, room=False)
            raise PurchaseUnavailable(message="The stock ledger is unavailable; nothing was taken.") from exc
        refusal = year_room.refusal(verdict, year=attempt.limit_year)
        if refusal is not None:
            # never answered: its key is not marked settled
            await self._settle(self._unused(attempt), bucket, entry_id, written=False, room=False)
        return refusal

    def _unused(self, attempt: Attempt, *, recycle: bool = False) -> Attempt:
        """The attempt without the order id it was to have (never answered: Redis refused it).
        With `recycle` the id goes to the next purchase: only when no stream entry ever held it
        (the take refused), since an entry left behind would be written under it."""
        if recycle and attempt.order_id is not None and self._order_ids is not None:
            self._order_ids.give_back(attempt.order_id)
        return replace(attempt, order_id=None)

    async def _refuse(self, attempt: Attempt, error: KuajingError) -> Outcome:
        """Redis refused the attempt. One with an Idempotency-Key may be racing an earlier
        request with that key, whose units Redis already counts: the batch claims the key and
        answers Replayed if that one got there first (taking nothing either way)."""
        attempt = self._unused(attempt)
        if attempt.idempotency is None:
            return Refused(error)
        return await self._batches.purchase(replace(attempt, refused=error))

    async def _take(
        self, attempt: Attempt, bucket: int, token: str, payload: str, room: tuple[str, list[Any]] | None
    ) -> Take:
        deal_id = attempt.deal.id
        loop = asyncio.get_running_loop()
        waiting_until = loop.time() + PENDING_WAIT_SECONDS
        reloads = 0
        while True:
            start = time.perf_counter()
            try:
                taken = await self.stock.take(
                    deal_id,
                    bucket,
                    now_ms=int(time.time() * 1000),
                    buyer_id=attempt.buyer_id,
                    quantity=attempt.quantity,
                    token=token,
                    payload=payload,
                    claim=claim_of(attempt.idempotency),
                    room=room,
                )
            except Exception as exc:
                # a Redis or client failure is the ledger being unavailable (503), never a 500;
                # if the script did run, the replayer writes or gives back its entry later
                log.warning("Redis failed a take on deal %d: %r", deal_id, exc)
                raise PurchaseUnavailable(
                    message="The stock ledger is unavailable; nothing was taken."
                ) from exc
            metrics.redis_take(time.perf_counter() - start)
            verdict = taken.verdict
            if verdict == UNKNOWN and reloads < MAX_RELOADS:
                # Redis lost the deal (a flush, a failover): rebuild it from the database. Lost
                # again by the time this take retries means another flush came in between, so
                # a few rebuilds are allowed before the caller is told to try again.
                await self.reload(deal_id)
                reloads += 1
            elif verdict == UNKNOWN:
                raise PurchaseUnavailable(message="The deal could not be loaded into Redis; try again.")
            elif verdict == PENDING and loop.time() < waiting_until:
                # the same request, sent again while the first is being written: once that one
                # is settled, this one takes its answer from the database
                await asyncio.sleep(0.01)
            else:
                return taken

    async def reload(self, deal_id: int) -> list[redis_reconciler.BucketDrift]:
        """Rebuild the deal in Redis from the database; concurrent callers share one rebuild."""
        task = self._reloads.get(deal_id)
        if task is None:
            task = self._reloads[deal_id] = asyncio.create_task(
                self._rebuild(deal_id), name=f"deal-{deal_id}-load"
            )
            task.add_done_callback(lambda _: self._reloads.pop(deal_id, None))
            task.add_done_callback(_mark_read)
        try:
            return await asyncio.shield(task)
        except RedisError as exc:
            raise PurchaseUnavailable(message="The stock ledger is unavailable; nothing was taken.") from exc

    async def _rebuild(self, deal_id: int) -> list[redis_reconciler.BucketDrift]:
        report = await redis_reconciler.reconcile_deal(self.database, self.stock, deal_id=deal_id)
        for drift in report:
            if drift.found is not None and drift.drifted and drift.repaired:
                log.warning("deal %d bucket %d drifted and was repaired: %s", deal_id, drift.bucket, drift)
        self._sold_out.forget(deal_id)
        return report

    async def _write(self, attempt: Attempt, bucket: int, entry_id: str) -> Outcome:
        assert attempt.token is not None
        self._writing.add(attempt.token)
        try:
            if self._writer is not None:
                outcome = await self._writer.write(attempt)
            else:
                outcome = await self._batches.purchase(attempt)
        except PurchaseUnavailable:
            if attempt.promised:
                # answered already: the entry stays for the replayer to write once the database
                # answers again
                raise
            # nothing was written (or, if the commit's answer was lost, Redis errs high: safe)
            await self._settle(attempt, bucket, entry_id, written=False)
            raise
        finally:
            self._writing.discard(attempt.token)
        await self._settle(attempt, bucket, entry_id, written=isinstance(outcome, Reserved))
        if isinstance(outcome, Refused) and outcome.error.code == SoldOut.code:
            # Redis admitted what the database no longer had (a failover lost takes, a re-share):
            # set the deal from the database now, or every unit given back would admit, and
            # answer, one more buyer the database refuses
            self._resync_soon(attempt.deal.id)
        return outcome

    def _resync_soon(self, deal_id: int) -> None:
        if deal_id in self._reloads:
            return
        task = asyncio.ensure_future(self.reload(deal_id))
        task.add_done_callback(_mark_read)

    async def _settle(
        self, attempt: Attempt, bucket: int, entry_id: str, *, written: bool, room: bool = True
    ) -> None:
        """After the commit: drop a written entry, give back a refused one (its units, and its
        yearly room if `room` was reserved). If Redis fails here the entry stays, and the
        replayer settles it later."""
        deal_id = attempt.deal.id
        try:
            claim = claim_of(attempt.idempotency)
            if written:
                self._forget_soon(deal_id, bucket, entry_id, claim)
            elif await self.stock.give_back(
                deal_id,
                bucket,
                entry_id=entry_id,
                buyer_id=attempt.buyer_id,
                quantity=attempt.quantity,
                claim=claim,
                answered=attempt.promised,
            ):
                # only the caller whose give-back removed the entry gets here: once per attempt
                self._sold_out.forget(deal_id)
                if room:
                    await self.room.release(
                        (await self.database.keyring()).person_key(attempt.id_number),
                        attempt.limit_year,
                        dutiable=attempt.dutiable,
                        capped={prefix: amount for prefix, (amount, _cap) in attempt.capped.items()},
                    )
        except RedisError:
            log.warning(
                "could not settle entry %s of deal %d; the replayer will", entry_id, deal_id, exc_info=True
            )

    def _forget_soon(self, deal_id: int, bucket: int, entry_id: str, claim: str) -> None:
        """Forget a written entry together with the others of its bucket written in the same
        batch (whose outcomes arrive in the same loop turn): one script for all of them."""
        waiting = self._to_forget.setdefault((deal_id, bucket), [])
        waiting.append((entry_id, claim))
        if len(waiting) == 1:
            task = asyncio.create_task(self._forget_waiting(deal_id, bucket), name=f"deal-{deal_id}-forget")
            self._forgetting.add(task)
            task.add_done_callback(self._forgetting.discard)

    async def _forget_waiting(self, deal_id: int, bucket: int) -> None:
        await asyncio.sleep(0)  # the rest of the batch's outcomes, resolved in this loop turn
        written = self._to_forget.pop((deal_id, bucket), [])
        try:
            await self.stock.forget_entries(deal_id, bucket, written)
        except RedisError:
            # the entries stay; the replayer finds their orders written and forgets them then
            log.warning(
                "could not forget %d written entries of deal %d", len(written), deal_id, exc_info=True
            )

    async def released(self, order_ids: list[int]) -> None:
        if not order_ids:
            return
        async with self.database.transaction(write=False) as session:
            given_back = await reservations.released(session, order_ids=order_ids)
        for reservation in given_back:
            bucket = redis_reconciler.bucket_of(
                self.stock, buyer_id=reservation.buyer_id, token=reservation.redis_token
            )
            try:
                if await self.stock.return_released(
                    reservation.deal_id,
                    bucket,
                    reservation_id=reservation.id,
                    buyer_id=reservation.buyer_id,
                    quantity=reservation.quantity,
                ):
                    self._sold_out.forget(reservation.deal_id)
            except RedisError:
                # Redis now holds too few units: unsold, never oversold, until the reconciler runs
                log.warning("could not return reservation %d to Redis", reservation.id, exc_info=True)

    async def replay_stale(self) -> ReplayReport:
        """Write (or give back) every stream entry older than the grace period: attempts whose
        worker died between admission and commit."""
        until = int(time.time() * 1000) - self._grace_ms
        report = ReplayReport()
        for deal_id in await self.stock.loaded_deals():
            for bucket in range(self.stock.buckets):
                entries = await self.stock.entries(deal_id, bucket, until_ms=until)
                found = await self.replay(
                    deal_id, bucket, [e for e in entries if e.token not in self._writing]
                )
                report = ReplayReport(
                    report.written + found.written,
                    report.given_back + found.given_back,
                    report.failed + found.failed,
                )
        return report

    async def replay(self, deal_id: int, bucket: int, entries: list[Entry]) -> ReplayReport:
        """Write these entries' orders through the batches; idempotent (a token already on a
        reservation answers with its order and writes nothing)."""
        results = await asyncio.gather(*(self._replay_one(deal_id, bucket, entry) for entry in entries))
        return ReplayReport(results.count("written"), results.count("given_back"), results.count("failed"))

    async def _replay_one(self, deal_id: int, bucket: int, entry: Entry) -> str:
        try:
            payload = entry.payload
            if is_sealed(payload):  # entries written before they were sealed are read as they are
                payload = (await self.database.keyring()).open(payload)
            attempt = attempt_codec.loads(payload, token=entry.token)
            if entry.late:
                # admitted while its deal answered late: sealed before the take said so, its
                # payload says "answer early", but its buyer waited for the write (and was told
                # the outcome, or nothing if its worker died): no promise to keep
                attempt = replace(attempt, answer_early=False)
        # ArithmeticError: a bad Decimal; CannotOpen: sealed under a key this database lacks
        except (ValueError, KeyError, TypeError, ArithmeticError, CannotOpen):
            log.error("stream entry %s of deal %d cannot be decoded; giving it back", entry.id, deal_id)
            try:
                await self.stock.give_back(
                    deal_id,
                    bucket,
                    entry_id=entry.id,
                    buyer_id=entry.buyer_id,
                    quantity=entry.quantity,
                    claim="",
                )
            except RedisError:
                return "failed"  # left in the stream for the next round; the others go on
            return "given_back"
        try:
            outcome = await self._batches.purchase(replace(attempt, replayed=True))
        except PurchaseUnavailable:
            return "failed"
        written = isinstance(outcome, Reserved)
        await self._settle(attempt, bucket, entry.id, written=written)
        return "written" if written else "given_back"

    async def upkeep_forever(
        self, *, replay_interval: float, reconcile_interval: float, warm_ahead: float = 0
    ) -> None:
        """Replay stale entries every `replay_interval`, reconcile live deals every
        `reconcile_interval` (0 turns either off), and with it set the buyers in Redis once a
        campaign is `warm_ahead` seconds from opening (0: never; buyer_warming.py)."""
        loop = asyncio.get_running_loop()
        next_reconcile = loop.time() + reconcile_interval
        tick = min(interval for interval in (replay_interval, reconcile_interval) if interval > 0)
        while True:
            await asyncio.sleep(tick)
            try:
                if replay_interval > 0:
                    replayed = await self.replay_stale()
                    if replayed != ReplayReport():
                        log.warning("replayed stale stream entries: %s", replayed)
                if reconcile_interval > 0 and loop.time() >= next_reconcile:
                    next_reconcile = loop.time() + reconcile_interval
                    for drift in await redis_reconciler.reconcile_deals(self.database, self.stock):
                        if drift.drifted and drift.repaired:
                            log.warning("repaired Redis drift: %s", drift)
                    if warm_ahead > 0 and (self._warming is None or self._warming.done()):
                        # beside the loop, which keeps replaying meanwhile (minutes for a million)
                        self._warming = asyncio.create_task(
                            self._warm(timedelta(seconds=warm_ahead)), name="buyer-warming"
                        )
            except asyncio.CancelledError:
                raise
            except Exception:  # keep going; the next round retries
                log.exception("Redis ledger upkeep failed")

    async def _warm(self, ahead: timedelta) -> None:
        try:
            await buyer_warming.warm_before_opening(self.database, self.stock, ahead=ahead, now=utcnow())
        except Exception:  # the campaign's mark was taken back: the next round retries
            log.exception("could not set the buyers in Redis before a campaign")

    async def close(self) -> None:
        if self._early_writes:
            # answered orders are written before the worker goes (else the next worker's
            # replayer writes them from the stream after the grace period)
            await asyncio.wait(list(self._early_writes), timeout=10)
        if self._forgetting:
            await asyncio.wait(list(self._forgetting), timeout=10)
        if self._order_ids is not None:
            await self._order_ids.close()
        if self._writer is not None:
            await self._writer.close()
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        for task in list(self._reloads.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._batches.close()
        await self.stock.close()
