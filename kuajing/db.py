"""Engine and sessions. One transaction per request, task or command, committed at the edge."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from sqlalchemy import (
    ARRAY,
    JSON,
    BindParameter,
    ColumnElement,
    CursorResult,
    Insert,
    Result,
    Table,
    TextClause,
    TypeDecorator,
    any_,
    bindparam,
    case,
    event,
    insert,
    literal,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import QueryableAttribute

from kuajing.sealing import Keyring, MasterKeys, NoKeyring, attach, read_data_keys
from kuajing.settings import get_settings

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)
log = logging.getLogger(__name__)

# One per kind of batched lookup (kit.batch_loader keeps one query in flight per loader), and
# one for the single-flight loads of a worker's snapshots (`reading`).
BATCH_READ_CONNECTIONS = 3
_DATABASE = "kuajing.database"  # the Database a session came from, in its info

# An INSERT that knows ON CONFLICT: the two dialects' own Insert classes, which plain Insert is not.
DialectInsert: TypeAlias = postgresql.Insert | sqlite.Insert


def async_url(url: str) -> str:
    """Map `sqlite:///…` and `postgresql://…` to the async drivers the app uses."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///… or postgresql://…")
    return parsed.render_as_string(hide_password=False)


class Database:
    """An engine plus two session factories: deferred for reads, write-ready for writes.

    On SQLite, write transactions start with BEGIN IMMEDIATE (so concurrent writers queue on
    the lock instead of failing on upgrade) and, inside one process, also take an asyncio lock
    so they wait their turn without SQLite's sleep-and-retry busy handler.
    """

    def __init__(self, url: str, *, pool_size: int = 10, master_keys: MasterKeys | None = None) -> None:
        self.url = async_url(url)
        # The keys that unwrap this database's data keys (personal data is sealed with them):
        # the settings' unless given. The keyring is read before the first transaction.
        self._master_keys = master_keys
        self._keyring: Keyring | None = None
        self._keyring_lock = asyncio.Lock()
        self.is_sqlite = self.url.startswith("sqlite")
        # A fixed pool without overflow: under a flash-sale flood an overflow connection is opened
        # for one request and closed right after it, so every request would pay for a new
        # connection (a thread for aiosqlite; a handshake and type setup for asyncpg). Waiting a
        # moment for a pooled connection costs far less.
        # An error's text leaves out the statement's values (hide_parameters): they may be a
        # buyer's name or address, and error texts end up in logs.
        pool = {"pool_size": pool_size, "max_overflow": 0}
        # Batched lookups (kit.batch_loader) read on a pool of their own: their callers may hold
        # every connection of the main pool while they wait for the batch, so a batch that needed
        # one of those would wait for its own callers. None where every session shares one
        # connection (in-memory SQLite), so no second session can open beside a caller's.
        batch_pool: dict[str, Any] | None = {"pool_size": BATCH_READ_CONNECTIONS, "max_overflow": 0}
        if self.is_sqlite:
            parsed = make_url(self.url)
            if parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory":
                pool = {}  # one shared in-memory database: SQLAlchemy keeps its static pool
                batch_pool = None
            self.engine: AsyncEngine = create_async_engine(
                self.url, connect_args={"timeout": 30}, hide_parameters=True, **pool
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_async_engine(self.url, pool_pre_ping=False, hide_parameters=True, **pool)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # What every session of this database carries in its info (see `attach`).
        self._attached: dict[str, object] = {_DATABASE: self}
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(
            self.engine.execution_options(kuajing_write=True), expire_on_commit=False
        )
        self._batch_engine: AsyncEngine | None = None
        self._batch_read: async_sessionmaker[AsyncSession] | None = None
        if batch_pool is not None:
            connect_args = {"timeout": 30} if self.is_sqlite else {}
            if not self.is_sqlite:
                # Each batched read is one SELECT or a few, and under READ COMMITTED each
                # statement reads its own snapshot inside a transaction as well: without one, a
                # batch costs its statements' round trips and not a BEGIN and a COMMIT besides.
                batch_pool["isolation_level"] = "AUTOCOMMIT"
            self._batch_engine = create_async_engine(
                self.url, connect_args=connect_args, hide_parameters=True, **batch_pool
            )
            if self.is_sqlite:
                _configure_sqlite(self._batch_engine)
            self._batch_read = async_sessionmaker(self._batch_engine, expire_on_commit=False)

    async def _ensure_keyring(self) -> None:
        """Read and unwrap the database's data keys once, and hand them to the engines' column
        types (kuajing.sealing.attach). A database without them yet (a schema being made) is
        asked again at the next transaction; a sealed column used before then says so."""
        if self._keyring is not None:
            return
        async with self._keyring_lock:
            if self._keyring is not None:
                return
            master = self._master_keys or get_settings().master_keys()
            async with self.engine.connect() as connection:
                found = await connection.run_sync(read_data_keys, master)
            if found is None:
                return
            keyring = Keyring(found)
            for engine in (self.engine, self._batch_engine):
                if engine is not None:
                    attach(engine.sync_engine.dialect, keyring)
            self._keyring = keyring

    async def keyring(self) -> Keyring:
        """The database's keyring, for what is sealed outside its tables (a Redis stream entry)."""
        await self._ensure_keyring()
        if self._keyring is None:
            raise NoKeyring("the database has no data keys yet: run its migrations")
        return self._keyring

    def twin(self, *, pool_size: int) -> Database:
        """A Database on the same URL and keys with a pool of its own: for another thread's
        event loop (an engine's connections belong to the loop that opened them)."""
        return Database(self.url, pool_size=pool_size, master_keys=self._master_keys)

    def attach(self, name: str, value: object) -> None:
        """Give every session opened from now on `value` as session.info[name]: for a service a
        lower layer's writes must keep in step with (compliance.year_room), which the callers in
        between need not pass along."""
        self._attached[name] = value

    @property
    def has_batch_pool(self) -> bool:
        """Whether batch_read can open a session beside a caller's."""
        return self._batch_read is not None

    @asynccontextmanager
    async def batch_read(self) -> AsyncIterator[AsyncSession]:
        """A read session on the batched lookups' own pool (see __init__)."""
        assert self._batch_read is not None, "no batched reads on a single shared connection"
        await self._ensure_keyring()
        async with self._session(self._batch_read) as session:
            yield session

    @asynccontextmanager
    async def transaction(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """Yield a session; commit if the block succeeds, roll back if it raises."""
        await self._ensure_keyring()
        if write and self._write_lock is not None:
            async with self._write_lock, self._session(self._write) as session:
                yield session
        else:
            async with self._session(self._write if write else self._read) as session:
                yield session

    @asynccontextmanager
    async def _session(self, factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
        session = factory(info=dict(self._attached))
        try:
            yield session
            if session.in_transaction():
                await session.commit()
        except BaseException:
            await session.rollback()
            await _run_after(session, _ON_ROLLBACK)
            raise
        finally:
            # A session that never touched the database (a cached quote) holds nothing to release.
            if session.in_transaction() or session.sync_session.identity_map:
                await session.close()
        await _run_after(session, _AFTER_COMMIT)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._batch_engine is not None:
            await self._batch_engine.dispose()


# Work outside the database that follows how a session's transaction ends: lists of actions in
# session.info, run by Database._session once the block has committed or rolled back.
_AFTER_COMMIT = "kuajing.after_commit"
_ON_ROLLBACK = "kuajing.on_rollback"


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` once the session's transaction has committed, never if it rolls back: for
    what outside the database must follow a change only once the change is there to stay."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def on_rollback(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` if the session's transaction rolls back: to undo what was done outside the
    database for a change that did not happen."""
    session.info.setdefault(_ON_ROLLBACK, []).append(action)


@asynccontextmanager
async def reading(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A session for a load other requests wait on too (a snapshot's single-flight load): the
    caller's while it holds a connection, else one on the batched lookups' pool. Not a new
    connection of the main pool: the requests waiting on the load may hold all of them, each in
    its transaction, while the caller (a purchase, which gives its connection back before it
    waits on batched lookups) would wait for one of them to be given back."""
    database = session.info.get(_DATABASE)
    if session.in_transaction() or not isinstance(database, Database) or not database.has_batch_pool:
        yield session
        return
    async with database.batch_read() as shared:
        yield shared


@asynccontextmanager
async def savepoint(session: AsyncSession) -> AsyncIterator[None]:
    """session.begin_nested(), and if the block raises, the on_rollback actions registered inside
    it are run then (its changes are undone while the transaction around it may still commit)."""
    mark = len(session.info.get(_ON_ROLLBACK, []))
    try:
        async with session.begin_nested():
            yield
    except BaseException:
        registered = session.info.get(_ON_ROLLBACK, [])
        undone, registered[mark:] = registered[mark:], []
        await _run_actions(undone)
        raise


async def _run_after(session: AsyncSession, which: str) -> None:
    await _run_actions(session.info.pop(which, []))


async def _run_actions(actions: list[Callable[[], Awaitable[None]]]) -> None:
    # The transaction's fate is settled: an action that fails is logged, never raised into a
    # caller whose change did (or did not) happen regardless.
    for action in actions:
        try:
            await action()
        except Exception:
            log.exception("an action after a transaction failed")


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below choose how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        mode = "IMMEDIATE" if connection.get_execution_options().get("kuajing_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


async def end_read(session: AsyncSession) -> None:
    """End a read session's transaction, so its connection goes back to the pool before the
    caller waits on work it shares with other requests (a batched lookup, a single-flight load).
    Callers that wait while holding connections can, enough of them at once, hold every
    connection the shared work needs: the pool then stalls until its timeout."""
    if session.in_transaction():
        await session.commit()


def one_of(
    session: AsyncSession, column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """`column IN (values…)`, written on PostgreSQL as `column = ANY(:array)`: one statement text
    whatever the number of values, so asyncpg prepares it once rather than once per length."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE matched. session.execute answers any statement with a Result; for an
    UPDATE or DELETE without RETURNING it is a CursorResult, the one that carries the count."""
    return cast(CursorResult[Any], result).rowcount


def dialect_insert(session: AsyncSession, table: Table, values: dict[str, Any]) -> DialectInsert:
    """An INSERT that knows ON CONFLICT, in the session's dialect (SQLite and PostgreSQL both do)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).values(**values)


def upsert(session: AsyncSession, table: Table, values: dict[str, Any], *, key: list[str]) -> DialectInsert:
    """INSERT … ON CONFLICT (key) DO UPDATE: one atomic statement, so two concurrent first saves
    cannot both try to insert."""
    statement = dialect_insert(session, table, values)
    return statement.on_conflict_do_update(
        index_elements=key, set_={name: statement.excluded[name] for name in values if name not in key}
    )


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *, new_ids: bool = False
) -> list[int]:
    """Insert many rows of one table (every row naming the same columns) in one statement, each
    value bound through its column's type (sealed columns are sealed). With `new_ids`, the rows'
    new ids in the order given.

    On PostgreSQL the statement is the same text whatever the number of rows (each column bound
    as one array and unnested), so the server prepares it once per connection and SQLAlchemy
    compiles it once per process; the ids are taken from the table's sequence first. Elsewhere
    it is SQLAlchemy's multi-row INSERT (insertmanyvalues), RETURNING in the order given."""
    if not rows:
        return []
    given: list[int] = []
    if new_ids and all(row.get("id") is not None for row in rows):
        # ids taken ahead (next_ids): inserted as given, and answered as the new ids
        given = [row["id"] for row in rows]
        new_ids = False
    named = set(rows[0])
    if any(row.keys() != named for row in rows):
        raise ValueError("insert_rows needs every row to name the same columns")
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        if not new_ids:
            await session.execute(insert(table), [dict(row) for row in rows])
            return given
        returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list((await session.execute(returning, [dict(row) for row in rows])).scalars())
    columns = tuple(rows[0])
    ids: list[int] = []
    if new_ids:
        ids = list((await session.execute(_next_ids(table.name), {"n": len(rows)})).scalars())
        columns = ("id", *columns)
        rows = [{"id": new_id, **row} for new_id, row in zip(ids, rows, strict=True)]
    statement, processors = _unnest_insert(dialect, table, columns)
    arrays = {
        f"a{n}": [row[column] for row in rows] if process is None else [process(row[column]) for row in rows]
        for n, (column, process) in enumerate(zip(columns, processors, strict=True))
    }
    await session.execute(statement, arrays)
    return ids or given


async def next_ids(session: AsyncSession, table: Table, n: int) -> list[int]:
    """n ids of the table's sequence, for rows written later with insert_rows (PostgreSQL only:
    SQLite has no sequence to take them from)."""
    if session.get_bind().dialect.name != "postgresql":
        raise NotImplementedError("ids are taken ahead on PostgreSQL only")
    return list((await session.execute(_next_ids(table.name), {"n": n})).scalars())


@functools.cache
def _next_ids(table: str) -> TextClause:
    return text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")


@functools.cache
def _unnest_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[TextClause, tuple[Callable[[Any], Any] | None, ...]]:
    """insert_rows' PostgreSQL statement for these columns, and each column's bind processor."""
    unnested = _unnest_rows(dialect, table, columns, "a", "given")
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT {', '.join(unnested.selected)} FROM {unnested.source} ORDER BY given.given_at"
    )
    return text(statement), unnested.processors


@dataclass(frozen=True, slots=True)
class _Unnested:
    """Rows bound as one array per column: what selects their values (JSON cast back), the FROM
    item that unnests them numbered in the order given (`alias.given_at`), and each column's bind
    processor, which the caller applies to the values before binding them."""

    selected: tuple[str, ...]
    source: str
    processors: tuple[Callable[[Any], Any] | None, ...]


def _unnest_rows(
    dialect: Dialect, table: Table, columns: tuple[str, ...], prefix: str, alias: str
) -> _Unnested:
    """Rows of `table`'s `columns` bound as :{prefix}0, :{prefix}1, …, unnested as `alias`.
    JSON travels as text and is cast row by row (an array of json cannot be bound directly)."""
    arrays, selected, processors = [], [], []
    for n, name in enumerate(columns):
        column_type = table.c[name].type
        impl = column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type
        is_json = isinstance(impl, JSON)
        arrays.append(f"CAST(:{prefix}{n} AS {'TEXT' if is_json else impl.compile(dialect)}[])")
        selected.append(f"CAST({alias}.c{n} AS JSON)" if is_json else f"{alias}.c{n}")
        processors.append(column_type.bind_processor(dialect))
    given = ", ".join(f"c{n}" for n in range(len(columns)))
    source = f"unnest({', '.join(arrays)}) WITH ORDINALITY AS {alias}({given}, given_at)"
    return _Unnested(tuple(selected), source, tuple(processors))


def _arrays(
    prefix: str, columns: Sequence[str], unnested: _Unnested, rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The parameters of rows unnested as `_unnest_rows` binds them (each value processed)."""
    return {
        f"{prefix}{n}": [row[name] for row in rows]
        if process is None
        else [process(row[name]) for row in rows]
        for n, (name, process) in enumerate(zip(columns, unnested.processors, strict=True))
    }


Children: TypeAlias = Sequence[tuple[Table, str, Sequence[Mapping[str, Any]]]]


async def insert_family(
    session: AsyncSession,
    table: Table,
    row: Mapping[str, Any],
    children: Children = (),
    *,
    unless_exists: str | None = None,
) -> int | None:
    """Insert `row` into `table` and, for each (child table, its column naming the row, child
    rows), those rows naming it, in the order given; the new row's id. With `unless_exists` (a
    unique column of `table`), nothing at all when a row with that value is there already (None).
    Every row of one child table names the same columns; values are bound through their
    columns' types (sealed columns are sealed).

    On PostgreSQL it is one statement (data-modifying CTEs, each table's rows unnested as
    insert_rows binds them), so a row and its children cost one round trip, and the statement's
    text depends only on the columns named, so it is prepared once; elsewhere an INSERT per
    table."""
    if session.get_bind().dialect.name != "postgresql":
        first = dialect_insert(session, table, dict(row))
        if unless_exists is not None:
            first = first.on_conflict_do_nothing(index_elements=[unless_exists])
        new_id = await session.scalar(first.returning(table.c.id))
        if new_id is None:
            return None
        for child, link, rows in children:
            if rows:
                await session.execute(insert(child), [{**child_row, link: new_id} for child_row in rows])
        return int(new_id)
    shapes = []
    for child, link, rows in children:
        columns = tuple(rows[0]) if rows else ()
        if any(len(r) != len(columns) or any(name not in r for name in columns) for r in rows):
            raise ValueError("insert_family needs every row of a child table to name the same columns")
        shapes.append((child, link, columns))
    statement, parts = _family_insert(
        session.get_bind().dialect, table, tuple(row), tuple(shapes), unless_exists
    )
    params = _arrays("p", tuple(row), parts[0], [row])
    for n, ((_child, _link, columns), (_c, _l, rows)) in enumerate(zip(shapes, children, strict=True)):
        if columns:
            params |= _arrays(f"k{n}_", columns, parts[n + 1], rows)
    new_id = await session.scalar(statement, params)
    return None if new_id is None else int(new_id)


@functools.cache
def _family_insert(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    children: tuple[tuple[Table, str, tuple[str, ...]], ...],
    unless_exists: str | None,
) -> tuple[TextClause, tuple[_Unnested, ...]]:
    """insert_family's PostgreSQL statement for these columns, and how each table's rows bind."""
    parent = _unnest_rows(dialect, table, columns, "p", "given")
    conflict = f" ON CONFLICT ({unless_exists}) DO NOTHING" if unless_exists is not None else ""
    ctes = [
        f"family AS (INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT {', '.join(parent.selected)} FROM {parent.source}{conflict} RETURNING id)"
    ]
    parts = [parent]
    for n, (child, link, child_columns) in enumerate(children):
        kin = _unnest_rows(dialect, child, child_columns, f"k{n}_", f"given{n}")
        parts.append(kin)
        if child_columns:  # a child table without rows this time adds nothing
            ctes.append(
                f"kin{n} AS (INSERT INTO {child.name} ({', '.join((link, *child_columns))}) "
                f"SELECT {', '.join(('family.id', *kin.selected))} FROM family, {kin.source} "
                f"ORDER BY given{n}.given_at)"
            )
    return text(f"WITH {', '.join(ctes)} SELECT id FROM family"), tuple(parts)


async def add_within(
    session: AsyncSession, table: Table, key: dict[str, Any], column: str, amount: int, limit: int
) -> bool:
    """A guarded counter: add `amount` only if the total stays within `limit`, creating the row
    if it is missing, in one INSERT … ON CONFLICT DO UPDATE … WHERE whose returned row says
    whether it did. Never read-modify-write: concurrent callers cannot both squeeze under the
    limit, and one statement (not an insert then an update) keeps the hot path's round trips
    down."""
    if amount > limit:
        return False
    statement = _guarded_add(session.get_bind().dialect.name, table, tuple(key), column)
    result = await session.execute(statement, {**key, "amount": amount, "limit": limit})
    return result.first() is not None


async def add_within_many(
    session: AsyncSession, table: Table, column: str, rows: Sequence[tuple[dict[str, Any], int]], limit: int
) -> list[bool]:
    """add_within for many counters of one table under one limit, in one statement: a list of
    (key, amount), answered with whether each was added. Keys must be distinct (one statement
    cannot update a row twice). Rows are written in the order given, so callers that sort them
    take the row locks in one order."""
    fits = [amount <= limit for _key, amount in rows]
    candidates = [(key, amount) for (key, amount), ok in zip(rows, fits, strict=True) if ok]
    if not candidates:
        return fits
    names = list(candidates[0][0])
    bound = {tuple(key[name] for name in names) for key, _amount in candidates}
    if len(bound) != len(candidates):
        raise ValueError("add_within_many needs distinct keys: one statement cannot update a row twice")
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        # One statement text whatever the number of rows, so the server prepares it once per
        # connection and SQLAlchemy compiles it once per process: the rows go as one array per
        # column (unnest), in the order given.
        arrays: dict[str, Any] = {f"a_{name}": [key[name] for key, _ in candidates] for name in names}
        arrays["a_amount"] = [amount for _key, amount in candidates]
        result = await session.execute(
            _guarded_add_unnest(dialect, table, tuple(names), column), {**arrays, "limit": limit}
        )
    else:
        statement = sqlite_insert(table).values([{**key, column: amount} for key, amount in candidates])
        counter, added = table.c[column], statement.excluded[column]
        guarded = statement.on_conflict_do_update(
            index_elements=names, set_={column: counter + added}, where=counter + added <= limit
        ).returning(*(table.c[name] for name in names))
        result = await session.execute(guarded)
    taken = {tuple(row) for row in result.all()}
    if not taken <= bound:  # e.g. a key bound as text for an integer column: fail, never guess
        raise ValueError(f"add_within_many: the database returned keys it was not given: {taken - bound}")
    return [
        ok and tuple(key[name] for name in names) in taken
        for (key, _amount), ok in zip(rows, fits, strict=True)
    ]


@functools.cache
def _guarded_add_unnest(dialect: Dialect, table: Table, key: tuple[str, ...], column: str) -> TextClause:
    """add_within_many's statement on PostgreSQL, built once per counter table: every column's
    values bound as one array, unnested WITH ORDINALITY so rows are written (and their locks
    taken) in the order given."""
    names = [*key, column]
    arrays = ", ".join(
        f"CAST(:a_{'amount' if name == column else name} AS {table.c[name].type.compile(dialect)}[])"
        for name in names
    )
    listed = ", ".join(names)
    return text(
        f"INSERT INTO {table.name} ({listed}) "
        f"SELECT {listed} FROM unnest({arrays}) WITH ORDINALITY AS given({listed}, given_at) "
        f"ORDER BY given_at "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {column} = {table.name}.{column} + excluded.{column} "
        f"WHERE {table.name}.{column} + excluded.{column} <= :limit "
        f"RETURNING {', '.join(key)}"
    )


@functools.cache
def _guarded_add(dialect: str, table: Table, key: tuple[str, ...], column: str) -> Insert:
    """add_within's statement, built once per counter: a flash-sale winner runs two or three of
    them, and building one (its conflict clause aliases the table) costs more than running it."""
    amount: BindParameter[int] = bindparam("amount")
    limit: BindParameter[int] = bindparam("limit")
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    counter = table.c[column]
    return (
        insert(table)
        .values({**{name: bindparam(name) for name in key}, column: amount})
        .on_conflict_do_update(
            index_elements=list(key), set_={column: counter + amount}, where=counter + amount <= limit
        )
        .returning(counter)
    )


async def give_back(
    session: AsyncSession, table: Table, key: dict[str, Any], column: str, amount: int
) -> None:
    """Take `amount` off a guarded counter in one statement, never below 0: a counter that
    drifted low still lets a cancel or a refund through instead of failing its CHECK."""
    counter = table.c[column]
    await session.execute(
        update(table)
        .where(*(table.c[name] == value for name, value in key.items()))
        .values({column: case((counter >= amount, counter - amount), else_=0)})
    )
