"""Every Redis command of the flash sale: the keys, the Lua scripts (redis_stock.lua) and the
calls that run them. The Redis counterpart of repository.py; the rules live in redis_ledger.py
and redis_reconciler.py.

A deal's keys share one hash tag, so each script touches a single slot and runs unchanged on a
Redis Cluster: `kj:{deal:42}` (a hash: stock, limit, starts, ends), `kj:{deal:42}:buyers`,
`kj:{deal:42}:log` (the stream of admitted attempts not yet written) and
`kj:{deal:42}:released`. With B stock buckets each bucket b has the same four keys under
`{deal:42:b<b>}`, so one hot deal spreads over B slots.
"""

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError

from kuajing.compliance import year_room
from kuajing.flash_sale.ledger import IdempotencyClaim
from kuajing.kit.lua import sections

# What a take answers besides "taken"; the ledger maps the refusals to the contract's 409s.
UNKNOWN, PENDING, SETTLED, ROOM_UNKNOWN, NOT_STARTED, ENDED, BUYER_LIMIT, SOLD_OUT, TAKEN = (
    "unknown",
    "pending",
    "settled",
    "room_unknown",
    "not_started",
    "ended",
    "buyer_limit",
    "sold_out",
    "taken",
)


# How long a written attempt's Idempotency-Key stays marked settled in Redis: a request sent
# again with it meanwhile is answered from the database, even if it checked the database just
# before the write committed. Longer than any request waits between that check and its take.
SETTLED_SECONDS = 300


class Take(NamedTuple):
    verdict: str
    entry_id: str  # the admitted attempt's stream entry ("" unless taken)
    # Taken while the deal was lately rebuilt after Redis lost it: the rebuild could not count
    # attempts admitted before the loss and still being written, so Redis may admit more than
    # the database has. The caller answers only once the database has written the order.
    late: bool
    # That period is over, but the deal has not been set from the database since (late too):
    # the caller has it set again, which ends it (redis_reconciler).
    late_over: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """One admitted attempt in a bucket's stream."""

    id: str
    token: str
    buyer_id: int
    quantity: int
    payload: str
    late: bool = False  # admitted while its deal answered late: its buyer was not answered early


@dataclass(frozen=True, slots=True)
class Rebuilt:
    found: int | None  # the stock Redis held before, None if the deal was not loaded
    expected: int  # the stock the database says it should hold
    in_flight: int  # units of admitted attempts not yet in the database
    buyers_differing: int
    late_over: bool = False  # a late period (after a loss) that is over, not yet ended


def claim_of(idempotency: IdempotencyClaim | None) -> str:
    """The Idempotency-Key as Redis keeps it while its attempt is in flight ("" for none)."""
    if idempotency is None:
        return ""
    return hashlib.sha256(f"{idempotency.owner}\0{idempotency.key}".encode()).hexdigest()[:32]


def token_bucket(token: str) -> int:
    """The bucket a token was admitted by: tokens are "<bucket>.<uuid>"."""
    return int(token.split(".", 1)[0])


class RedisStock:
    def __init__(self, client: Redis | RedisCluster, *, prefix: str, buckets: int) -> None:
        self.client = client
        self.prefix = prefix
        self.buckets = buckets
        found = sections("kuajing.stock_ledger", "redis_stock.lua")
        # the take checks a buyer's yearly room too, with the room's own functions
        found["take"] = year_room.lib() + found["take"]
        self._scripts = {name: client.register_script(body) for name, body in found.items()}
        # takes asked for in one turn of the event loop, sent together (_send_takes), and the
        # pipelines on their way
        self._takes: list[tuple[list[str], list[Any], asyncio.Future[list[Any]]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    @classmethod
    def connect(
        cls, url: str, *, cluster: bool, prefix: str, buckets: int, max_connections: int = 1000
    ) -> "RedisStock":
        # redis-py refuses a command (MaxConnectionsError) rather than wait once a pool (per node,
        # on a cluster) has max_connections busy; every purchase in flight may hold one
        options: dict[str, Any] = {"decode_responses": True, "max_connections": max_connections}
        client = RedisCluster.from_url(url, **options) if cluster else Redis.from_url(url, **options)
        return cls(client, prefix=prefix, buckets=buckets)

    async def start(self) -> None:
        """Connect before the first purchase: a cluster client maps the slots once here, rather
        than in a burst of first requests that would each start its own mapping."""
        if isinstance(self.client, RedisCluster):
            await self.client.initialize()
        else:
            await self.client.ping()

    def tag(self, deal_id: int, bucket: int) -> str:
        return f"deal:{deal_id}" if self.buckets == 1 else f"deal:{deal_id}:b{bucket}"

    def keys(self, deal_id: int, bucket: int) -> list[str]:
        base = f"{self.prefix}:{{{self.tag(deal_id, bucket)}}}"
        return [base, f"{base}:buyers", f"{base}:log", f"{base}:released", f"{base}:claims"]

    def with_settled(self, deal_id: int, bucket: int, claim: str) -> list[str]:
        """keys(), and the key marking `claim`'s attempt settled (one that is never set without
        a claim: a script's keys must be named, and on a cluster lie in the deal's slot)."""
        keys = self.keys(deal_id, bucket)
        return [*keys, f"{keys[0]}:settled:{claim or '-'}"]

    @property
    def one_node(self) -> bool:
        """Whether every key lies on one server, so one script may touch a deal and a room."""
        return not isinstance(self.client, RedisCluster)

    def home_bucket(self, buyer_id: int) -> int:
        return buyer_id % self.buckets

    def _registry(self) -> str:
        return f"{self.prefix}:deals"

    async def take(
        self,
        deal_id: int,
        bucket: int,
        *,
        now_ms: int,
        buyer_id: int,
        quantity: int,
        token: str,
        payload: str,
        claim: str = "",
        room: tuple[str, list[Any]] | None = None,
    ) -> Take:
        """`room`: the buyer's yearly room key and its arguments (year_room.room_args), to be
        checked and taken in the same script; only where the room's slot is on the deal's node
        (one Redis, not a cluster)."""
        keys = self.with_settled(deal_id, bucket, claim)
        args: list[Any] = [now_ms, buyer_id, quantity, token, payload, claim]
        if room is not None:
            keys.append(room[0])
            args += room[1]
        if self.one_node:
            verdict, entry_id, late = await self._take_together(keys, args)
        else:
            verdict, entry_id, late = await self._scripts["take"](keys=keys, args=args)
        return Take(verdict, entry_id, late in (1, 2), late == 2)

    def _take_together(self, keys: list[str], args: list[Any]) -> "asyncio.Future[list[Any]]":
        """The take script, sent in one pipeline with every other take asked for in this turn of
        the event loop. A rush's purchases arrive together, and one pipeline of n scripts costs
        the client about a quarter of n calls (redis-py's per-call connection checkout, retry and
        timeout wrapping); Redis runs them one by one all the same, each atomic. One Redis only:
        a cluster's would be split by node."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._takes.append((keys, args, future))
        if len(self._takes) == 1:
            loop.call_soon(self._send_takes)
        return future

    def _send_takes(self) -> None:
        takes, self._takes = self._takes, []
        task = asyncio.create_task(self._send(takes), name="redis-takes")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, takes: list[tuple[list[str], list[Any], "asyncio.Future[list[Any]]"]]) -> None:
        script = self._scripts["take"]
        # a caller gone before the send (cancelled: its client hung up) takes nothing
        takes = [take for take in takes if not take[2].done()]
        if not takes:
            return
        pipe = self.client.pipeline(transaction=False)
        for keys, args, _future in takes:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        try:
            results = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # Redis unreachable: every caller is told, as its own call would
            for _keys, _args, future in takes:
                if not future.done():
                    future.set_exception(exc)
            return
        again = []
        for (keys, args, future), result in zip(takes, results, strict=True):
            if future.done():  # its caller gave up (hung up); the script ran all the same
                continue
            if isinstance(result, NoScriptError):
                again.append((keys, args, future))  # Redis lost its scripts (a restart, SCRIPT FLUSH)
            elif isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
        # each sent alone, in the order asked (rare: the first loads the script again)
        for keys, args, future in again:
            await self._alone(keys, args, future)

    async def _alone(self, keys: list[str], args: list[Any], future: "asyncio.Future[list[Any]]") -> None:
        try:
            result = await self._scripts["take"](keys=keys, args=args)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)

    async def give_back(
        self,
        deal_id: int,
        bucket: int,
        *,
        entry_id: str,
        buyer_id: int,
        quantity: int,
        claim: str = "",
        answered: bool = False,
    ) -> bool:
        """`answered`: the attempt's Idempotency-Key holds its answer in the database though its
        order was refused (an early answer), so the key is marked settled as after a write."""
        returned: int = await self._scripts["give_back"](
            keys=self.with_settled(deal_id, bucket, claim),
            args=[entry_id, buyer_id, quantity, claim, SETTLED_SECONDS if answered else ""],
        )
        return returned == 1

    async def forget_entries(self, deal_id: int, bucket: int, written: list[tuple[str, str]]) -> None:
        """Written attempts (entry id, claim) of one bucket are in the database: their entries are
        no longer needed for a replay, and their keys are marked settled."""
        keys = self.keys(deal_id, bucket)
        keys += [f"{keys[0]}:settled:{claim}" for _entry, claim in written if claim]
        args: list[Any] = [SETTLED_SECONDS, len(written)]
        for entry_id, claim in written:
            args += [entry_id, claim]
        await self._scripts["forget_many"](keys=keys, args=args)

    async def return_released(
        self, deal_id: int, bucket: int, *, reservation_id: int, buyer_id: int, quantity: int
    ) -> bool:
        returned: int = await self._scripts["return_released"](
            keys=self.keys(deal_id, bucket), args=[reservation_id, buyer_id, quantity]
        )
        return returned == 1

    async def entries(self, deal_id: int, bucket: int, *, until_ms: int | None = None) -> list[Entry]:
        """The bucket's stream, oldest first; with until_ms only entries added up to then."""
        # The client decodes responses (connect), so ids and fields are str; a missing stream is [].
        rows = cast(
            list[tuple[str, dict[str, str]]],
            await self.client.xrange(
                self.keys(deal_id, bucket)[2], "-", "+" if until_ms is None else until_ms
            ),
        )
        return [
            Entry(
                id=entry_id,
                token=f["t"],
                buyer_id=int(f["b"]),
                quantity=int(f["q"]),
                payload=f["p"],
                late=f.get("l", "0") != "0",
            )
            for entry_id, f in rows
        ]

    async def rebuild(
        self,
        deal_id: int,
        bucket: int,
        *,
        repair: bool,
        base: int,
        limit: int,
        starts_ms: int,
        ends_ms: int,
        written: list[str],
        buyers: dict[int, int],
        released: list[int],
        now_ms: int,
        late_until_ms: int = 0,
    ) -> Rebuilt:
        """`late_until_ms`: until when admitted attempts wait for their order (Take.late), when
        Redis lost the deal; a later time already set stays while it runs."""
        args: list[Any] = ["repair" if repair else "check", base, limit, starts_ms, ends_ms, late_until_ms]
        args += [now_ms, len(written)]
        args += written
        args.append(len(buyers))
        for buyer_id, units in buyers.items():
            args += [buyer_id, units]
        args.append(len(released))
        args += released
        found, expected, in_flight, differing, late = await self._scripts["rebuild"](
            keys=self.keys(deal_id, bucket), args=args
        )
        return Rebuilt(
            None if found == "none" else int(found), int(expected), int(in_flight), int(differing), late == 2
        )

    async def settle_late(self, deal_id: int, bucket: int, *, now_ms: int) -> bool:
        """End a late period that is over (call with the deal found equal to the database, under
        its row lock). Whether one ended."""
        ended: int = await self._scripts["settle_late"](keys=self.keys(deal_id, bucket)[:1], args=[now_ms])
        return ended == 1

    async def register(self, deal_id: int) -> None:
        """Remember that the deal is loaded, so the replayer knows which streams to read."""
        await self.client.sadd(self._registry(), deal_id)

    async def forget_deal(self, deal_id: int) -> int:
        """Delete the deal's keys in every bucket and its place among the loaded deals: for a deal
        deleted from the database (a rehearsal's, cleaned up), whose id a later deal may get again
        (SQLite reuses the highest id). How many keys there were."""
        removed = 0
        for bucket in range(self.buckets):
            removed += int(await self.client.delete(*self.keys(deal_id, bucket)))  # one slot a bucket
        await self.client.srem(self._registry(), deal_id)
        return removed

    async def loaded_deals(self) -> list[int]:
        return sorted(int(member) for member in await self.client.smembers(self._registry()))

    async def stock(self, deal_id: int, bucket: int) -> int | None:
        value = await self.client.hget(self.keys(deal_id, bucket)[0], "stock")
        return None if value is None else int(value)

    async def buyer_units(self, deal_id: int, bucket: int) -> dict[int, int]:
        found = await self.client.hgetall(self.keys(deal_id, bucket)[1])
        return {int(buyer): int(units) for buyer, units in found.items()}

    async def close(self) -> None:
        if self._sending:
            await asyncio.wait(list(self._sending), timeout=10)
        await self.client.aclose()
