"""What a backup file is: its kind, told by its first bytes, and written whole and owner-only or
not at all."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kuajing.backup.errors import BackupError, UnusableFile


class Kind(StrEnum):
    sqlite = "SQLite"
    postgresql = "PostgreSQL"


@dataclass(frozen=True)
class Contents:
    """What a backup holds, or a database after a restore: its schema revision and every table's rows."""

    revision: str
    rows: dict[str, int]


# The files' own signatures: SQLite's header string, pg_dump's custom-format magic.
_MAGIC = {b"SQLite format 3\x00": Kind.sqlite, b"PGDMP": Kind.postgresql}
_HOW_MADE = {Kind.sqlite: "a SQLite database file", Kind.postgresql: "a pg_dump custom-format archive"}


def kind_of(path: Path) -> Kind:
    """The kind of backup `path` is; UnusableFile when it is missing, unreadable or neither kind."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except FileNotFoundError as exc:
        raise UnusableFile(message=f"No backup file at {path}.") from exc
    except IsADirectoryError as exc:
        raise UnusableFile(message=f"{path} is a folder, not a backup file.") from exc
    except OSError as exc:
        raise UnusableFile(message=f"{path} cannot be read: {exc.strerror}.") from exc
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    raise UnusableFile(
        message=f"{path} is not a kuajing backup: neither {_HOW_MADE[Kind.sqlite]} nor "
        f"{_HOW_MADE[Kind.postgresql]}."
    )


def require_kind(path: Path, wanted: Kind) -> None:
    """Refuse a backup of the other database: SQLite and PostgreSQL backups do not cross over."""
    found = kind_of(path)
    if found != wanted:
        raise UnusableFile(
            message=f"{path} is a {found} backup ({_HOW_MADE[found]}), but the configured database "
            f"(KUAJING_DATABASE_URL) is {wanted}: restore it into a {found} database."
        )


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A temporary path beside `out`, owner-only (0600: a backup holds personal data), that
    becomes `out` when the block ends, or is removed if it raises: a backup is whole or absent,
    and the previous one at `out` stays until the new one is complete."""
    if out.is_dir():
        raise BackupError(message=f"{out} is a folder: give the backup file's name.")
    if not out.parent.is_dir():
        raise BackupError(message=f"No folder {out.parent} to write {out.name} in.")
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.chmod(0o600)  # whatever the tool that wrote it did
        with temporary.open("rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
