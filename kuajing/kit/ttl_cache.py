"""A small per-process cache whose entries live for a fixed number of seconds.

Loads are single-flight: when an entry is missing, the first caller loads it and every
concurrent caller for the same key awaits that one load instead of querying again.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class _LoadAbandoned(Exception):
    """The caller doing a load was cancelled (its client went away); waiters load again."""


class TTLCache(Generic[K, V]):
    def __init__(self, ttl: float, max_entries: int = 100_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}
        self._next_sweep = 0.0

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return entry[1]

    def put(self, key: K, value: V) -> None:
        """Keeps `value` for `ttl` seconds. At most once a TTL the entries that expired unread
        are dropped, so the cache holds what was asked for lately, not every key ever asked
        for; a cache full of live entries starts afresh."""
        if self.ttl <= 0:
            return
        now = time.monotonic()
        if now >= self._next_sweep:
            self._entries = {k: entry for k, entry in self._entries.items() if entry[0] >= now}
            self._next_sweep = now + self.ttl
        if len(self._entries) >= self.max_entries:  # full of live entries: no sweep per put
            self._entries.clear()
        self._entries[key] = (now + self.ttl, value)

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The entry, loaded once per TTL; a value of None is kept like any other ("there is
        none" is an answer worth keeping too)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] >= time.monotonic():
            return entry[1]
        pending = self._loading.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except _LoadAbandoned:
                return await self.get_or_load(key, load)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException as exc:
            _fail(future, exc)
            raise
        else:
            self.put(key, value)
            future.set_result(value)
            return value
        finally:
            self._loading.pop(key, None)

    async def get_many_or_load(
        self, keys: Iterable[K], load: Callable[[set[K]], Awaitable[dict[K, V]]]
    ) -> dict[K, V]:
        """Cached entries, entries other callers are loading, and one batch load for the rest.

        Keys the loader does not return are absent from the answer (and not cached).
        """
        found: dict[K, V] = {}
        waiting: dict[K, asyncio.Future[V | None]] = {}
        missing: set[K] = set()
        for key in set(keys):
            cached = self.get(key)
            if cached is not None:
                found[key] = cached
            elif key in self._loading:
                waiting[key] = self._loading[key]  # type: ignore[assignment]
            else:
                missing.add(key)
        if missing:
            loop = asyncio.get_running_loop()
            futures = {key: loop.create_future() for key in missing}
            self._loading.update(futures)
            try:
                loaded = await load(missing)
            except BaseException as exc:
                for future in futures.values():
                    _fail(future, exc)
                raise
            else:
                for key, future in futures.items():
                    value = loaded.get(key)
                    if value is not None:
                        self.put(key, value)
                        found[key] = value
                    future.set_result(value)
            finally:
                for key in missing:
                    self._loading.pop(key, None)
        abandoned = []
        for key, future in waiting.items():
            try:
                value = await asyncio.shield(future)
            except _LoadAbandoned:
                abandoned.append(key)
                continue
            if value is not None:
                found[key] = value
        if abandoned:
            found.update(await self.get_many_or_load(abandoned, load))
        return found

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    # A cancelled loader is its own caller's business: the waiters load again instead.
    future.set_exception(_LoadAbandoned() if isinstance(exc, asyncio.CancelledError) else exc)
    future.exception()  # mark it retrieved: no warning when nobody was waiting
