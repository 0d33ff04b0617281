"""The flash-sale group's Redis commands (registered in cli/main.py):
- `kuajing flash-sale reconcile`: compare the Redis stock ledger with the database, the source
  of truth, print the drift per deal and bucket, and repair it (or only report it, --check);
- `kuajing flash-sale warm-buyers`: before a sale, set the buyers' identities and yearly rooms
  in Redis from the database, so that the rush's purchases read nothing from the database."""

import asyncio
from typing import Annotated

import typer
from redis.exceptions import RedisClusterException, RedisError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kuajing.bootstrap import prepare_database
from kuajing.compliance import year
from kuajing.compliance.year import Warmed
from kuajing.db import Database
from kuajing.errors import KuajingError
from kuajing.kit.time import beijing_year, utcnow
from kuajing.settings import Settings, get_settings
from kuajing.stock_ledger import redis_reconciler
from kuajing.stock_ledger.redis_reconciler import BucketDrift
from kuajing.stock_ledger.redis_stock import RedisStock
from kuajing.stock_ledger.setup import keep_buyers_in

console = Console()


def _shown(value: int | None) -> str:
    return "not loaded" if value is None else str(value)


def _redis_url(settings: Settings) -> str:
    if not settings.redis_url:
        console.print("[red]KUAJING_REDIS_URL is not set[/red]: the SQL ledger keeps nothing in Redis.")
        raise typer.Exit(2)
    return settings.redis_url


def _stock(settings: Settings, redis_url: str) -> RedisStock:
    return RedisStock.connect(
        redis_url,
        cluster=settings.redis_cluster,
        prefix=settings.redis_prefix,
        buckets=settings.flash_sale_stock_buckets,
    )


def warm_buyers(
    for_year: Annotated[
        int | None, typer.Option("--year", help="The CBEC year whose rooms to set; default: Beijing's.")
    ] = None,
) -> None:
    """Set every buyer's identity and CBEC yearly room in Redis from the database, where Redis
    has none, before a sale: the rush's purchases then read them there."""
    settings = get_settings()
    redis_url = _redis_url(settings)
    prepare_database(settings.database_url)
    the_year = for_year or beijing_year(utcnow())

    async def run(progress: Progress) -> Warmed:
        task = progress.add_task(f"Buyers for {the_year}", total=None)
        database = Database(settings.database_url)
        stock = _stock(settings, redis_url)
        keep_buyers_in(database, stock, prefix=settings.redis_prefix)
        try:
            return await year.warm(
                database,
                year=the_year,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        finally:
            await stock.close()
            await database.dispose()

    try:
        with Progress(console=console) as progress:
            warmed = asyncio.run(run(progress))
    except (RedisError, RedisClusterException) as exc:
        failure = str(exc).rstrip(".")
        console.print(f"[red]Redis failed[/red]: {failure}. The database is unchanged; run it again.")
        raise typer.Exit(1) from exc
    console.print(
        f"{warmed.buyers} buyer(s) with an identity are in Redis for {the_year}; "
        f"{warmed.rooms_set} yearly room(s) set from the database, the others were there already."
    )


def reconcile(
    deal: Annotated[
        list[int] | None,
        typer.Option("--deal", help="A deal to reconcile (repeatable); default: every live deal."),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Report the drift only; exit 1 if any.")] = False,
) -> None:
    """Rebuild Redis's stock and per-buyer units from the database and report what drifted."""
    settings = get_settings()
    redis_url = _redis_url(settings)
    prepare_database(settings.database_url)

    async def run() -> list[BucketDrift]:
        database = Database(settings.database_url)
        stock = _stock(settings, redis_url)
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
