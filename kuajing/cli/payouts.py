"""`kuajing payouts …`: paying sellers in dollars."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.kit.time import utcnow
from kuajing.ledger import payouts
from kuajing.settings import get_settings
from kuajing.web.access import cents

app = typer.Typer(help="Seller payouts in US dollars.", no_args_is_help=True)
# soft wrap: a path or a message is never broken across lines (copied whole, read by scripts)
console = Console(soft_wrap=True)


def _cents(text: str) -> int:
    found = cents(text)
    if found is None:
        raise typer.BadParameter(f"{text!r} is not an amount of dollars such as 50 or 50.00")
    return found


@app.command("run")
def run(
    minimum: Annotated[
        str | None,
        typer.Option(help="Pay a seller only from this many dollars (default KUAJING_PAYOUT_MINIMUM_CENTS)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the bank file.")] = Path("."),
) -> None:
    """Pay every seller whose delivered orders' return windows have closed: one payout each,
    posted to the ledger, and a CSV for the operator's bank written to --out."""
    settings = get_settings()
    minimum_cents = _cents(minimum) if minimum is not None else settings.payout_minimum_cents
    prepare_database(settings.database_url)

    async def go() -> payouts.BatchResult:
        database = Database(settings.database_url)
        try:
            async with database.transaction(write=True) as session:
                return await payouts.run_payouts(
                    session,
                    now=utcnow(),
                    minimum_usd=minimum_cents,
                    actor_id=None,
                    rail=payouts.BankFileRail(),
                )
        finally:
            await database.dispose()

    result = asyncio.run(go())
    if result.batch is None:
        console.print(
            f"Nothing to pay: no seller has ${minimum_cents / 100:,.2f} available "
            f"({result.skipped_below_minimum} below the minimum)."
        )
        return
    out.mkdir(parents=True, exist_ok=True)
    path = out / result.file_name
    path.write_bytes(result.file)
    batch = result.batch
    table = Table(title=f"Payout batch {batch.id}")
    table.add_column("payout", justify="right")
    table.add_column("seller", justify="right")
    table.add_column("USD", justify="right")
    for payout in result.payouts:
        table.add_row(str(payout.id), str(payout.seller_id), f"{payout.amount_usd / 100:,.2f}")
    console.print(table)
    console.print(
        f"{len(result.payouts)} payouts, ${batch.total_usd_amount / 100:,.2f} in all; "
        f"{result.skipped_below_minimum} sellers below the minimum. Bank file: {path}"
    )
