"""`kuajing flash-sale …`: operator commands for the Singles' Day stock ledger."""

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.errors import KuajingError
from kuajing.flash_sale import reconciler
from kuajing.flash_sale.reconciler import Reconciliation
from kuajing.flash_sale.reservations import LedgerDrift
from kuajing.settings import get_settings

app = typer.Typer(help="Singles' Day deals: the stock ledger.", no_args_is_help=True)
console = Console()


@app.command("check")
def check(
    deal_id: Annotated[int, typer.Argument(help="The deal to check.")],
    repair: Annotated[bool, typer.Option("--repair", help="Rewrite drifted counters from the rows.")] = False,
) -> None:
    """Recompute a deal's counters from its reservation rows and report any drift (exit 1).

    With --repair the drifted counters are rewritten in one transaction under the deal's lock,
    and the command exits 0 once they agree.
    """
    url = get_settings().database_url
    prepare_database(url)

    async def run() -> Reconciliation:
        database = Database(url)
        try:
            async with database.transaction(write=True) as session:
                return await reconciler.reconcile_deal(session, deal_id=deal_id, repair=repair)
        finally:
            await database.dispose()

    try:
        result = asyncio.run(run())
    except KuajingError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc
    except LedgerDrift as exc:
        console.print(f"[red]Cannot repair[/red]: {exc}")
        raise typer.Exit(1) from exc
    if result.clean:
        console.print(f"Deal {deal_id}: the counters agree with the reservation rows.")
        return
    table = Table(title=f"Deal {deal_id}: drift" + (" (repaired)" if result.repaired else ""))
    table.add_column("field")
    table.add_column("expected (rows)", justify="right")
    table.add_column("found (stored)", justify="right")
    for drift in result.drifts:
        table.add_row(drift.field, str(drift.expected), str(drift.found))
    console.print(table)
    if not result.repaired:
        raise typer.Exit(1)
