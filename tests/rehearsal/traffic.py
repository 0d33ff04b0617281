"""Rehearsal traffic on a live marketplace, for the tests of marking, hiding and cleaning it up: a
database of its own with the demo marketplace in it (real sellers, products, paid and pending
orders, journal entries, customs messages, a Singles' Day sale on now) and a server on it; a
rehearsal's stage written into it as `kuajing rehearse --url` writes one; purchases by its
buyers; and every table read, to say exactly what changed."""

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.demo.seed import DEMO_PASSWORD, OPERATOR_EMAIL
from kuajing.models import Base
from kuajing.rehearsal import run
from kuajing.rehearsal.run import Options
from kuajing.rehearsal.setup import Stage
from tests.helpers import fresh_database, process_runtime
from tests.live import LiveServer, start_server

T = TypeVar("T")


@dataclass
class Marketplace:
    database_url: str
    server: LiveServer
    operator_token: str  # the demo operator's, also the console's session cookie

    @property
    def operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.operator_token}"}


def open_marketplace(like: str, folder: Path) -> Marketplace:
    """A database of the kind `like` is, with the demo marketplace, and a server on it (no sweeper,
    no customs exchange: nothing moves but what a test does)."""
    url = fresh_database(like, folder, "rehearsal_traffic")
    prepare_database(url)
    env = {**os.environ, "KUAJING_DATABASE_URL": url, "KUAJING_PASSWORD_HASH_PROFILE": "cheapest"}
    subprocess.run([sys.executable, "-m", "kuajing.cli", "demo"], env=env, check=True, capture_output=True)
    server = start_server(url, folder / "server.log", sweep_interval_seconds="0")
    signed_in = httpx.post(
        f"{server.url}/api/v1/auth/token", json={"email": OPERATOR_EMAIL, "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    return Marketplace(url, server, signed_in.json()["token"])


def stage(database_url: str, *, buyers: int, stock: int) -> Stage:
    """A rehearsal's stage written into the database, as `kuajing rehearse --url` writes it."""

    async def prepare() -> Stage:
        async with process_runtime(database_url) as runtime:
            return await run.prepare(runtime, Options(buyers=buyers, stock=stock, duration=60))

    return asyncio.run(prepare())


def buy(server: LiveServer, stage: Stage) -> list[httpx.Response]:
    """Each buyer of the stage tries for one unit of its deal, in order; the first twice with one
    Idempotency-Key, as a retrying client would."""
    answers = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i, buyer in enumerate(stage.buyers):
            headers = {"Authorization": f"Bearer {buyer.token}"}
            if i == 0:
                headers["Idempotency-Key"] = f"retry-{uuid.uuid4().hex}"
            for _ in range(2 if i == 0 else 1):
                answers.append(
                    client.post(
                        f"/api/v1/deals/{stage.deal_id}/purchase",
                        json={"quantity": 1, "risk_notice_accepted": True},
                        headers=headers,
                    )
                )
    return answers


def _run(database_url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async def go() -> T:
        database = Database(database_url)
        try:
            async with database.engine.connect() as connection:
                return await work(connection)
        finally:
            await database.dispose()

    return asyncio.run(go())


def every_table(database_url: str) -> list[str]:
    """Every table the database has, as its inspector lists them (SQLite's search index included)."""

    async def names(connection: AsyncConnection) -> Any:
        return await connection.run_sync(lambda sync: inspect(sync).get_table_names())

    return sorted(_run(database_url, names))


def modelled_tables() -> list[str]:
    """Every table the models describe, and Alembic's."""
    return sorted([*Base.metadata.tables, "alembic_version"])


def row_counts(database_url: str, tables: list[str]) -> dict[str, int]:
    async def count(connection: AsyncConnection) -> Any:
        return {
            table: (await connection.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar_one()
            for table in tables
        }

    return _run(database_url, count)


def table_digests(database_url: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Per table, its row count and a digest of every row as stored (sealed columns as sealed):
    equal digests, the same rows."""

    async def read(connection: AsyncConnection) -> Any:
        found = {}
        for table in tables:
            rows = sorted(
                repr(tuple(row)) for row in await connection.execute(text(f'SELECT * FROM "{table}"'))
            )
            found[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return found

    return _run(database_url, read)


def rehearsal_rows(database_url: str) -> dict[str, int]:
    """Rows marked as rehearsal traffic, per marked table."""
    marked = ["users", "seller_profiles", "products", "campaigns", "deals"]

    async def count(connection: AsyncConnection) -> Any:
        return {
            table: (
                await connection.execute(text(f"SELECT count(*) FROM {table} WHERE rehearsal"))
            ).scalar_one()
            for table in marked
        }

    return _run(database_url, count)
