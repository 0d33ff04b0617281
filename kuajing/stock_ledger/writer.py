"""The order writer: a thread of its own, with its own event loop, database pool and group
commit, that writes the attempts the Redis ledger admitted.

Why a thread: at a sale's peak a worker's event loop is busy answering tens of thousands of
losers, and a batch written on that loop waits behind all of them at every statement (about a
loop turn each: hundreds of milliseconds for a batch of 200 on this machine's benchmark). On a
loop of its own a batch waits only for the database, and for the GIL, which the request loop
gives up every few milliseconds (sys.getswitchinterval).

The requests' loop hands over the attempts of one loop turn together (`write`), and each loop
sends the other what it has in one call_soon_threadsafe a turn: a wake-up of the other loop
(a write to its self-pipe) and a GIL hand-off cost more than the rest of a hand-over, and a
rush's attempts arrive together. Nothing else is shared. The thread builds its objects on its
own loop (asyncio objects, the engine and its connections belong to the loop that made them).
"""

import asyncio
import functools
import logging
import threading
from collections.abc import Callable

from kuajing.db import Database
from kuajing.flash_sale.errors import PurchaseUnavailable
from kuajing.flash_sale.ledger import Attempt, Outcome
from kuajing.stock_ledger.group_commit import GroupCommitLedger

log = logging.getLogger(__name__)

# an attempt's future on the requests' loop, and the task that wrote it on the writer's
_Finished = tuple["asyncio.Future[Outcome]", "asyncio.Task[Outcome]"]

POOL_SIZE = 4  # batches in flight at once: one per hot deal, and a few deals at a time
STARTUP_SECONDS = 30.0
STOP_SECONDS = 1.0  # how long a stopping writer waits for an attempt whose batch was cut short


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's, as uvicorn runs the requests' loop when it is installed; else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class OrderWriter:
    def __init__(
        self, open_database: Callable[[], Database], batches: Callable[[Database], GroupCommitLedger]
    ):
        self._open_database = open_database
        self._make_batches = batches
        self._loop: asyncio.AbstractEventLoop | None = None
        self._batches: GroupCommitLedger | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="order-writer", daemon=True)
        # whether the writer's loop takes attempts: cleared, under the lock, once it stops
        self._lock = threading.Lock()
        self._open = True
        # on the requests' loop: attempts of this turn not yet handed over
        self._outbox: list[tuple[Attempt, asyncio.Future[Outcome]]] = []
        # on the writer's loop: outcomes of this turn not yet sent back, by the loop awaiting them
        self._done: dict[asyncio.AbstractEventLoop, list[_Finished]] = {}
        self._writing: set[asyncio.Task[Outcome]] = set()  # on the writer's loop

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(STARTUP_SECONDS):
            raise RuntimeError("the order writer did not start")
        if self._failed is not None:
            raise RuntimeError("the order writer could not start") from self._failed

    async def write(self, attempt: Attempt) -> Outcome:
        """The attempt applied in a batch on the writer's loop: its outcome, or what it raised."""
        assert self._loop is not None and self._batches is not None, "start() first"
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._outbox.append((attempt, future))
        if len(self._outbox) == 1:
            loop.call_soon(self._hand_over, loop)
        # the batch resolves it whether or not this caller is still there
        return await asyncio.shield(future)

    def _hand_over(self, requests: asyncio.AbstractEventLoop) -> None:
        handed, self._outbox = self._outbox, []
        assert self._loop is not None
        with self._lock:
            if self._open and self._thread.is_alive():
                try:
                    self._loop.call_soon_threadsafe(self._accept, handed, requests)
                    return
                except RuntimeError:  # its loop closed just now: the thread died
                    pass
        _resolve(_refused(handed))

    def _accept(
        self, handed: list[tuple[Attempt, "asyncio.Future[Outcome]"]], requests: asyncio.AbstractEventLoop
    ) -> None:
        """On the writer's loop: each attempt into its deal's batch (refused once stopping)."""
        assert self._loop is not None and self._batches is not None
        if not self._open:
            requests.call_soon_threadsafe(_resolve, _refused(handed))
            return
        for attempt, future in handed:
            task = self._loop.create_task(self._batches.purchase(attempt))
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)
            task.add_done_callback(functools.partial(self._finished, requests, future))

    def _finished(
        self,
        requests: asyncio.AbstractEventLoop,
        future: "asyncio.Future[Outcome]",
        task: "asyncio.Task[Outcome]",
    ) -> None:
        done = self._done.setdefault(requests, [])
        done.append((future, task))
        if len(done) == 1:
            assert self._loop is not None
            self._loop.call_soon(self._send_back, requests)

    def _send_back(self, requests: asyncio.AbstractEventLoop) -> None:
        done = self._done.pop(requests, [])
        if not done:
            return
        outcomes = [(future, _result(task)) for future, task in done]
        try:
            requests.call_soon_threadsafe(_resolve, outcomes)
        except RuntimeError:
            log.warning("the loop awaiting %d written attempts is closed", len(outcomes))

    def _run(self) -> None:
        loop = _new_loop()
        try:
            loop.run_until_complete(self._serve(loop))
        except BaseException as exc:  # reported to start(), or logged if it came later
            self._failed = exc
            self._ready.set()
            log.exception("the order writer stopped")
        finally:
            loop.close()

    async def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        database = self._open_database()
        batches = self._make_batches(database)
        self._stop = asyncio.Event()
        self._loop, self._batches = loop, batches
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            with self._lock:
                self._open = False
            await asyncio.sleep(0)  # attempts handed over before that: refused (_accept)
            # Every attempt handed over is answered before the loop goes: the batches' close
            # fails those still waiting (PurchaseUnavailable), and one whose batch it cut short
            # is cancelled, which answers it the same way (its entry stays for the replayer).
            await batches.close()
            if self._writing:
                _done, cut_short = await asyncio.wait(list(self._writing), timeout=STOP_SECONDS)
                for task in cut_short:
                    task.cancel()
                await asyncio.gather(*cut_short, return_exceptions=True)
            await asyncio.sleep(0)  # the tasks' done-callbacks (_finished)
            for requests in list(self._done):
                self._send_back(requests)
            await database.dispose()

    async def close(self) -> None:
        """Stop after the batches in flight: waiting attempts are failed (PurchaseUnavailable),
        and their stream entries stay for the replayer."""
        if self._thread.ident is None:
            return  # never started (a process that buys nothing)
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, STARTUP_SECONDS)


def _unavailable() -> PurchaseUnavailable:
    return PurchaseUnavailable(message="Orders cannot be written now; try again.")


def _refused(
    handed: list[tuple[Attempt, "asyncio.Future[Outcome]"]],
) -> list[tuple["asyncio.Future[Outcome]", Outcome | BaseException]]:
    """Attempts the writer will not take (it is stopping, or stopped): each answered 503."""
    return [(future, _unavailable()) for _attempt, future in handed]


def _result(task: "asyncio.Task[Outcome]") -> Outcome | BaseException:
    if task.cancelled():
        return _unavailable()
    error = task.exception()
    return task.result() if error is None else error


def _resolve(outcomes: list[tuple["asyncio.Future[Outcome]", Outcome | BaseException]]) -> None:
    """On the requests' loop: each written attempt's outcome to the request awaiting it."""
    for future, outcome in outcomes:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
