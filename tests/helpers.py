"""What many tests share: snapshots that keep nothing, the contexts the flows run in, and a
process runtime on the test database, for tests that call services in their own process."""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import httpx2
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.bootstrap import build_runtime
from kuajing.catalog.snapshots import ProductSnapshots, Snapshots
from kuajing.compliance.identity import InvalidIdNumber, parse_resident_id
from kuajing.customs.parties import CustomsParties
from kuajing.db import Database
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.payment.providers import Provider, Providers
from kuajing.payment.sandbox import SandboxProvider
from kuajing.runtime import Runtime
from kuajing.settings import Settings
from tests.in_process import InProcessApp

T = TypeVar("T")


def no_snapshots() -> Snapshots:
    """Snapshots that keep nothing: every read goes to the database, as a fresh process's first."""
    return Snapshots.build(read_seconds=0, rules_seconds=0)


def fulfillment_context(sandbox: Provider | None = None) -> FulfillmentContext:
    """The context the order transitions run in, with `sandbox` as the sandbox provider."""
    return FulfillmentContext(
        Providers({"sandbox": sandbox or SandboxProvider("http://127.0.0.1:8000")}),
        CustomsParties.from_settings(Settings()),
        ProductSnapshots(0),
    )


@asynccontextmanager
async def process_runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A runtime on `database_url` as a server process builds one, closed afterwards."""
    runtime = build_runtime(Settings(database_url=database_url))
    try:
        yield runtime
    finally:
        await runtime.close()


# Where a test's direct database work runs: a URL is the committed database a live server reads
# (a connection of its own, committed at once); an InProcessApp runs it inside the test's
# rolled-back transaction, where the in-process app sees it.
Target = str | InProcessApp


def in_db(target: Target, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool = True) -> T:
    """`work(session)` in one transaction on the test's database (see Target)."""
    if isinstance(target, InProcessApp):
        return target.run(work, write=write)

    async def run() -> T:
        database = Database(target)
        try:
            async with database.transaction(write=write) as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


def money(amount: int, currency: str = "CNY") -> dict[str, int | str]:
    """Money as the API writes it."""
    return {"amount": amount, "currency": currency}


def problem_code(response: Any, status: int) -> str:
    """The response is problem+json with this status; its code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    code: str = response.json()["code"]
    return code


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is problem+json with this status and code; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def visitor(api: Any, cookies: dict[str, str] | None = None) -> Any:
    """A new client of whatever `api` talks to (the in-process app's TestClient, or a live
    server's httpx client), with a cookie jar of its own: another browser. Use it in a `with`."""
    if isinstance(api, TestClient):
        return httpx2.Client(transport=api._transport, base_url=api.base_url, cookies=cookies)
    return httpx.Client(base_url=str(api.base_url), timeout=30, cookies=cookies)


def _asyncpg_dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


async def fresh_postgres(url: str) -> str:
    """This session's own database, emptied: the one `url` names, suffixed with the pytest-xdist
    worker's name under xdist; created (from the server's postgres database) if missing."""
    parsed = make_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{parsed.database}_{worker}" if worker else parsed.database
    assert name is not None
    admin = await asyncpg.connect(_asyncpg_dsn(url, "postgres"))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(_asyncpg_dsn(url, name))
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


def fresh_database(like: str, folder: Path, name: str) -> str:
    """An empty database of the kind `like` is, beside it: a new SQLite file in `folder`, or a
    PostgreSQL database called after `like`'s with `_name` added (emptied if it exists)."""
    parsed = make_url(like)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{folder / f'{name}.db'}"
    named = parsed.set(database=f"{parsed.database}_{name}").render_as_string(hide_password=False)
    return asyncio.run(fresh_postgres(named))


def is_resident_id(number: str) -> bool:
    """Whether 18 characters have a real resident ID's shape: a birth date that exists and a check
    digit that matches. An order's or a payment's 18-digit reference has neither, but for a chance
    in thousands: what a scan for ID numbers in clear must tell apart."""
    try:
        parse_resident_id(number, today=date.today())
    except InvalidIdNumber:
        return False
    return True
