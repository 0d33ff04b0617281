"""Many concurrent lookups of one kind, answered by one query.

At 00:00 on 11.11 thousands of buyers arrive in the same second, each needing the same few reads
(whose token is this, whose identity, how much of the year is used). Asked one by one, each read
is a round trip and a transaction; most of a winning purchase's database time went there. A
BatchLoader gathers the keys asked for while its previous query is in flight and fetches them
together in one short read transaction of its own, on a pool of its own (Database.batch_read):
with one caller it fetches at once, and under a flood its batches grow with the flood.

The reads are as fresh as a read made at the moment the batch's query runs, never older than the
request that asked: a loader is not a cache, and keeps nothing once it has answered.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[AsyncSession, Sequence[K]], Awaitable[Mapping[K, V]]]


class BatchLoader(Generic[K, V]):
    def __init__(self, database: Database, fetch: Fetch[K, V], *, max_batch: int = 500) -> None:
        self._database = database
        self._fetch = fetch
        self._max_batch = max_batch
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._drainer: asyncio.Task[None] | None = None

    async def load(self, session: AsyncSession, key: K) -> V | None:
        """The value for `key`, or None if there is none. `session` is the caller's: it is used
        only on a database that cannot open a second session beside it (in-memory SQLite shares
        one connection among all sessions), where the lookup runs alone in the caller's. A
        database error fails every caller of the batch it hit, as it would have failed each of
        them alone."""
        if not self._database.has_batch_pool:
            return (await self._fetch(session, [key])).get(key)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[V | None] = loop.create_future()
        # A caller cancelled after its batch failed never reads the error: mark it read.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._waiting.setdefault(key, []).append(future)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def close(self) -> None:
        """Stop: callers still waiting are cancelled, as their requests are at shutdown."""
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        _fail(self._waiting, None)
        self._waiting.clear()

    async def _drain(self) -> None:
        futures: dict[K, list[asyncio.Future[V | None]]] = {}
        try:
            while self._waiting:
                keys = list(self._waiting)[: self._max_batch]
                futures = {key: self._waiting.pop(key) for key in keys}
                try:
                    async with self._database.batch_read() as session:
                        found = await self._fetch(session, keys)
                except Exception as exc:  # every caller of this batch gets the error
                    _fail(futures, exc)
                    continue
                for key, waiting in futures.items():
                    value = found.get(key)
                    for future in waiting:
                        if not future.done():  # a caller whose client went away is cancelled
                            future.set_result(value)
        except BaseException:
            # cancelled (shutdown) or broken: no caller may be left waiting for an answer
            _fail(futures, None)
            _fail(self._waiting, None)
            self._waiting.clear()
            raise
        finally:
            self._drainer = None


def _fail(futures: Mapping[Any, list[asyncio.Future[Any]]], error: Exception | None) -> None:
    """Raise `error` in every caller still waiting, or cancel them when it is None."""
    for waiting in futures.values():
        for future in waiting:
            if future.done():
                continue
            if error is None:
                future.cancel()
            else:
                future.set_exception(error)
