"""The order writer: a thread of its own, with its own event loop, database pool and group
commit, that writes the attempts the Redis ledger admitted.

Why a thread: at a sale's peak a worker's event loop is busy answering tens of thousands of
losers, and a batch written on that loop waits behind all of them at every statement (about a
loop turn each: hundreds of milliseconds for a batch of 200 on this machine's benchmark). On a
loop of its own a batch waits only for the database, and for the GIL, which the request loop
gives up every few milliseconds (sys.getswitchinterval).

The requests' loop hands over an attempt (`write`) and awaits the outcome through a
concurrent.futures.Future; nothing else is shared. The thread builds its objects on its own
loop (asyncio objects, the engine and its connections belong to the loop that made them).
"""

import asyncio
import logging
import threading
from collections.abc import Callable

from kuajing.db import Database
from kuajing.flash_sale.ledger import Attempt, Outcome
from kuajing.stock_ledger.group_commit import GroupCommitLedger

log = logging.getLogger(__name__)

POOL_SIZE = 4  # batches in flight at once: one per hot deal, and a few deals at a time
STARTUP_SECONDS = 30.0


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

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(STARTUP_SECONDS):
            raise RuntimeError("the order writer did not start")
        if self._failed is not None:
            raise RuntimeError("the order writer could not start") from self._failed

    async def write(self, attempt: Attempt) -> Outcome:
        """The attempt applied in a batch on the writer's loop: its outcome, or what it raised."""
        assert self._loop is not None and self._batches is not None, "start() first"
        batches = self._batches
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(batches.purchase(attempt), self._loop)
        )

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
            await batches.close()
            await database.dispose()

    async def close(self) -> None:
        """Stop after the batches in flight: waiting attempts are failed (PurchaseUnavailable),
        and their stream entries stay for the replayer."""
        if self._thread.ident is None:
            return  # never started (a process that buys nothing)
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        await asyncio.to_thread(self._thread.join, STARTUP_SECONDS)
