"""The Prometheus metrics a server keeps, and their text exposition for GET /metrics.

One scrape answers for the whole server. A server of several worker processes (`kuajing serve
--workers N`) runs prometheus-client's multiprocess mode: each worker writes its samples to files
in PROMETHEUS_MULTIPROC_DIR and the worker that answers the scrape adds them all up; counters and
histograms of a worker that stopped stay counted, its gauges drop out. The directory has to be
set before the workers start (prometheus-client reads it when it is first imported), so `kuajing
serve` makes one; a server started by other means sets it itself (docs/operations.md).

Labels are bounded: a request is counted by its route's template (/api/v1/products/{product_id}),
never its path, and by status class (2xx); outcomes are the error codes the API answers with.
"""

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.pool import Pool

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# How stale a worker's pool gauges may be in a scrape another worker answers.
POOL_SAMPLE_SECONDS = 5.0

# From a refusal answered from memory (~0.1 ms) to a slow page (seconds).
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# One attempt alone up to flash_sale_batch_max's ceiling.
_BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

HTTP_REQUESTS = Counter(
    "kuajing_http_requests",
    "HTTP requests answered, by method, route template and status class.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "kuajing_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
ORDERS_PLACED = Counter(
    "kuajing_orders_placed", "Orders written, checkout's and flash-sale deals', by channel.", ["channel"]
)
PAYMENTS = Counter(
    "kuajing_payments",
    "Payments by provider and outcome: started, declined, unavailable (the provider could not be "
    "reached) and captured.",
    ["provider", "outcome"],
)
FLASH_SALE_PURCHASES = Counter(
    "kuajing_flash_sale_purchases",
    "Flash-sale purchase attempts by outcome: reserved, replayed, or the refusal's error code.",
    ["outcome"],
)
STOCK_LEDGER_BATCH = Histogram(
    "kuajing_stock_ledger_batch_size",
    "Purchase attempts applied together in one group-commit transaction (the SQL ledger's batches "
    "and the Redis ledger's writes through them).",
    buckets=_BATCH_BUCKETS,
)
REDIS_TAKE = Histogram(
    "kuajing_redis_take_seconds",
    "Time of the Redis stock ledger's take script, per purchase attempt.",
    buckets=_LATENCY_BUCKETS,
)
DB_POOL_CHECKED_OUT = Gauge(
    "kuajing_db_pool_checked_out",
    "Database connections in use, across the server's workers.",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "kuajing_db_pool_size",
    "Database connections the pools hold, across the workers.",
    multiprocess_mode="livesum",
)

# Any other method a client invents is counted as OTHER: a label value per invention would not be.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_Children = tuple[Counter, Histogram]
_request_children: dict[tuple[str, str, int], _Children] = {}


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count a request and its time. The labelled children are kept (labels() takes a lock and
    builds a key on every call): a request pays two updates."""
    if method not in _METHODS:
        method = "OTHER"
    key = (method, route, status)
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (
            HTTP_REQUESTS.labels(method, route, status_class(status)),
            HTTP_DURATION.labels(method, route),
        )
    children[0].inc()
    children[1].observe(seconds)


def order_placed(channel: str, count: int = 1) -> None:
    ORDERS_PLACED.labels(channel).inc(count)


def payment(provider: str, outcome: str) -> None:
    PAYMENTS.labels(provider, outcome).inc()


def flash_sale_purchase(outcome: str) -> None:
    FLASH_SALE_PURCHASES.labels(outcome).inc()


def stock_ledger_batch(size: int) -> None:
    STOCK_LEDGER_BATCH.observe(size)


def redis_take(seconds: float) -> None:
    REDIS_TAKE.observe(seconds)


def sample_pool(pool: Pool) -> None:
    """This worker's pool as it is now. Pools without a count (one shared in-memory SQLite
    connection) are left out."""
    checked_out = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    if checked_out is None or size is None:
        return
    DB_POOL_CHECKED_OUT.set(checked_out())
    DB_POOL_SIZE.set(size())


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_DIR)
    return Path(value) if value else None


def prepare_multiprocess_dir(path: Path) -> None:
    """Make `path` ready for a new server: created, and emptied of an earlier server's files
    (their counts would be added to the new one's)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


@contextmanager
def shared_between_workers(workers: int) -> Iterator[None]:
    """Around a server of `workers` processes: PROMETHEUS_MULTIPROC_DIR set, to a new temporary
    folder unless the operator gave one, and emptied, so that a scrape any worker answers counts
    them all; the temporary folder is removed when the server stops. One process needs none."""
    given = multiprocess_dir()
    if given is None and workers == 1:
        yield
        return
    path = given or Path(tempfile.mkdtemp(prefix="kuajing-metrics-"))
    prepare_multiprocess_dir(path)
    os.environ[MULTIPROC_DIR] = str(path)  # the workers, started next, inherit it
    try:
        yield
    finally:
        if given is None:
            del os.environ[MULTIPROC_DIR]
            shutil.rmtree(path, ignore_errors=True)


def worker_stopped() -> None:
    """A worker shutting down: its live gauges (its pool) leave the sums."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]


class _Together:
    """The process's metrics (or every worker's) and those read at scrape time, as one collector."""

    def __init__(self, collectors: Iterable[Collector], read_now: list[Metric]) -> None:
        self._collectors = list(collectors)
        self._read_now = read_now

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()
        yield from self._read_now


def exposition(read_now: list[Metric]) -> bytes:
    """The text exposition of every metric, plus `read_now` (values read for this scrape)."""
    directory = multiprocess_dir()
    source: Collector
    if directory is None:
        source = REGISTRY
    else:
        source = CollectorRegistry()
        multiprocess.MultiProcessCollector(source, str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(_Together([source], read_now))


async def _sample_pool_forever(pool: Pool) -> None:
    try:
        while True:
            sample_pool(pool)
            await asyncio.sleep(POOL_SAMPLE_SECONDS)
    finally:
        worker_stopped()


def watch_pool(pool: Pool) -> list[asyncio.Task[None]]:
    """In multiprocess mode, a task that keeps this worker's pool gauges current for scrapes that
    another worker answers (the one that answers reads its own pool at the scrape), and takes
    them out of the sums when it is cancelled at shutdown. None in a single process."""
    if multiprocess_dir() is None:
        return []
    return [asyncio.create_task(_sample_pool_forever(pool), name="metrics-pool-sampler")]
