"""The `kuajing` command: serve, demo, db upgrade, users add, customs exchange."""

import asyncio
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kuajing.auth import service as auth_service
from kuajing.bootstrap import prepare_database
from kuajing.customs import exchange as customs_exchange
from kuajing.customs.service import CustomsParties
from kuajing.db import Database
from kuajing.demo import seed as demo_seed
from kuajing.errors import KuajingError
from kuajing.models import Role
from kuajing.settings import get_settings

app = typer.Typer(
    help="kuajing: a cross-border marketplace for US small businesses selling to China.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
customs_app = typer.Typer(help="China customs (CBEC) messages.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(customs_app, name="customs")
console = Console()


def _prepare() -> None:
    url = get_settings().database_url
    added = prepare_database(url)
    new = {name: count for name, count in added.items() if count}
    console.print(f"[green]Database ready[/green] at {url}" + (f" (loaded {new})" if new else ""))


def _seed_demo() -> None:
    catalog = demo_seed.load_catalog()

    async def run() -> demo_seed.SeedReport:
        database = Database(get_settings().database_url)
        try:
            with Progress(console=console, transient=False) as progress:
                task = progress.add_task("Seeding the demo marketplace", total=demo_seed.steps(catalog))

                def advance(label: str) -> None:
                    progress.update(task, advance=1, description=f"Seeding: {label}")

                return await demo_seed.seed(database, advance=advance)
        finally:
            await database.dispose()

    report = asyncio.run(run())
    table = Table(title="Demo marketplace")
    table.add_column("added")
    table.add_column("count", justify="right")
    table.add_row("users", str(report.users))
    table.add_row("products", str(report.products))
    table.add_row("orders", str(report.orders))
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
    _prepare()
    if demo:
        _seed_demo()
    console.print(f"Serving on http://{host}:{port}  (API docs at /docs)")
    uvicorn.run(
        "kuajing.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
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
            password_hash = await auth_service.hash_new_password(email=email, password=password)
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
        "held": "drafts held (seller has no customs code)",
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
