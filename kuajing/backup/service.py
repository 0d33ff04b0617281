"""Backup and restore, whichever database KUAJING_DATABASE_URL names: the checks an operator
relies on (the right kind of file, a schema this code knows, no data overwritten unasked), then
the database's own way of copying, then the schema brought to this code's head."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from kuajing import migrations
from kuajing.backup import postgres, sqlite
from kuajing.backup.archive import Contents, Kind, replacing, require_kind
from kuajing.backup.errors import BackupError, DatabaseNotEmpty, UnusableFile
from kuajing.bootstrap import prepare_database
from kuajing.db import Database


@dataclass(frozen=True)
class Restored:
    backup_revision: str  # the schema the backup was made at
    contents: Contents  # the database now, at this code's head


def kind_of_database(database_url: str) -> Kind:
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        return Kind.sqlite
    if backend in ("postgresql", "postgres"):
        return Kind.postgresql
    raise BackupError(message=f"Unsupported database {backend!r}: kuajing runs on SQLite or PostgreSQL.")


def _sqlite_file(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError(message="An in-memory SQLite database lives and dies with its process: no backup.")
    return Path(name)


def backup(*, database_url: str, out: Path) -> Contents:
    """Write the whole database to `out` (0600), replacing it only once the backup is complete."""
    if kind_of_database(database_url) is Kind.sqlite:
        return sqlite.backup(_sqlite_file(database_url), out)

    async def run() -> Contents:
        database = Database(database_url, pool_size=1)
        try:
            with replacing(out) as temporary:
                return await postgres.dump(database, database_url, temporary)
        finally:
            await database.dispose()

    return asyncio.run(run())


def current(database_url: str) -> Contents | None:
    """What the configured database holds; None when it has no kuajing schema yet."""
    if kind_of_database(database_url) is Kind.sqlite:
        return sqlite.current(_sqlite_file(database_url))

    async def run() -> Contents | None:
        database = Database(database_url, pool_size=1)
        try:
            return await postgres.current(database)
        except Exception as exc:  # no server, no such database, refused: the operator reads which
            raise BackupError(message=f"The configured database cannot be reached: {exc}") from exc
        finally:
            await database.dispose()

    return asyncio.run(run())


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _known(revision: str) -> bool:
    script = ScriptDirectory.from_config(migrations.alembic_config(""))
    return any(known.revision == revision for known in script.walk_revisions())


def _backup_revision(source: Path, kind: Kind) -> str:
    """The backup's schema revision, the whole file checked readable first."""
    if kind is Kind.sqlite:
        return sqlite.contents(source).revision
    revision = postgres.revision_of(source)
    postgres.check_whole(source)
    return revision


def restore(
    *, database_url: str, source: Path, force: bool, step: Callable[[str], None] = lambda _: None
) -> Restored:
    """Replace the configured database with the backup at `source`, then migrate it to head.
    Refused, with nothing changed, for a file of the other database's kind, one made by a newer
    kuajing, or a database that holds accounts already unless `force`."""
    kind = kind_of_database(database_url)
    step("Checking the backup")
    require_kind(source, kind)
    revision = _backup_revision(source, kind)
    if not _known(revision):
        raise UnusableFile(
            message=f"{source} is at schema revision {revision}, which this kuajing does not know: it "
            "was made by a newer version. Restore it with that version."
        )
    held = current(database_url)
    accounts = held.rows.get("users", 0) if held else 0
    if accounts and not force:
        orders = held.rows.get("orders", 0) if held else 0
        raise DatabaseNotEmpty(
            message=f"The configured database already holds {_counted(accounts, 'account')} and "
            f"{_counted(orders, 'order')}. "
            "Restoring replaces everything in it: give --force to do so."
        )
    step("Restoring")
    if kind is Kind.sqlite:
        sqlite.restore(source, _sqlite_file(database_url))
    else:
        postgres.restore(source, database_url)
    step("Bringing the schema to this version's head")
    prepare_database(database_url)
    after = current(database_url)
    assert after is not None, "a restored database has a schema"
    return Restored(revision, after)
