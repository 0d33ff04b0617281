"""`kuajing payments …`: the providers' bills against the books, and their settlements posted."""

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.errors import InvalidInput
from kuajing.fulfillment import reconcile as reconciling
from kuajing.fulfillment import settlements as settling
from kuajing.fulfillment.reconcile import Difference, Reconciliation, signed_yuan
from kuajing.kit.time import utcnow
from kuajing.payment import bills, settlements
from kuajing.settings import get_settings

T = TypeVar("T")
app = typer.Typer(help="Payments through Alipay and WeChat Pay.", no_args_is_help=True)


def _read_or_exit(console: Console, file: Path, read: Callable[[bytes], T]) -> T:
    """`read` of the file's bytes; a file that cannot be opened, or that `read` refuses, is said
    in red and exits 2 before anything is written."""
    try:
        return read(file.read_bytes())
    except OSError as exc:
        said = f"cannot be read: {exc.strerror}"
    except InvalidInput as exc:  # UnreadableBill, UnreadableSettlement
        said = exc.message
    console.print(f"[red]{file}: {said}[/red]", highlight=False, soft_wrap=True)
    console.print("Nothing was written.")
    raise typer.Exit(2)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@app.command("reconcile")
def reconcile(
    file: Annotated[
        Path,
        typer.Argument(
            dir_okay=False,
            help="Alipay's 业务明细 CSV (or the zip it comes in), or WeChat Pay's trade bill (or its gzip).",
        ),
    ],
    day: Annotated[
        datetime | None,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], help="The bill's day (Beijing), for a bill that does not say it."
        ),
    ] = None,
    post_fees: Annotated[
        bool,
        typer.Option("--post-fees", help="Post each transaction's fee to the ledger (once, however often)."),
    ] = False,
) -> None:
    """Check a provider's daily bill against our payments, refunds and the ledger.

    Exits 0 when they agree, 1 on any difference (each one listed), 2 when the file cannot be
    read (nothing is written). With --post-fees the bill's fees are posted in one transaction,
    each once however often the bill is imported.
    """
    # made here, not at import, so it takes the terminal's width (COLUMNS) of this run
    console = Console()

    def read(data: bytes) -> tuple[bills.Bill, tuple[date, date]]:
        bill = bills.read_bill(data)
        return bill, bills.bill_days(bill, day.date() if day is not None else None)

    bill, days = _read_or_exit(console, file, read)

    url = get_settings().database_url
    prepare_database(url)

    async def run() -> Reconciliation:
        database = Database(url)
        try:
            async with database.transaction(write=post_fees) as session:
                return await reconciling.reconcile(
                    session, bill, days=days, post_fees=post_fees, now=utcnow()
                )
        finally:
            await database.dispose()

    result = asyncio.run(run())
    _report(console, result, post_fees=post_fees)
    if not result.clean:
        raise typer.Exit(1)


@app.command("settle")
def settle(
    file: Annotated[
        Path,
        typer.Argument(dir_okay=False, help="Alipay's settlement file (Partner_transaction_id|…|Rate|…)."),
    ],
) -> None:
    """Post a provider's dollar settlement to the ledger: for each transaction, the yuan it
    converted, the dollars it paid, its fee, and the FX gain or loss against the order's rate.

    Rows that agree with our records are posted in one transaction, each once however often the
    file is imported; every other row is listed and not posted. Exits 0 when every row agreed, 1
    on any difference, 2 when the file cannot be read (nothing is written).
    """
    console = Console()
    settlement = _read_or_exit(console, file, settlements.read_settlement)

    url = get_settings().database_url
    prepare_database(url)

    async def run() -> settling.SettlementReport:
        database = Database(url)
        try:
            async with database.transaction(write=True) as session:
                return await settling.settle(session, settlement)
        finally:
            await database.dispose()

    report = asyncio.run(run())
    if report.differences:
        _differences(console, f"{report.provider} settlement: differences (not posted)", report.differences)
    console.print(
        f"{report.provider} settlement: {settling.summary(report)}", highlight=False, soft_wrap=True
    )
    if not report.clean:
        raise typer.Exit(1)


def _differences(console: Console, title: str, differences: tuple[Difference, ...]) -> None:
    table = Table(title=title)
    for column in ("kind", "provider", "our id", "provider number", "ours", "theirs"):
        table.add_column(column, justify="right" if column in ("ours", "theirs") else "left")
    for difference in differences:
        table.add_row(
            difference.kind.value,
            difference.provider,
            difference.our_id,
            difference.provider_no,
            difference.ours,
            difference.theirs,
        )
    console.print(table)


def _span(days: tuple[date, date]) -> str:
    first, last = days
    return str(first) if first == last else f"{first} to {last}"


def _report(console: Console, result: Reconciliation, *, post_fees: bool) -> None:
    if result.differences:
        title = f"{result.provider} bill of {_span(result.days)}: differences"
        _differences(console, title, result.differences)
    read = f"{_plural(result.rows, 'row')} read"
    if result.skipped:
        read += f" ({result.skipped} of other kinds skipped)"
    parts = [
        read,
        f"{result.matched} matched",
        _plural(len(result.differences), "difference"),
        f"fees {signed_yuan(result.fees)} CNY",
    ]
    if post_fees:
        parts.append(f"{result.fees_posted} fee {'entry' if result.fees_posted == 1 else 'entries'} posted")
    console.print(
        f"{result.provider} bill of {_span(result.days)}: " + ", ".join(parts),
        highlight=False,
        soft_wrap=True,
    )
