"""`kuajing backup --out FILE` and `kuajing restore FILE`: the whole database in one file, and back."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url

from kuajing.backup import service
from kuajing.backup.errors import BackupError
from kuajing.settings import get_settings

# soft wrap: a path or a message is never broken across lines (copied whole, read by scripts)
console = Console(soft_wrap=True)
KEY_NOTE = (
    "Keep the deployment's secret key (KUAJING_SECRET_KEY, or KUAJING_KEY_FILE) with the backups, "
    "apart from them: a backup is useless without it."
)


def _fail(exc: BackupError, *, changed: str) -> typer.Exit:
    console.print(f"[red]{exc.code}[/red]: {escape(exc.message)}", highlight=False)
    console.print(changed)
    return typer.Exit(exc.exit_code)


def _rows(title: str, rows: dict[str, int]) -> None:
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in rows.items():
        table.add_row(name, str(count))
    console.print(table)


def _shown(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


def backup(
    out: Annotated[
        Path,
        typer.Option("--out", help="The backup file; replaced only once the new backup is complete."),
    ],
) -> None:
    """Back the whole database up to one file, owner-only (0600); servers keep serving meanwhile."""
    url = get_settings().database_url
    try:
        with console.status(f"Backing up {escape(_shown(url))}"):
            contents = service.backup(database_url=url, out=out)
    except BackupError as exc:
        raise _fail(exc, changed="No backup was written.") from exc
    kind = service.kind_of_database(url)
    _rows("Backed up", contents.rows)
    console.print(
        f"Wrote a {kind} backup of {len(contents.rows)} tables, {sum(contents.rows.values())} rows, schema "
        f"{contents.revision}, to {escape(str(out))} (readable by its owner only).",
        highlight=False,
    )
    console.print(KEY_NOTE)


def restore(
    file: Annotated[Path, typer.Argument(help="A file `kuajing backup` wrote for this kind of database.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds accounts.")
    ] = False,
) -> None:
    """Replace the configured database with a backup, then bring its schema to this version's head.
    Stop the API servers and the worker first."""
    url = get_settings().database_url
    try:
        with console.status("Restoring") as status:
            restored = service.restore(
                database_url=url, source=file, force=force, step=lambda label: status.update(label)
            )
    except BackupError as exc:
        raise _fail(exc, changed="The database was not changed.") from exc
    contents = restored.contents
    _rows("Restored", contents.rows)
    schema = (
        f"schema {contents.revision}"
        if restored.backup_revision == contents.revision
        else f"schema upgraded from {restored.backup_revision} to {contents.revision}"
    )
    console.print(
        f"Restored {escape(str(file))} into {escape(_shown(url))}: {len(contents.rows)} tables, "
        f"{sum(contents.rows.values())} rows, {schema}.",
        highlight=False,
    )
