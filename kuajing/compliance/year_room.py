"""The CBEC yearly room in Redis, beside the database's guarded counters (year.py): so that a
flash-sale purchase Redis admits has its buyer's room reserved in the same moment as its units,
and a normal order racing it cannot squeeze both under the limit.

A room is one hash per person (by the ID number's lookup key, never the number) and Beijing
year, under the person's own hash tag: `kj:{room:<key>}:2026`. Every order reserves its
dutiable value and capped quantities there before the database takes them (`reserve`), and
what the database gives back (an expired or cancelled order, a refund) is given back here once
its transaction commits (`release`, through db.after_commit). A room that is not there (the
person's first order since Redis started, or a flush) is set from what the database holds, read
by the caller, in the same script that reserves.

The database stays the judge: its guarded counters still refuse what would pass the limit, so
a room that holds too little (set from a read older than a commit, around a flush) can only
let through an order the database then refuses, and one that holds too much refuses an order
the database would have taken, until the room expires (ROOM_SECONDS after its last order) and
is set again from the database.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.errors import AnnualLimitReached, YearlyQuantityCapReached
from kuajing.errors import KuajingError
from kuajing.kit.lua import sections

log = logging.getLogger(__name__)

SESSION_KEY = "kuajing.year_room"  # the room a Database hands its sessions (Database.attach)
ROOM_SECONDS = 2 * 24 * 3600  # a room unused this long is dropped, and set again when needed

OK, UNKNOWN, ANNUAL = "ok", "unknown", "annual"


def lib() -> str:
    """The Lua functions that check and take a room (room_verdict, room_take), for a script
    elsewhere that checks a room too: the stock ledger's take."""
    return sections("kuajing.compliance", "year_room.lua")["lib"]


def _scripts() -> dict[str, str]:
    found = sections("kuajing.compliance", "year_room.lua")
    return {"reserve": found["lib"] + found["reserve"], "release": found["release"], "warm": found["warm"]}


def room_args(
    *, dutiable: int, limit: int, capped: Mapping[str, tuple[int, int]], held: "Held | None"
) -> list[Any]:
    """What the lib's room_verdict reads from a script's ARGV (see year_room.lua)."""
    args: list[Any] = [ROOM_SECONDS, dutiable, limit, len(capped)]
    for prefix, (amount, cap) in sorted(capped.items()):
        args += [prefix, amount, cap]
    if held is None:
        args.append("")
    else:
        args += ["warm", held.used, len(held.quantities)]
        for prefix, amount in sorted(held.quantities.items()):
            args += [prefix, amount]
    return args


@dataclass(frozen=True, slots=True)
class Held:
    """What the database holds of a person's year: the room is set from it when missing."""

    used: int
    quantities: Mapping[str, int]


def refusal(verdict: str, *, year: int) -> KuajingError | None:
    """The contract's refusal for a reserve's verdict; None for "ok"."""
    if verdict == OK:
        return None
    if verdict == ANNUAL:
        return AnnualLimitReached(message=f"This order would pass your {year} cross-border yearly limit.")
    if verdict.startswith("capped:"):
        prefix = verdict.split(":", 1)[1]
        return YearlyQuantityCapReached(
            message=f"This order would pass your {year} cap on HS {prefix} goods."
        )
    raise ValueError(f"unexpected verdict {verdict!r} from the reserve script")


class YearRoom:
    def __init__(self, client: Redis | RedisCluster, *, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._bodies = _scripts()
        self._scripts = {name: client.register_script(body) for name, body in self._bodies.items()}

    def key(self, person_key: str, year: int) -> str:
        return f"{self.prefix}:{{room:{person_key}}}:{year}"

    async def reserve(
        self,
        person_key: str,
        year: int,
        *,
        dutiable: int,
        limit: int,
        capped: Mapping[str, tuple[int, int]],
        held: Held | None,
    ) -> str:
        """Take the order's dutiable value and capped quantities (prefix -> (amount, cap)) if all
        fit: "ok", "annual", "capped:<prefix>", or "unknown" when the room is not there and
        `held` was not given."""
        args = room_args(dutiable=dutiable, limit=limit, capped=capped, held=held)
        verdict: str = await self._scripts["reserve"](keys=[self.key(person_key, year)], args=args)
        return verdict

    async def release(self, person_key: str, year: int, *, dutiable: int, capped: Mapping[str, int]) -> bool:
        """Give back what an order held; False when the room was not there (nothing to do)."""
        args: list[Any] = [dutiable, len(capped)]
        for prefix, amount in sorted(capped.items()):
            args += [prefix, amount]
        found: int = await self._scripts["release"](keys=[self.key(person_key, year)], args=args)
        return found == 1

    async def warm(self, rooms: Sequence[tuple[str, int, Held]]) -> int:
        """Set each (person key, year) room from what the database holds where Redis has none, in
        one pipeline; how many were set."""
        if not rooms:
            return 0
        body = self._bodies["warm"]
        pipe = self.client.pipeline(transaction=False)
        for person_key, year, held in rooms:
            args: list[Any] = [ROOM_SECONDS, held.used, len(held.quantities)]
            for prefix, amount in sorted(held.quantities.items()):
                args += [prefix, amount]
            # EVAL, not EVALSHA: a pipeline cannot load a script Redis lost halfway through
            pipe.eval(body, 1, self.key(person_key, year), *args)
        return sum(int(set_) for set_ in await pipe.execute())

    async def held(self, person_key: str, year: int) -> Held | None:
        """What the room holds, None if it is not there."""
        # the client decodes responses (RedisStock.connect), so the fields are str
        return held_from(cast(dict[str, str], await self.client.hgetall(self.key(person_key, year))))


def held_from(fields: Mapping[str, str]) -> Held | None:
    """What a room's fields (HGETALL) hold; None for a room that is not there."""
    if not fields:
        return None
    return Held(
        used=int(fields.get("u", 0)),
        quantities={name[2:]: int(value) for name, value in fields.items() if name.startswith("c:")},
    )


def of(session: AsyncSession) -> YearRoom | None:
    """The room this session's database keeps in step, None without Redis."""
    room = session.info.get(SESSION_KEY)
    assert room is None or isinstance(room, YearRoom)
    return room


async def release_quietly(
    room: YearRoom, person_key: str, year: int, *, dutiable: int, capped: Mapping[str, int]
) -> None:
    """release, after a commit or a rollback: Redis failing leaves the room holding too much
    (an order refused that the database would take) until it expires, never too little."""
    try:
        await room.release(person_key, year, dutiable=dutiable, capped=capped)
    except RedisError:
        log.warning("could not give back %s's room for %d", person_key[:12], year, exc_info=True)
