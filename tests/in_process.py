"""The app in the test process, with every test in a transaction that is rolled back at its end.

The app runs as it does behind uvicorn (its lifespan, its middleware, its routes), driven through
Starlette's TestClient, an httpx client whose transport calls the ASGI app directly in an event
loop of its own. Its database is a RollbackDatabase: one connection, on which each test begins a
transaction; every session the app opens joins it through a savepoint, so commits and rollbacks
inside the app behave as they do in production, and nothing a test writes outlives it. Each test
also gets a fresh runtime (snapshots, loaders, the stock ledger), so no cache of a rolled-back row
survives either.

What cannot run here, and uses the live server instead (tests/live.py): concurrent requests (one
connection serves one request at a time), anything that needs a second connection to see a
test's writes (a CLI subprocess, a second server), and the background loops.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, AsyncTransaction, async_sessionmaker

from kuajing.app import create_app
from kuajing.bootstrap import build_runtime
from kuajing.db import Database
from kuajing.runtime import Runtime
from kuajing.settings import Settings

T = TypeVar("T")


class RollbackDatabase(Database):
    """A Database whose sessions all join the transaction of one connection (see above)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, pool_size=1)
        self._connection: AsyncConnection | None = None
        self._outer: AsyncTransaction | None = None
        self._joined: async_sessionmaker[AsyncSession] | None = None

    async def begin_test(self) -> None:
        if self._connection is None:
            await self._ensure_keyring()  # on a connection of its own, before the pool's one is held
            # On SQLite the test's transaction starts as a write one (BEGIN IMMEDIATE), as the
            # app's write transactions do: a read snapshot taken first could not be upgraded to a
            # write after another connection (the live server's) committed meanwhile.
            connection = await self.engine.connect()
            self._connection = await connection.execution_options(kuajing_write=True)
            self._joined = async_sessionmaker(
                bind=self._connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        self._outer = await self._connection.begin()

    async def end_test(self) -> None:
        outer, self._outer = self._outer, None
        if outer is None:  # committed on purpose (commit_test), or never begun
            return
        # Something ended the test's transaction (a commit that escaped its savepoint): what it
        # wrote would outlive the test. Say so rather than leak it into the next one.
        assert outer.is_active, "the test's transaction was ended inside the test"
        await outer.rollback()

    async def commit_test(self) -> None:
        """Keep what the transaction wrote: for the session's own setup, never for a test."""
        assert self._outer is not None
        await self._outer.commit()
        self._outer = None

    @property
    def has_batch_pool(self) -> bool:
        return False  # one connection: batched lookups run in their caller's session

    @asynccontextmanager
    async def transaction(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        # `write` changes nothing here: the test's transaction already holds the write lock
        assert self._joined is not None and self._outer is not None, "no test transaction is open"
        async with self._session(self._joined) as session:
            yield session

    async def dispose(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        await super().dispose()


class InProcessApp:
    """The app, its TestClient and its database, for one test session (one xdist worker)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = RollbackDatabase(settings.database_url)
        self._first = build_runtime(settings, database=self.database)
        self.app = create_app(runtime=self._first)
        # as a browser or an httpx client sees the app: redirects are answers, a 500 is a response
        self.client = TestClient(self.app, raise_server_exceptions=False, follow_redirects=False)
        self._runtime: Runtime | None = None

    def __enter__(self) -> "InProcessApp":
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._first.close)
        self.client.__exit__(*exc)

    def _call(self, work: Callable[[], Awaitable[T]]) -> T:
        portal = self.client.portal
        assert portal is not None, "the app is not running"
        return portal.call(work)

    def begin_test(self) -> None:
        async def begin() -> None:
            await self.database.begin_test()
            # a fresh runtime on the same database: no snapshot, memory or loader outlives a test
            self._runtime = build_runtime(self.settings, database=self.database)
            self.app.state.runtime = self._runtime

        self._call(begin)

    def with_settings(self, **overrides: Any) -> None:
        """This test's runtime built again with `overrides` to its settings (a payment provider's
        keys, say), on the same database and transaction."""

        async def rebuild() -> None:
            assert self._runtime is not None, "no test is running"
            await self._runtime.close(database=False)
            settings = Settings(**{**self.settings.model_dump(), **overrides})
            self._runtime = build_runtime(settings, database=self.database)
            self.app.state.runtime = self._runtime

        self._call(rebuild)

    def commit_test(self) -> None:
        self._call(self.database.commit_test)

    def end_test(self) -> None:
        self.client.cookies.clear()

        async def end() -> None:
            if self._runtime is not None:
                await self._runtime.close(database=False)
            self.app.state.runtime = self._first
            await self.database.end_test()

        self._call(end)

    def visitor(self, cookies: dict[str, str] | None = None) -> httpx2.Client:
        """Another client of the same in-process app, with a cookie jar of its own (a second
        browser); close it, or use it in a `with` block."""
        return httpx2.Client(transport=self.client._transport, base_url=self.client.base_url, cookies=cookies)

    @property
    def runtime(self) -> Runtime:
        assert self._runtime is not None, "no test is running"
        return self._runtime

    def run(self, work: Callable[[AsyncSession], Awaitable[T]], *, write: bool = True) -> T:
        """`work(session)` in a session of the app's database, inside the test's transaction."""

        async def call() -> T:
            async with self.database.transaction(write=write) as session:
                return await work(session)

        return self._call(call)

    def run_with_runtime(self, work: Callable[[Runtime], Awaitable[T]]) -> T:
        """`work(runtime)` with the test's runtime, in the app's event loop."""
        runtime = self.runtime
        return self._call(lambda: work(runtime))


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """The settings the in-process app runs with, those the live test server has: the storefront's
    snapshots at their production bound (KUAJING_READ_CACHE_SECONDS, 1 s), so a write that fails
    to forget what it changed shows as a stale answer; rule rows and tokens that tests write
    straight to the database seen at once; no background loop."""
    return Settings(
        **{
            "database_url": database_url,
            "sweep_interval_seconds": 0,
            "customs_exchange_interval_seconds": 0,
            "auth_cache_seconds": 0,
            "rules_cache_seconds": 0,
            # hundreds of accounts: argon2's default costs 0.14 s each
            "password_hash_profile": "cheapest",
            # every test's accounts come from one address; the per-account limits stay as deployed
            "rate_limit_sign_in_per_ip": "100000/minute",
            "rate_limit_sign_in_per_account": "100000/minute",
            "rate_limit_register_per_ip": "100000/minute",
            **overrides,
        }
    )
