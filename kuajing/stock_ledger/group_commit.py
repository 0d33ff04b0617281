"""The SQL stock ledger: per-process group commit of purchase attempts on a hot deal.

Attempts on the same deal that arrive within a short window (or until the batch is full) are
applied in one transaction: one lock and one guarded UPDATE of the deal row for the whole batch,
per-buyer checks inside it, and one INSERT per table for the orders. While a batch is being
applied the next one gathers, so a worker keeps at most one transaction per deal in flight and
the hot row is touched once per batch, not once per buyer.

Each worker batches its own attempts. Several workers stay correct together because every batch
locks the deal row and takes units with a guarded UPDATE: a batch only ever sells what the row
says is left when it holds the lock.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, IntegrityError

from kuajing.db import Database
from kuajing.flash_sale import batch
from kuajing.flash_sale.errors import PurchaseUnavailable
from kuajing.flash_sale.ledger import Attempt, Outcome
from kuajing.kit.time import utcnow
from kuajing.observability import metrics
from kuajing.stock_ledger.sold_out import SoldOutMemo

log = logging.getLogger(__name__)

# A transient failure (a lock timeout, a dropped connection) is retried this many times.
TRIES = 3


@dataclass(slots=True)
class _Waiting:
    attempt: Attempt
    future: asyncio.Future[Outcome]
    arrived: float


@dataclass(slots=True)
class _DealQueue:
    waiting: list[_Waiting] = field(default_factory=list)
    full: asyncio.Event = field(default_factory=asyncio.Event)
    drainer: asyncio.Task[None] | None = None


class GroupCommitLedger:
    def __init__(
        self, database: Database, *, window_seconds: float, max_batch: int, sold_out_recheck_seconds: float
    ) -> None:
        self._database = database
        self._window = window_seconds
        self._max_batch = max_batch
        self._sold_out = SoldOutMemo(sold_out_recheck_seconds)
        self._queues: dict[int, _DealQueue] = {}
        self.batches = 0  # applied batches, for tests and the rehearsal's report

    def known_sold_out(self, deal_id: int) -> bool:
        return self._sold_out.known(deal_id)

    def sold_out_trusted(self, deal_id: int) -> bool:
        return self._sold_out.trusted(deal_id)

    async def purchase(self, attempt: Attempt) -> Outcome:
        loop = asyncio.get_running_loop()
        deal_id = attempt.deal.id
        queue = self._queues.get(deal_id)
        if queue is None:
            queue = self._queues[deal_id] = _DealQueue()
        waiting = _Waiting(attempt, loop.create_future(), loop.time())
        # If the caller is gone when the batch fails, nobody reads the error: mark it read.
        waiting.future.add_done_callback(lambda future: future.cancelled() or future.exception())
        queue.waiting.append(waiting)
        if len(queue.waiting) >= self._max_batch:
            queue.full.set()
        if queue.drainer is None:
            queue.drainer = asyncio.create_task(self._drain(deal_id, queue), name=f"deal-{deal_id}-batches")
        # The batch runs whether or not this caller is still there: shielded, so a client that
        # hangs up does not cancel a future the batch will resolve.
        return await asyncio.shield(waiting.future)

    async def _drain(self, deal_id: int, queue: _DealQueue) -> None:
        loop = asyncio.get_running_loop()
        try:
            while queue.waiting:
                wait = queue.waiting[0].arrived + self._window - loop.time()
                if wait > 0 and len(queue.waiting) < self._max_batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(queue.full.wait(), wait)
                batch = queue.waiting[: self._max_batch]
                del queue.waiting[: self._max_batch]
                if len(queue.waiting) < self._max_batch:
                    queue.full.clear()
                await self._apply(deal_id, batch)
        finally:
            queue.drainer = None
            if not queue.waiting and self._queues.get(deal_id) is queue:
                del self._queues[deal_id]

    async def _apply(self, deal_id: int, batch: list[_Waiting]) -> None:
        """Apply a batch and resolve its futures; never raises. If the batch as a whole fails,
        each attempt is tried alone, so one bad attempt cannot sink its neighbours."""
        try:
            outcomes = await self._run(deal_id, [waiting.attempt for waiting in batch])
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0], exc)
                return
            log.warning("batch of %d on deal %d failed (%r); applying one by one", len(batch), deal_id, exc)
            for waiting in batch:
                try:
                    (outcome,) = await self._run(deal_id, [waiting.attempt])
                except Exception as alone:
                    _fail(waiting, alone)
                else:
                    _resolve(waiting, outcome)
            return
        for waiting, outcome in zip(batch, outcomes, strict=True):
            _resolve(waiting, outcome)

    async def _run(self, deal_id: int, attempts: list[Attempt]) -> list[Outcome]:
        for tries_left in range(TRIES - 1, -1, -1):
            try:
                async with self._database.transaction(write=True) as session:
                    result = await batch.apply_batch(
                        session, deal=attempts[0].deal, attempts=attempts, now=utcnow()
                    )
            except IntegrityError:
                raise
            except DBAPIError:
                if not tries_left:
                    raise
                log.warning("batch on deal %d hit a database error; retrying", deal_id, exc_info=True)
                continue
            self.batches += 1
            metrics.stock_ledger_batch(len(attempts))
            if result.remaining == 0:
                self._sold_out.learn(deal_id)
            else:
                self._sold_out.forget(deal_id)
            return result.outcomes
        raise AssertionError("unreachable")

    async def released(self, order_ids: list[int]) -> None:
        """The database is the only count here: the release already returned the units."""

    async def close(self) -> None:
        for queue in list(self._queues.values()):
            if queue.drainer is not None:
                queue.drainer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await queue.drainer
            for waiting in queue.waiting:
                _fail(waiting, PurchaseUnavailable(message="The server is shutting down; try again."))
        self._queues.clear()


def _resolve(waiting: _Waiting, outcome: Outcome) -> None:
    if not waiting.future.done():
        waiting.future.set_result(outcome)


def _fail(waiting: _Waiting, exc: BaseException) -> None:
    if waiting.future.done():
        return
    if not isinstance(exc, PurchaseUnavailable):
        log.error("purchase attempt on deal %d failed", waiting.attempt.deal.id, exc_info=exc)
        exc = PurchaseUnavailable(message="The purchase could not be applied; nothing was taken. Try again.")
    waiting.future.set_exception(exc)
