"""The runtime: what a running process holds, built once at start-up and closed at shutdown.

A process (a server worker, a CLI command, the rehearsal) has settings, a database and parts that
the domains own: their per-worker snapshots, the batched lookups, the stock ledger. `Runtime`
holds them, keyed by their type, so a domain asks for its own part by name and nothing is kept in
module globals. Routes reach it through the typed dependencies below; `runtime_of` (and, for
middleware that runs before routing, `runtime_in_scope`) is the only reader of the application's
state.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Scope

from kuajing.db import Database
from kuajing.settings import Settings

T = TypeVar("T")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Runtime:
    """Settings, the database and the domains' parts of one process."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self._parts: dict[type, object] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def add(
        self, part: T, *, kind: type | None = None, close: Callable[[], Awaitable[None]] | None = None
    ) -> T:
        """Keep `part`, found again by `get(kind)` (its own class unless told otherwise: a
        protocol, say); `close` runs at shutdown, in the reverse order of adding."""
        key = kind or type(part)
        if key in self._parts:
            raise ValueError(f"the runtime already holds a {key.__name__}")
        self._parts[key] = part
        if close is not None:
            self._closers.append(close)
        return part

    def get(self, kind: type[T]) -> T:
        try:
            return cast(T, self._parts[kind])
        except KeyError:
            raise LookupError(
                f"the runtime holds no {kind.__name__}; add it where the runtime is built"
            ) from None

    async def close(self, *, database: bool = True) -> None:
        """Close every part, the database last (unless `database` is False: a test's runtime
        on a database that outlives it)."""
        for close in reversed(self._closers):
            await close()
        self._closers.clear()
        if database:
            await self.database.dispose()


def runtime_of(request: Request) -> Runtime:
    """The runtime of the application serving `request`."""
    return cast(Runtime, request.app.state.runtime)


def runtime_in_scope(scope: Scope) -> Runtime | None:
    """The runtime, for middleware that runs before routing; None before start-up has built it."""
    return cast(Runtime | None, getattr(scope["app"].state, "runtime", None))


def part(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency that answers with the runtime's `kind` (async: FastAPI would run a plain
    function in its thread pool)."""

    async def get(request: Request) -> T:
        return runtime_of(request).get(kind)

    get.__name__ = f"runtime_{kind.__name__}"
    return get


async def _settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def _database(request: Request) -> Database:
    return runtime_of(request).database


def database_of(request: Request) -> Database:
    """The database, for an endpoint that opens its own transactions at the edge."""
    return runtime_of(request).database


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database = runtime_of(request).database
    async with database.transaction(write=request.method not in _READ_METHODS) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
# scope="function": the commit runs before the response is sent, so a client never sees a
# success for a transaction that then fails to commit.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
