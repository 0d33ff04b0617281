"""`kuajing rehearse`: the full-link 11.11 rehearsal, on its own server or a running deployment.

Without --url it never touches the configured database: it makes a throwaway one of the same kind
(kuajing.rehearsal.throwaway), starts a server on it, and removes it afterwards.

With --url it writes its data (and reads its verdict) through KUAJING_DATABASE_URL: point it at
the deployment's database. Every row it makes is marked as rehearsal traffic, which buyers,
operators' lists, the reports and payments leave out; `kuajing rehearse --cleanup` deletes it.
Buyer tokens are opaque random strings stored as SHA-256 digests in that database, so the
deployment accepts them without any shared secret; keep KUAJING_SECRET_KEY the same anyway, as
for any process of one deployment.
"""

import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kuajing.bootstrap import build_runtime, prepare_database
from kuajing.media.storage import Storage
from kuajing.rehearsal import cleanup, report, server, throwaway
from kuajing.rehearsal.run import MAX_DURATION_SECONDS, Options, rehearse
from kuajing.settings import Settings, get_settings
from kuajing.stock_ledger.redis_stock import RedisStock

uvloop: ModuleType | None  # None where it is not installed
try:
    import uvloop
except ImportError:  # uvicorn[standard] installs it everywhere but Windows
    uvloop = None

console = Console()


def _run(coroutine: Any) -> Any:
    """On uvloop where uvicorn[standard] installed it: less of the generator's own overhead."""
    if uvloop is None:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _progress(no_progress: bool, label: str, fields: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(fields),
        TimeElapsedColumn(),
        console=console,
        disable=no_progress or not console.is_terminal,
    )


def _rehearse(*, url: str, settings: Settings, options: Options, no_progress: bool) -> dict[str, Any]:
    progress = _progress(
        no_progress, "purchases", "{task.fields[orders]} orders · {task.fields[rate]:,.0f}/s"
    )
    # The clock and the rate start with the first answer, not with the setup and /healthz phases.
    task = progress.add_task("purchases", total=None, start=False, orders=0, rate=0.0)
    began = [0.0]

    def on_start(total: int) -> None:
        progress.update(task, total=total)

    def on_progress(done: int, orders: int) -> None:
        if done == 1:
            progress.start_task(task)
            began[0] = time.perf_counter()
        elapsed = time.perf_counter() - began[0]
        progress.update(task, completed=done, orders=orders, rate=done / elapsed if elapsed > 0 else 0.0)

    with progress:
        result: dict[str, Any] = _run(
            rehearse(url=url, settings=settings, options=options, on_start=on_start, on_progress=on_progress)
        )
    return result


async def _clean(settings: Settings, progress: Progress) -> Counter[str]:
    task = progress.add_task("cleanup", total=None)
    runtime = build_runtime(settings)
    redis = None
    if settings.redis_url:
        redis = RedisStock.connect(
            settings.redis_url,
            cluster=settings.redis_cluster,
            prefix=settings.redis_prefix,
            buckets=settings.flash_sale_stock_buckets,
        )
    try:
        return await cleanup.cleanup(
            runtime.database,
            runtime.get(Storage),
            redis=redis,
            on_start=lambda total: progress.update(task, total=total),
            on_progress=lambda done: progress.advance(task, done),
        )
    finally:
        if redis is not None:
            await redis.close()
        await runtime.close()


def _cleanup(settings: Settings, *, no_progress: bool) -> None:
    """Delete every row of rehearsal traffic from the configured database, and say what went."""
    prepare_database(settings.database_url)
    progress = _progress(no_progress, "rehearsal traffic", "orders and users")
    with progress:
        removed = _run(_clean(settings, progress))
    removed = Counter({what: n for what, n in removed.items() if n})
    if not removed:
        console.print("No rehearsal traffic in the database: nothing removed.")
        return
    table = Table("removed", title="Rehearsal traffic removed")
    table.add_column("rows", justify="right")
    for what, n in sorted(removed.items()):
        table.add_row(what, f"{n:,}")
    console.print(table)


def command(
    url: Annotated[
        str | None,
        typer.Option(
            help="A running deployment (same database). Without it: a server on a throwaway database."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Workers of the server it starts (not with --url).")
    ] = 2,
    buyers: Annotated[int, typer.Option(min=1, max=1_000_000, help="Simulated buyers.")] = 2_000,
    stock: Annotated[int, typer.Option(min=1, help="Units the deal allocates.")] = 100,
    concurrency: Annotated[int, typer.Option(min=1, max=10_000, help="Keep-alive connections.")] = 200,
    per_buyer_limit: Annotated[int, typer.Option(min=1, help="The deal's per-buyer limit.")] = 1,
    quantity: Annotated[int, typer.Option(min=1, help="Units per purchase attempt.")] = 1,
    duration: Annotated[
        float, typer.Option(min=1, max=MAX_DURATION_SECONDS, help="Cap on the purchase phase, seconds.")
    ] = 120.0,
    healthz_seconds: Annotated[float, typer.Option(min=0.5, max=60, help="Seconds of /healthz first.")] = 3.0,
    replay_every: Annotated[
        int,
        typer.Option(min=0, help="Every Nth buyer repeats its purchase with one Idempotency-Key (0: none)."),
    ] = 10,
    all_keys: Annotated[
        bool,
        typer.Option(
            "--all-keys", help="Every purchase carries an Idempotency-Key, as a retrying app's would."
        ),
    ] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON here.")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
    clean_up: Annotated[
        bool,
        typer.Option(
            "--cleanup",
            help="Delete every row of rehearsal traffic (what --url runs leave) from the configured "
            "database, then exit.",
        ),
    ] = False,
) -> None:
    """Rehearse 11.11: a synthetic deal, thousands of buyers, a verdict read from the database.

    Without --url, on a throwaway database of the configured kind (the configured one is not
    touched). With --url, on the deployment's database, its rows marked as rehearsal traffic.
    Exits 0 when every invariant holds, 1 when one fails.
    """
    settings = get_settings()
    if clean_up:
        _cleanup(settings, no_progress=no_progress)
        return
    options = Options(
        buyers=buyers,
        stock=stock,
        concurrency=concurrency,
        per_buyer_limit=per_buyer_limit,
        quantity=quantity,
        duration=duration,
        healthz_seconds=healthz_seconds,
        replay_every=replay_every,
        keys_for_all=all_keys,
    )
    if url is not None:
        prepare_database(settings.database_url)
        console.print(
            f"Rehearsing against {url} on the configured database: its rows are marked as rehearsal "
            "traffic; `kuajing rehearse --cleanup` removes them."
        )
        result = _rehearse(url=url, settings=settings, options=options, no_progress=no_progress)
    else:
        folder = Path(tempfile.mkdtemp(prefix="kuajing-rehearsal-"))
        with throwaway.database(settings, folder) as place:
            console.print(f"Rehearsing on a throwaway {place.where}: the configured database is not touched")
            log_path = folder / "server.log"
            own = server.start(workers=workers, log_path=log_path, env=place.env)
            try:
                console.print(f"Started a {workers}-worker server at {own.url} (log: {log_path})")
                result = _rehearse(
                    url=own.url, settings=place.settings, options=options, no_progress=no_progress
                )
            finally:
                own.stop()
        console.print(f"Removed the throwaway {place.where}")
    console.print(report.table(result))
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Report written to {json_path}")
    if not result["invariants_ok"]:
        console.print("[red]Invariants failed: see the checks marked FAILED.[/red]")
        raise typer.Exit(1)
