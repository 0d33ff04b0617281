"""The snapshot cache: entries expire, and concurrent misses share one load."""

import asyncio

import pytest

from kuajing.kit.ttl_cache import TTLCache

pytestmark = pytest.mark.once  # pure: no database


async def test_concurrent_misses_share_one_load():
    cache: TTLCache[str, int] = TTLCache(60)
    calls = 0

    async def load():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    results = await asyncio.gather(*(cache.get_or_load("k", load) for _ in range(50)))
    assert results == [42] * 50
    assert calls == 1
    assert await cache.get_or_load("k", load) == 42
    assert calls == 1


async def test_an_answer_of_none_is_kept_for_its_ttl_too():
    cache: TTLCache[str, int | None] = TTLCache(60)
    calls = 0

    async def load():
        nonlocal calls
        calls += 1
        return None  # "there is none": a sale not on, say

    assert [await cache.get_or_load("k", load) for _ in range(3)] == [None, None, None]
    assert calls == 1


async def test_batched_loads_fetch_each_missing_key_once():
    cache: TTLCache[int, str] = TTLCache(60)
    batches = []

    async def load(keys):
        batches.append(sorted(keys))
        await asyncio.sleep(0.01)
        return {k: f"v{k}" for k in keys if k != 3}  # 3 does not exist

    first, second = await asyncio.gather(
        cache.get_many_or_load([1, 2, 3], load), cache.get_many_or_load([2, 3, 4], load)
    )
    assert first == {1: "v1", 2: "v2"}
    assert second == {2: "v2", 4: "v4"}
    assert batches == [[1, 2, 3], [4]]
    assert await cache.get_many_or_load([1, 4], load) == {1: "v1", 4: "v4"}
    assert len(batches) == 2


async def test_a_failed_load_reaches_every_waiter_and_is_not_cached():
    cache: TTLCache[str, int] = TTLCache(60)

    async def broken():
        await asyncio.sleep(0.01)
        raise RuntimeError("database down")

    results = await asyncio.gather(
        *(cache.get_or_load("k", broken) for _ in range(5)), return_exceptions=True
    )
    assert [type(r) for r in results] == [RuntimeError] * 5

    async def works():
        return 7

    assert await cache.get_or_load("k", works) == 7


async def test_entries_expire_and_forget_drops_them():
    cache: TTLCache[str, int] = TTLCache(0.05)
    cache.put("a", 1)
    assert cache.get("a") == 1
    await asyncio.sleep(0.08)
    assert cache.get("a") is None
    cache.put("b", 2)
    cache.forget("b")
    assert cache.get("b") is None


@pytest.mark.parametrize("ttl", [0])
def test_a_zero_ttl_caches_nothing(ttl):
    cache: TTLCache[str, int] = TTLCache(ttl)
    cache.put("a", 1)
    assert cache.get("a") is None


async def test_entries_nobody_reads_again_are_dropped_once_they_expire():
    """Many one-off keys (a crawler's searches) must not pile up until the cache is full."""
    cache: TTLCache[int, int] = TTLCache(0.05, max_entries=1_000)
    for key in range(500):
        cache.put(key, key)
    assert len(cache._entries) == 500
    await asyncio.sleep(0.08)
    cache.put(1_000, 1)  # the first put after a TTL sweeps what expired unread
    assert list(cache._entries) == [1_000]


def test_a_cache_full_of_live_entries_starts_afresh_rather_than_grow():
    cache: TTLCache[int, int] = TTLCache(60, max_entries=3)
    for key in range(3):
        cache.put(key, key)
    cache.put(3, 3)  # full of live entries: it starts afresh rather than grow
    assert list(cache._entries) == [3]
