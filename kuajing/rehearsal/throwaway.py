"""Where `kuajing rehearse` runs without --url: a throwaway database of the configured kind, so a
rehearsal never writes into the configured one.

- SQLite configured: a new file in the rehearsal's temporary folder, deleted afterwards.
- PostgreSQL configured: `kuajing_rehearsal_<random>`, created on the same server (the role needs
  CREATEDB) and dropped afterwards, whatever ends the rehearsal (a failure, Ctrl-C).
- Redis configured: the run's keys under a prefix of its own, deleted afterwards, so the
  throwaway database's deal ids never meet the deployment's keys.

The server the rehearsal starts gets the same environment with these in place, and its files
(photos, documents, customs messages) go to the temporary folder; the customs exchange is off.
"""

import asyncio
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from sqlalchemy.engine import make_url

from kuajing.bootstrap import prepare_database
from kuajing.rehearsal import repository
from kuajing.settings import Settings

DATABASE_PREFIX = "kuajing_rehearsal_"
REDIS_PREFIX = "kj-rehearsal-"


@dataclass(frozen=True, slots=True)
class Throwaway:
    settings: Settings  # the rehearsal process's: the throwaway database, folder and Redis prefix
    env: dict[str, str]  # the server's environment, the same
    where: str  # what it is, as the console names it (without credentials)


def _server_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("KUAJING_MEDIA_URL", None)  # photos and documents on local disk, in the folder
    env.update(
        {
            "KUAJING_DATABASE_URL": settings.database_url,
            "KUAJING_DATA_DIR": str(settings.data_dir),
            "KUAJING_REDIS_PREFIX": settings.redis_prefix,
            "KUAJING_CUSTOMS_OUTBOX_DIR": str(settings.customs_outbox),
            "KUAJING_CUSTOMS_INBOX_DIR": str(settings.customs_inbox),
            "KUAJING_CUSTOMS_EXCHANGE_INTERVAL_SECONDS": "0",
        }
    )
    return env


async def drop_redis_keys(settings: Settings) -> int:
    """Delete every key under settings.redis_prefix (on a cluster, on every node); how many."""
    assert settings.redis_url is not None
    client: Redis | RedisCluster = (
        RedisCluster.from_url(settings.redis_url)
        if settings.redis_cluster
        else Redis.from_url(settings.redis_url)
    )
    removed = 0
    try:
        async for key in client.scan_iter(match=f"{settings.redis_prefix}:*", count=1_000):
            removed += int(await client.delete(key))
    finally:
        await client.aclose()
    return removed


@contextmanager
def database(configured: Settings, folder: Path) -> Iterator[Throwaway]:
    """A migrated throwaway database like the configured one, with its settings; gone afterwards
    (with the run's Redis keys and files). The configured database is never written: on
    PostgreSQL it is only connected to, to create the throwaway one."""
    url = make_url(configured.database_url)
    suffix = secrets.token_hex(5)
    admin_url = name = None
    if url.get_backend_name() == "sqlite":
        path = folder / "rehearsal.db"
        database_url = f"sqlite:///{path}"
        where = f"SQLite database {path}"
    else:
        name = f"{DATABASE_PREFIX}{suffix}"
        admin_url = configured.database_url  # the configured database is only connected to
        asyncio.run(repository.create_database(admin_url, name))
        database_url = url.set(database=name).render_as_string(hide_password=False)
        where = f"PostgreSQL database {url.set(database=name).render_as_string(hide_password=True)}"
    settings = configured.model_copy(
        update={
            "database_url": database_url,
            "data_dir": folder / "data",
            "media_url": None,
            "customs_outbox_dir": folder / "customs" / "outbox",
            "customs_inbox_dir": folder / "customs" / "inbox",
            "customs_exchange_interval_seconds": 0.0,
            "redis_prefix": f"{REDIS_PREFIX}{suffix}" if configured.redis_url else configured.redis_prefix,
        }
    )
    if configured.redis_url:
        where += f" (Redis keys under {settings.redis_prefix}:)"
    try:
        prepare_database(database_url)
        yield Throwaway(settings, _server_env(settings), where)
    finally:
        try:
            if configured.redis_url:
                asyncio.run(drop_redis_keys(settings))
        finally:
            if admin_url is not None and name is not None:
                asyncio.run(repository.drop_database(admin_url, name))
            else:
                for suffix_ in ("", "-wal", "-shm", "-journal"):
                    (folder / f"rehearsal.db{suffix_}").unlink(missing_ok=True)
            shutil.rmtree(folder / "data", ignore_errors=True)
            shutil.rmtree(folder / "customs", ignore_errors=True)
