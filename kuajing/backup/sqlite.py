"""SQLite backups through the online backup API: pages copied from a live database in one
consistent read, so the servers writing to it keep serving; restored the same way, into the
configured file, in one write transaction that lands whole or not at all."""

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from kuajing.backup import repository
from kuajing.backup.archive import Contents, replacing
from kuajing.backup.errors import BackupError, UnusableFile


def _connect(path: Path, *, frozen: bool) -> sqlite3.Connection:
    """A connection that never creates the file; `frozen` for a backup file, which nothing else
    writes: read-only, without locks, and leaving no journal files beside it."""
    options = "mode=ro&immutable=1" if frozen else "mode=rw"
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?{options}", uri=True, timeout=30)


@contextmanager
def _reading(path: Path, *, frozen: bool) -> Iterator[Connection]:
    engine = create_engine("sqlite://", creator=lambda: _connect(path, frozen=frozen), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def contents(path: Path) -> Contents:
    """What a SQLite backup file holds; UnusableFile when it is damaged or not kuajing's."""
    try:
        with _reading(path, frozen=True) as connection:
            found = repository.integrity(connection)
            if found != "ok":
                raise UnusableFile(message=f"{path} is damaged: SQLite's check found {found}.")
            revision = repository.revision(connection)
            if revision is None:
                raise UnusableFile(message=f"{path} is a SQLite file but not a kuajing backup (no schema).")
            return Contents(revision, repository.row_counts(connection))
    except Exception as exc:
        if isinstance(exc, BackupError):
            raise
        raise UnusableFile(message=f"{path} cannot be read as a SQLite database: {exc}.") from exc


def current(database: Path) -> Contents | None:
    """What the configured database holds now; None when it has no kuajing schema (or no file)."""
    if not database.is_file():
        return None
    with _reading(database, frozen=False) as connection:
        revision = repository.revision(connection)
        return None if revision is None else Contents(revision, repository.row_counts(connection))


def backup(database: Path, out: Path) -> Contents:
    """Copy the live database into `out` (0600), as one self-contained file (no -wal beside it)."""
    if not database.is_file():
        raise BackupError(message=f"No SQLite database at {database} to back up.")
    with replacing(out) as temporary:
        with closing(_connect(database, frozen=False)) as source, closing(sqlite3.connect(temporary)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        return contents(temporary)


def restore(source: Path, database: Path) -> None:
    """Replace the configured database's pages with the backup's, in one write transaction."""
    if not database.parent.is_dir():
        raise BackupError(message=f"No folder {database.parent} for the database {database.name}.")
    if not database.exists():
        database.touch(mode=0o600)
    with (
        closing(_connect(source, frozen=True)) as backup_file,
        closing(_connect(database, frozen=False)) as live,
    ):
        backup_file.backup(live)
