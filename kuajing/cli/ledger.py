"""`kuajing ledger …`: the books for an accountant."""

import asyncio
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.errors import KuajingError
from kuajing.ledger import service
from kuajing.settings import get_settings

app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
# soft wrap: a path or a message is never broken across lines (copied whole, read by scripts)
console = Console(soft_wrap=True)


class Format(StrEnum):
    beancount = "beancount"


@contextmanager
def _replacing(path: Path) -> Iterator[TextIO]:
    """A text file that becomes `path` whole when the block ends, or never if it raises: written
    under a temporary name in the same folder, then renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            # the permissions open() would give (0666 less the umask), not mkstemp's owner-only 0600
            umask = os.umask(0o022)
            os.umask(umask)
            os.fchmod(file.fileno(), 0o666 & ~umask)
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@app.command("export")
def export(
    out: Annotated[
        Path,
        typer.Option("--out", dir_okay=False, help="The file to write; replaced whole, or left as it was."),
    ],
    file_format: Annotated[Format, typer.Option("--format", help="The file's format.")] = Format.beancount,
) -> None:
    """Write the whole ledger for an accountant: a Beancount file (`bean-check FILE`, `fava FILE`)."""
    if not out.parent.is_dir():
        console.print(
            f"[red]No folder {escape(str(out.parent))}[/red] to write {escape(out.name)} in.", highlight=False
        )
        raise typer.Exit(2)
    url = get_settings().database_url
    prepare_database(url)

    async def run() -> service.Export:
        database = Database(url)
        try:
            async with database.transaction(write=False) as session:
                with Progress(console=console) as progress, _replacing(out) as file:
                    task = progress.add_task("Writing entries", total=None)

                    def advance(written: int, total: int) -> None:
                        progress.update(task, completed=written, total=total)

                    return await service.write_beancount(session, file, progress=advance)
        finally:
            await database.dispose()

    try:
        written = asyncio.run(run())
    except KuajingError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}", highlight=False)
        raise typer.Exit(1) from exc
    console.print(
        f"Wrote {written.entries} entries and {written.accounts} accounts to {escape(str(out))} "
        f"({file_format.value}).",
        highlight=False,
    )
