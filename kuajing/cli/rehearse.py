"""`kuajing rehearse`: the full-link 11.11 rehearsal, on its own server or a running deployment.

With --url, the rehearsal still writes its data (and reads its verdict) through
KUAJING_DATABASE_URL: point it at the deployment's database. Buyer tokens are opaque random
strings stored as SHA-256 digests in that database, so the deployment accepts them without any
shared secret; keep KUAJING_SECRET_KEY the same anyway, as for any process of one deployment.
"""

import asyncio
import json
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kuajing.bootstrap import prepare_database
from kuajing.rehearsal import report, server
from kuajing.rehearsal.run import MAX_DURATION_SECONDS, Options, rehearse
from kuajing.settings import get_settings

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


def command(
    url: Annotated[
        str | None, typer.Option(help="A running deployment (same database). Without it: start a server.")
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
) -> None:
    """Rehearse 11.11: a synthetic deal, thousands of buyers, a verdict read from the database.

    Exits 0 when every invariant holds, 1 when one fails.
    """
    settings = get_settings()
    prepare_database(settings.database_url)
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
    own = None
    if url is None:
        log_path = Path(tempfile.mkdtemp(prefix="kuajing-rehearsal-")) / "server.log"
        own = server.start(workers=workers, log_path=log_path)
        url = own.url
        console.print(f"Started a {workers}-worker server at {url} (log: {log_path})")
    progress = Progress(
        TextColumn("[bold]purchases"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[orders]} orders · {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
        console=console,
        disable=no_progress or not console.is_terminal,
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

    try:
        with progress:
            result = _run(
                rehearse(
                    url=url, settings=settings, options=options, on_start=on_start, on_progress=on_progress
                )
            )
    finally:
        if own is not None:
            own.stop()
    console.print(report.table(result))
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"Report written to {json_path}")
    if not result["invariants_ok"]:
        console.print("[red]Invariants failed: see the checks marked FAILED.[/red]")
        raise typer.Exit(1)
