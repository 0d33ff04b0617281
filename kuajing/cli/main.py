"""The `kuajing` command: serve, demo, db upgrade, users add, rules import/export, customs exchange,
flash-sale check, rehearse."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kuajing.auth import service as auth_service
from kuajing.auth.passwords import Passwords
from kuajing.bootstrap import UnsafeToServe, build_runtime, check_production, prepare_database
from kuajing.cli import backup as backup_cli
from kuajing.cli import flash_sale as flash_sale_cli
from kuajing.cli import flash_sale_redis
from kuajing.cli import keys as keys_cli
from kuajing.cli import ledger as ledger_cli
from kuajing.cli import payments as payments_cli
from kuajing.cli import payouts as payouts_cli
from kuajing.cli import rehearse as rehearse_cli
from kuajing.cli import worker as worker_cli
from kuajing.compliance import rule_files
from kuajing.compliance import service as compliance_service
from kuajing.customs import exchange as customs_exchange
from kuajing.customs.parties import CustomsParties
from kuajing.db import Database
from kuajing.demo import seed as demo_seed
from kuajing.errors import KuajingError
from kuajing.models import Role
from kuajing.observability import logs, metrics
from kuajing.settings import get_settings

app = typer.Typer(
    help="kuajing: a cross-border marketplace for US small businesses selling to China.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
rules_app = typer.Typer(help="CBEC rules as dated data: export, edit, import.", no_args_is_help=True)
customs_app = typer.Typer(help="China customs (CBEC) messages.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(rules_app, name="rules")
app.add_typer(users_app, name="users")
app.add_typer(customs_app, name="customs")
# One `kuajing flash-sale` group: `check` (database counters), `reconcile` (Redis from the
# database) and `warm-buyers` (buyers' facts into Redis before a sale).
flash_sale_cli.app.command("reconcile")(flash_sale_redis.reconcile)
flash_sale_cli.app.command("warm-buyers")(flash_sale_redis.warm_buyers)
app.add_typer(flash_sale_cli.app, name="flash-sale")
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(payments_cli.app, name="payments")
app.add_typer(payouts_cli.app, name="payouts")
app.add_typer(keys_cli.app, name="keys")
app.command("rehearse")(rehearse_cli.command)
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)
app.command("worker")(worker_cli.command)
console = Console()


def _prepare() -> None:
    url = get_settings().database_url
    added = prepare_database(url)
    new = {name: count for name, count in added.items() if count}
    console.print(f"[green]Database ready[/green] at {url}" + (f" (loaded {new})" if new else ""))


def _seed_demo() -> None:
    catalog = demo_seed.load_catalog()

    async def run() -> demo_seed.SeedReport:
        runtime = build_runtime(get_settings())
        try:
            with Progress(console=console, transient=False) as progress:
                task = progress.add_task("Seeding the demo marketplace", total=demo_seed.steps(catalog))

                def advance(label: str) -> None:
                    progress.update(task, advance=1, description=f"Seeding: {label}")

                return await demo_seed.seed(runtime, advance=advance)
        finally:
            await runtime.close()

    report = asyncio.run(run())
    table = Table(title="Demo marketplace")
    table.add_column("added")
    table.add_column("count", justify="right")
    table.add_row("users", str(report.users))
    table.add_row("products", str(report.products))
    table.add_row("photos", str(report.photos))
    table.add_row("orders", str(report.orders))
    table.add_row("Singles' Day sales", str(report.campaigns))
    table.add_row("deals", str(report.deals))
    console.print(table)
    console.print(
        f"Demo accounts use the password [bold]{demo_seed.DEMO_PASSWORD}[/bold]; "
        f"operator: {demo_seed.OPERATOR_EMAIL}"
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and load the packaged tax rules, limits and jobs ratios."""
    _prepare()


@app.command()
def demo() -> None:
    """Seed the demo marketplace (safe to run again: nothing is duplicated)."""
    _prepare()
    _seed_demo()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Seed the demo marketplace first.")] = False,
) -> None:
    """Apply migrations, optionally seed the demo, and serve the API."""
    try:
        check_production(get_settings())
    except UnsafeToServe as exc:
        console.print(f"[red]Not serving:[/red] {exc}")
        raise typer.Exit(1) from exc
    _prepare()
    if demo:
        _seed_demo()
    console.print(f"Serving on http://{host}:{port}  (API docs at /docs)")
    # uvicorn's own lines in the app's format too (log_config=None: it leaves the handlers be);
    # the app writes the access lines
    settings = get_settings()
    logs.configure(log_format=settings.log_format, level=settings.log_level)
    with metrics.shared_between_workers(workers):
        uvicorn.run(
            "kuajing.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=None,
            access_log=False,
        )


@users_app.command("add")
def users_add(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="At least 10 characters.")],
    role: Annotated[Role, typer.Option(help="buyer, seller or operator.")] = Role.operator,
    name: Annotated[str, typer.Option(help="Display name.")] = "Operator",
) -> None:
    """Create an account (operators are created only this way)."""
    _prepare()

    async def run() -> int:
        database = Database(get_settings().database_url)
        try:
            password_hash = await auth_service.hash_new_password(
                Passwords(get_settings().password_hash_profile), email=email, password=password
            )
            async with database.transaction(write=True) as session:
                user = await auth_service.create_user(
                    session, email=email, password_hash=password_hash, role=role, name=name
                )
                return user.id
        finally:
            await database.dispose()

    try:
        user_id = asyncio.run(run())
    except KuajingError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(1) from exc
    console.print(f"Created {role.value} {email} (id {user_id}).")


@rules_app.command("export")
def rules_export(
    out: Annotated[
        Path | None, typer.Option(help="Write every table's file into this directory.", file_okay=False)
    ] = None,
    table: Annotated[
        str | None, typer.Option(help=f"One table to print: {', '.join(rule_files.TABLES)}.")
    ] = None,
) -> None:
    """Export the rules in the database as CSV files that `kuajing rules import` takes back."""
    if (out is None) == (table is None):
        console.print("[red]Give either --out DIR or --table NAME.[/red]")
        raise typer.Exit(2)
    if table is not None and table not in rule_files.TABLES:
        console.print(f"[red]No rule table {table!r}[/red]; tables: {', '.join(rule_files.TABLES)}")
        raise typer.Exit(2)
    _prepare()
    names = [table] if table is not None else list(rule_files.TABLES)

    async def run() -> dict[str, str]:
        database = Database(get_settings().database_url)
        try:
            async with database.transaction(write=False) as session:
                return {name: await compliance_service.export_rules(session, name) for name in names}
        finally:
            await database.dispose()

    files = asyncio.run(run())
    if out is None:
        typer.echo(files[names[0]], nl=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = out / rule_files.TABLES[name].filename
        path.write_text(text, encoding="utf-8")
        console.print(f"{name}: {text.count(chr(10)) - 1} rows -> {path}")


@rules_app.command("import")
def rules_import(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Rule CSV files.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the files and write nothing.")] = False,
) -> None:
    """Check rule files whole and apply them together, or refuse them all and change nothing."""
    _prepare()

    texts = []
    for path in files:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            console.print(f"[red]{path}: cannot be read: {reason}[/red]", highlight=False)
            console.print("Nothing was changed.")
            raise typer.Exit(1) from exc

    class DryRun(Exception):
        def __init__(self, reports: list[compliance_service.ImportReport]) -> None:
            self.reports = reports

    async def run() -> list[compliance_service.ImportReport]:
        # Every file in one transaction, each checked against the table as the files before it
        # left it; a dry run goes as far as writing, then rolls the transaction back.
        database = Database(get_settings().database_url)
        try:
            async with database.transaction(write=True) as session:
                reports = []
                for path, text in zip(files, texts, strict=True):
                    try:
                        # this process keeps no rule book; servers reload theirs (the note below)
                        reports.append(await compliance_service.import_rules(session, text, rules=None))
                    except rule_files.RuleFileError as exc:
                        exc.args = (f"{path}: refused{f' ({exc.table})' if exc.table else ''}\n{exc}",)
                        raise
                if dry_run:
                    raise DryRun(reports)
                return reports
        except DryRun as done:
            return done.reports
        finally:
            await database.dispose()

    try:
        reports = asyncio.run(run())
    except rule_files.RuleFileError as exc:
        console.print(f"[red]{exc.args[0]}[/red]", highlight=False)
        console.print("Nothing was changed.")
        raise typer.Exit(1) from exc
    summary = Table(title="Rules checked (dry run: nothing written)" if dry_run else "Rules imported")
    for column in ("file", "table", "added", "changed", "unchanged"):
        summary.add_column(column, justify="right" if column in ("added", "changed", "unchanged") else "left")
    for path, report in zip(files, reports, strict=True):
        summary.add_row(
            str(path), report.table, str(report.added), str(report.changed), str(report.unchanged)
        )
    console.print(summary)
    if not dry_run:
        seconds = get_settings().rules_cache_seconds
        console.print(f"Running servers use the new rules within {seconds:g} seconds.")


@customs_app.command("exchange")
def customs_exchange_once() -> None:
    """Send every customs draft that may go to the outbox, then read the receipts in the inbox."""
    _prepare()
    settings = get_settings()
    transport = customs_exchange.file_drop(settings)

    async def run() -> customs_exchange.ExchangeSummary:
        database = Database(settings.database_url)
        try:
            return await customs_exchange.exchange_once(
                database, transport, CustomsParties.from_settings(settings)
            )
        finally:
            await database.dispose()

    summary = asyncio.run(run())
    table = Table(title="Customs exchange")
    table.add_column("what")
    table.add_column("count", justify="right")
    labels = {
        "sent": "messages sent to the outbox",
        "held": "drafts held (each says why: GET /orders/{id}/customs)",
        "accepted": "receipts: accepted",
        "rejected": "receipts: rejected",
        "progress": "receipts: still in progress",
        "duplicate": "receipts: already applied",
        "failed": "receipt files set aside in inbox/failed",
        "errors": "errors (retried next time; see the log)",
    }
    for name, count in summary.as_dict().items():
        table.add_row(labels[name], str(count))
    console.print(table)
    console.print(f"outbox: {transport.outbox}\ninbox:  {transport.inbox}")
    if summary.errors:
        raise typer.Exit(1)
