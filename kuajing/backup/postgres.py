"""PostgreSQL backups through the server's own tools: pg_dump's custom format, read back by
pg_restore. The dump reads one snapshot, the one the row counts were taken in, so the summary is
what the file holds. A restore is one transaction (psql --single-transaction): the schema dropped,
the backup's created and filled, committed only once pg_restore has read the whole archive."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from kuajing.backup import repository
from kuajing.backup.archive import Contents
from kuajing.backup.errors import BackupError, ToolMissing, UnusableFile
from kuajing.db import Database

# Objects are created as whoever restores (the deployment's database user), whoever made the dump.
_PORTABLE = ("--no-owner", "--no-privileges")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(
            message=f"{name} is not installed (or not on PATH): install PostgreSQL's client tools, "
            "of the server's major version or newer (Debian: apt install postgresql-client)."
        )
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq takes it, and the environment carrying its password (PGPASSWORD), so the
    password never shows in the process list."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _said(file: IO[bytes]) -> str:
    file.seek(0)
    lines = file.read().decode(errors="replace").strip().splitlines()
    return "\n".join(lines[-5:]) or "no message"


def _run(command: list[str], env: dict[str, str] | None = None) -> bytes:
    with tempfile.TemporaryFile() as errors:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=errors, check=False)
        if done.returncode != 0:
            raise BackupError(message=f"{Path(command[0]).name} failed:\n{_said(errors)}")
    return done.stdout


async def dump(database: Database, database_url: str, out: Path) -> Contents:
    """pg_dump of the whole database into `out`, in the snapshot the row counts are taken in."""
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(database_url)
    async with database.transaction(write=False) as session:
        connection = await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        revision = await connection.run_sync(repository.revision)
        if revision is None:
            raise BackupError(message="The configured database has no kuajing schema: nothing to back up.")
        rows = await connection.run_sync(repository.row_counts)
        snapshot = await connection.run_sync(repository.export_snapshot)
        command = [pg_dump, "--format=custom", *_PORTABLE, f"--snapshot={snapshot}", f"--file={out}"]
        # the snapshot lives as long as this transaction: pg_dump runs inside it
        _run([*command, f"--dbname={uri}"], env)
    return Contents(revision, rows)


async def current(database: Database) -> Contents | None:
    """What the configured database holds now; None when it has no kuajing schema."""
    async with database.transaction(write=False) as session:
        connection = await session.connection()
        revision = await connection.run_sync(repository.revision)
        return (
            None if revision is None else Contents(revision, await connection.run_sync(repository.row_counts))
        )


def revision_of(source: Path) -> str:
    """The schema revision a dump holds, read from its alembic_version data; UnusableFile when
    pg_restore cannot read the archive or it has no kuajing schema."""
    pg_restore = _tool("pg_restore")
    try:
        script = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(source)])
    except BackupError as exc:
        raise UnusableFile(message=f"{source} cannot be read: {exc.message}") from exc
    lines = script.decode(errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("COPY public.alembic_version ")]
    if not starts or starts[0] + 1 >= len(lines) or lines[starts[0] + 1] == "\\.":
        raise UnusableFile(message=f"{source} is a PostgreSQL dump but not a kuajing backup (no schema).")
    return lines[starts[0] + 1].strip()


def check_whole(source: Path) -> None:
    """Read the whole archive (decompressing every table) before anything is dropped."""
    try:
        _run([_tool("pg_restore"), "--file", os.devnull, str(source)])
    except BackupError as exc:
        raise UnusableFile(message=f"{source} is incomplete or damaged: {exc.message}") from exc


def restore(source: Path, database_url: str) -> None:
    """Replace the configured database's public schema with the backup's, in one transaction.
    pg_restore's script is fed to psql by this process, so psql's input ends, and its transaction
    commits, only after pg_restore has finished well; otherwise psql is killed and rolls back."""
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    uri, env = _libpq(database_url)
    script_command = [pg_restore, *_PORTABLE, "--file=-", str(source)]
    apply_command = [
        psql,
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        f"--output={os.devnull}",
        "--command=DROP SCHEMA IF EXISTS public CASCADE",
        "--command=CREATE SCHEMA public",
        "--file=-",
        f"--dbname={uri}",
    ]
    with tempfile.TemporaryFile() as script_errors, tempfile.TemporaryFile() as apply_errors:
        script = subprocess.Popen(script_command, env=env, stdout=subprocess.PIPE, stderr=script_errors)
        apply = subprocess.Popen(
            apply_command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=apply_errors
        )
        assert script.stdout is not None and apply.stdin is not None
        try:
            shutil.copyfileobj(script.stdout, apply.stdin, 1 << 20)
        except BrokenPipeError:  # psql stopped at an error: it says which below
            script.kill()
        if script.wait() != 0 and apply.poll() is None:
            apply.kill()  # before its input ends: the transaction is never committed
            apply.wait()
            raise BackupError(message=f"pg_restore failed; nothing was changed:\n{_said(script_errors)}")
        with contextlib.suppress(BrokenPipeError):
            apply.stdin.close()
        if apply.wait() != 0:
            raise BackupError(message=f"psql failed; nothing was changed:\n{_said(apply_errors)}")
