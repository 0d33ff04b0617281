"""Every SQL statement of backups: what a database holds, table by table, and its schema revision.
Synchronous functions on a Connection: a backup file is read through the stdlib's sqlite3, a live
database through `AsyncConnection.run_sync`."""

from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import Connection

from kuajing.migrations import include_name


def table_names(connection: Connection) -> list[str]:
    """The database's tables, sorted, without the search index's own (rebuilt from its source)."""
    names = inspect(connection).get_table_names()
    return sorted(name for name in names if include_name(name, "table", None))


def row_counts(connection: Connection) -> dict[str, int]:
    """Every table's number of rows, by table name."""
    return {
        name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
        for name in table_names(connection)
    }


def revision(connection: Connection) -> str | None:
    """The migration the schema is at (alembic_version), or None where there is none."""
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    found = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return None if found is None else str(found)


def export_snapshot(connection: Connection) -> str:
    """PostgreSQL: name this transaction's snapshot, so pg_dump reads exactly what it sees."""
    return str(connection.scalar(text("SELECT pg_export_snapshot()")))


def integrity(connection: Connection) -> str:
    """SQLite: "ok", or what its quick check found wrong with the file."""
    return "; ".join(str(row[0]) for row in connection.execute(text("PRAGMA quick_check")))
