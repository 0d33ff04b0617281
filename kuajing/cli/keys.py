"""`kuajing keys …`: the keys that seal buyers' personal data (kuajing.sealing)."""

import asyncio

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from kuajing import migrations
from kuajing.db import Database
from kuajing.sealing import MasterKeys, key_file_line, rewrap
from kuajing.settings import get_settings

app = typer.Typer(help="The keys sealing personal data at rest.", no_args_is_help=True)
console = Console(soft_wrap=True)


async def _rotate(database_url: str, master: MasterKeys) -> dict[str, str]:
    database = Database(database_url, master_keys=master)
    try:
        async with database.engine.begin() as connection:
            return await connection.run_sync(rewrap, master)
    finally:
        await database.dispose()


async def _status(database_url: str) -> list[tuple[str, str, str]]:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT name, kek_id, rewrapped_at FROM data_keys ORDER BY name")
            )
            return [(name, kek_id, str(at)) for name, kek_id, at in rows.all()]
    finally:
        await database.dispose()


@app.command("rotate")
def rotate() -> None:
    """Wrap every data key with the current key-encryption key (KUAJING_SECRET_KEY, or the first
    line of KUAJING_KEY_FILE), unwrapping it with the one it was under (KUAJING_PREVIOUS_SECRET_KEYS,
    or a later line of the key file). The data keys and every sealed value stay as they are: a
    running server keeps serving, and once this has run the old secret can go."""
    settings = get_settings()
    master = settings.master_keys()
    try:
        migrations.upgrade(settings.database_url, master_keys=master)  # a database older than the keys
        moved = asyncio.run(_rotate(settings.database_url, master))
    except Exception as exc:  # a key this process lacks: say which, change nothing
        console.print(f"[red]Nothing re-wrapped:[/red] {exc}")
        raise typer.Exit(1) from exc
    if not moved:
        console.print(f"Every data key is already wrapped by key {master.current_id}.")
        return
    for name, old in moved.items():
        console.print(f"re-wrapped {name}: key {old} -> {master.current_id}")
    console.print(
        f"[green]{len(moved)} data keys re-wrapped.[/green] Restart the servers with the new secret "
        "alone once every one runs with it; the old secret is no longer needed."
    )


@app.command("status")
def status() -> None:
    """Each data key, the key-encryption key wrapping it, and whether that is the current one."""
    settings = get_settings()
    current = settings.master_keys().current_id
    table = Table("data key", "wrapped by", "current", "re-wrapped at")
    for name, kek_id, at in asyncio.run(_status(settings.database_url)):
        table.add_row(name, kek_id, "yes" if kek_id == current else "[yellow]no[/yellow]", at)
    console.print(table)


@app.command("new")
def new() -> None:
    """Print a new key-encryption key, a line for KUAJING_KEY_FILE (put it first to make it
    current, keep the old line after it, then run `kuajing keys rotate`)."""
    typer.echo(key_file_line())
