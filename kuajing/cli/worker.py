"""`kuajing worker`: the background loops of a deployment, in one process that serves no HTTP."""

import asyncio

import typer
from rich.console import Console

from kuajing.background import run_until_stopped
from kuajing.bootstrap import UnsafeToServe, build_runtime, check_production, prepare_database
from kuajing.observability import logs
from kuajing.settings import Settings, get_settings

console = Console(soft_wrap=True)


def _loops(settings: Settings) -> list[str]:
    """The loops this worker will run, as the operator reads them."""
    loops = []
    if settings.sweep_interval_seconds > 0:
        loops.append(f"order expiry and payment queries every {settings.sweep_interval_seconds:g} s")
    if settings.redis_url and (
        settings.flash_sale_replay_interval_seconds > 0 or settings.flash_sale_reconcile_interval_seconds > 0
    ):
        loops.append("the Redis stock ledger's replays and reconciles")
        if settings.flash_sale_reconcile_interval_seconds > 0 and settings.flash_sale_warm_ahead_seconds > 0:
            ahead = settings.flash_sale_warm_ahead_seconds
            loops.append(f"the buyers set in Redis {ahead:g} s before a campaign opens")
    if settings.customs_exchange_interval_seconds > 0:
        loops.append(f"the customs exchange every {settings.customs_exchange_interval_seconds:g} s")
    return loops


def command() -> None:
    """Run the background loops (expiry sweeper, payment queries, Redis ledger upkeep, customs
    exchange) until SIGTERM or Ctrl-C. One per deployment, beside API servers started with
    KUAJING_BACKGROUND_LOOPS=false."""
    settings = get_settings()
    loops = _loops(settings)
    if not loops:
        console.print("[red]Nothing to run[/red]: every background loop's interval is 0.")
        raise typer.Exit(2)
    try:
        check_production(settings)
    except UnsafeToServe as exc:
        console.print(f"[red]Not running:[/red] {exc}")
        raise typer.Exit(1) from exc
    prepare_database(settings.database_url)
    logs.configure(log_format=settings.log_format, level=settings.log_level)
    console.print("Worker running: " + "; ".join(loops) + ".", highlight=False)

    async def run() -> None:
        runtime = build_runtime(settings, purchases=False)
        try:
            await run_until_stopped(runtime)
        finally:
            await runtime.close()

    asyncio.run(run())
    console.print("Worker stopped.")
