"""`kuajing flash-sale reconcile` (registered on the flash-sale group in cli/main.py): compare
the Redis stock ledger with the database, the source of truth, print the drift per deal and
bucket, and repair it (or only report it, --check)."""

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.errors import KuajingError
from kuajing.settings import get_settings
from kuajing.stock_ledger import redis_reconciler
from kuajing.stock_ledger.redis_reconciler import BucketDrift
from kuajing.stock_ledger.redis_stock import RedisStock

console = Console()


def _shown(value: int | None) -> str:
    return "not loaded" if value is None else str(value)


def reconcile(
    deal: Annotated[
        list[int] | None,
        typer.Option("--deal", help="A deal to reconcile (repeatable); default: every live deal."),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Report the drift only; exit 1 if any.")] = False,
) -> None:
    """Rebuild Redis's stock and per-buyer units from the database and report what drifted."""
    settings = get_settings()
    if not settings.redis_url:
        console.print("[red]KUAJING_REDIS_URL is not set[/red]: the SQL ledger has no Redis to reconcile.")
        raise typer.Exit(2)
    redis_url = settings.redis_url  # set, as checked above; run() cannot see a check on settings
    prepare_database(settings.database_url)

    async def run() -> list[BucketDrift]:
        database = Database(settings.database_url)
        stock = RedisStock.connect(
            redis_url,
            cluster=settings.redis_cluster,
            prefix=settings.redis_prefix,
            buckets=settings.flash_sale_stock_buckets,
        )
        try:
            return await redis_reconciler.reconcile_deals(database, stock, deal_ids=deal, repair=not check)
        finally:
            await stock.close()
            await database.dispose()

    try:
        report = asyncio.run(run())
    except KuajingError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc
    if not report:
        console.print("No live deals to reconcile.")
        return
    table = Table(title="Redis stock ledger against the database")
    for column in ("deal", "bucket", "Redis stock", "expected", "in flight", "buyers differing", "result"):
        table.add_column(column, justify="left" if column == "result" else "right")
    for drift in report:
        result = "ok" if not drift.drifted else "repaired" if drift.repaired else "DRIFT"
        table.add_row(
            str(drift.deal_id),
            str(drift.bucket),
            _shown(drift.found),
            str(drift.expected),
            str(drift.in_flight),
            str(drift.buyers_differing),
            result,
        )
    console.print(table)
    drifted = sum(1 for drift in report if drift.drifted)
    console.print(f"{len(report)} bucket(s), {drifted} drifted" + ("" if check else ", repaired") + ".")
    if check and drifted:
        raise typer.Exit(1)
