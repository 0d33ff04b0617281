"""A rehearsal from start to verdict: stage the data, measure /healthz, drive the purchases, let
in-flight writes settle, run the expiry sweeper, then judge the deal from the database.

The steps are separate functions so a test (or the fault test) can step in between them; the
CLI runs `rehearse`, which chains them.
"""

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import make_url

from kuajing.auth.passwords import Passwords
from kuajing.bootstrap import build_runtime
from kuajing.catalog.snapshots import Snapshots
from kuajing.compliance import year
from kuajing.db import Database
from kuajing.fulfillment import sweeper
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.time import beijing_year, utcnow
from kuajing.media.storage import Storage
from kuajing.rehearsal import invariants, load, report, setup
from kuajing.rehearsal import repository as rehearsal_repository
from kuajing.rehearsal.invariants import Verdict
from kuajing.rehearsal.load import Answer, Job, LoadResult, Progress
from kuajing.rehearsal.setup import Stage
from kuajing.runtime import Runtime
from kuajing.settings import Settings

log = logging.getLogger(__name__)

MAX_DURATION_SECONDS = 3_600
# The campaign stays open this long past the load's cap, so no attempt meets a closed window.
CAMPAIGN_MARGIN = timedelta(minutes=10)
SETTLE_POLL_SECONDS = 0.1
SETTLE_QUIET_SECONDS = 0.5
SETTLE_MAX_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Options:
    buyers: int = 2_000
    stock: int = 100
    concurrency: int = 200
    per_buyer_limit: int = 1
    quantity: int = 1
    duration: float = 120.0  # cap on the purchase phase, seconds
    healthz_seconds: float = 3.0
    replay_every: int = 10  # every Nth buyer sends its purchase twice with one key; 0: none
    keys_for_all: bool = False  # every purchase carries an Idempotency-Key, as a retrying client's would


def backend_of(settings: Settings) -> str:
    """The stock ledger the server picks from the same environment."""
    return "redis" if settings.redis_url else "sql"


def dialect_of(database_url: str) -> str:
    """The database's dialect only: a report may be shared, credentials must not be."""
    return make_url(database_url).get_backend_name()


async def prepare(runtime: Runtime, options: Options) -> Stage:
    """The stage, and its buyers set in Redis (where the server keeps them) as an operator sets
    a sale's buyers before it opens (`kuajing flash-sale warm-buyers`)."""
    async with runtime.database.transaction(write=True) as session:
        stage = await setup.stage(
            session,
            runtime.get(Snapshots),
            runtime.get(Passwords),
            runtime.get(Storage),
            buyers=options.buyers,
            stock=options.stock,
            per_buyer_limit=options.per_buyer_limit,
            open_for=timedelta(seconds=options.duration) + CAMPAIGN_MARGIN,
        )
    await year.warm(runtime.database, year=beijing_year(utcnow()), users=[buyer.id for buyer in stage.buyers])
    return stage


def plan(stage: Stage, options: Options) -> list[Job]:
    """One job per buyer, in creation order; every `replay_every`th buyer sends twice with a key."""
    jobs = []
    for i, buyer in enumerate(stage.buyers):
        replayed = options.replay_every > 0 and i % options.replay_every == 0
        key = f"{stage.tag}-{i}" if replayed or options.keys_for_all else None
        jobs.append(Job(buyer_index=i, token=buyer.token, key=key, times=2 if replayed else 1))
    return jobs


async def drive(
    *, url: str, stage: Stage, jobs: Sequence[Job], options: Options, on_progress: Progress | None = None
) -> tuple[float, LoadResult]:
    """Warm the workers up, measure /healthz per second with the same generator and connections,
    then send the purchases."""
    await load.warm_up(
        url=url, deal_id=stage.deal_id, product_id=stage.product_id, concurrency=options.concurrency
    )
    healthz = await load.healthz_rate(
        url=url, concurrency=options.concurrency, seconds=options.healthz_seconds
    )
    result = await load.purchase(
        url=url,
        deal_id=stage.deal_id,
        jobs=jobs,
        concurrency=options.concurrency,
        quantity=options.quantity,
        deadline=time.perf_counter() + min(options.duration, MAX_DURATION_SECONDS),
        on_progress=on_progress,
    )
    return healthz, result


async def settle(database: Database, *, deal_id: int) -> None:
    """Wait until the deal stops moving: a request that timed out on the client may still be in
    a batch on the server, and a Redis backend's writer may still be draining its stream. Quiet
    means the same reading for SETTLE_QUIET_SECONDS; give up after SETTLE_MAX_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_MAX_SECONDS
    last, quiet_since = None, loop.time()
    while loop.time() < deadline:
        async with database.transaction(write=False) as session:
            now = await rehearsal_repository.deal_snapshot(session, deal_id)
        if now != last:
            last, quiet_since = now, loop.time()
        elif loop.time() - quiet_since >= SETTLE_QUIET_SECONDS:
            return
        await asyncio.sleep(SETTLE_POLL_SECONDS)


async def judge(runtime: Runtime, *, stage: Stage, options: Options, answers: Sequence[Answer]) -> Verdict:
    """Settle, sweep expired reservations (as the server's sweeper would), then check.

    The sweeper expires every due order of the database, not only the rehearsal's; one it cannot
    expire (another deal whose counters drifted, say) it logs and skips. A sweep that fails as a
    whole (the database gone) is reported beside the verdict, not held against the deal."""
    database = runtime.database
    await settle(database, deal_id=stage.deal_id)
    sweep_error = None
    try:
        await sweeper.sweep_once(database, runtime.get(FulfillmentContext))
    except Exception as exc:  # the server's sweeper logs and goes on; so does the rehearsal
        log.warning("the expiry sweep failed: %s", exc)
        sweep_error = f"{type(exc).__name__}: {exc}"
    async with database.transaction(write=True) as session:
        verdict = await invariants.judge(
            session,
            deal_id=stage.deal_id,
            product_id=stage.product_id,
            quantity_per_attempt=options.quantity,
            buyer_ids=[buyer.id for buyer in stage.buyers],
            answers=answers,
        )
    return dataclasses.replace(verdict, sweep_error=sweep_error)


async def rehearse(
    *,
    url: str,
    settings: Settings,
    options: Options,
    on_start: Callable[[int], None] | None = None,
    on_progress: Progress | None = None,
) -> dict[str, Any]:
    """The whole rehearsal against the server at `url`, which must use settings.database_url.
    `on_start(total_requests)` is called once the data is staged, before any load."""
    runtime = build_runtime(settings)
    try:
        started = time.perf_counter()
        stage = await prepare(runtime, options)
        setup_seconds = time.perf_counter() - started
        jobs = plan(stage, options)
        if on_start is not None:
            on_start(sum(job.times for job in jobs))
        healthz, result = await drive(
            url=url, stage=stage, jobs=jobs, options=options, on_progress=on_progress
        )
        verdict = await judge(runtime, stage=stage, options=options, answers=result.answers)
    finally:
        await runtime.close()
    return report.build(
        load=result,
        verdict=verdict,
        healthz_per_second=healthz,
        backend=backend_of(settings),
        database=dialect_of(settings.database_url),
        deal_id=stage.deal_id,
        campaign_id=stage.campaign_id,
        stock=stage.stock,
        buyers=len(stage.buyers),
        concurrency=options.concurrency,
        replayed_keys=sum(1 for job in jobs if job.times > 1),
        setup_seconds=setup_seconds,
    )
