"""What a purchase reads about its buyer, kept in Redis beside the yearly rooms (year_room.py):
the real-name identity, or that there is none. With the person's room, which Redis already
keeps in step with every order, it answers compliance.year.buyer_years without the database,
so that an admitted 11.11 purchase does no database I/O before the ledger takes it.

One key per account, `kj:{buyer:<user id>}`: "-" for an account without an identity, else the
identity sealed with its table's data key (Redis may keep it on disk), for FACTS_SECONDS.
- A read that missed sets the key from what the database said, only if it is still absent
  (SET NX): a read older than an identity's change cannot overwrite what the change wrote.
- A change (save, release) writes the key once its transaction commits (SET, unconditional).
- A rehearsal's cleanup forgets its users' keys.
- `warm` sets every keyed identity and its person's room before a sale.
An identity whose claim awaits an operator (no lookup key) is never kept: it is read from the
database each time, as its year is (by ID number).

If Redis fails a change's write, the key keeps the old identity until it expires; the database
still judges every order by the ID number the order names, as it always has.
"""

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.year_room import Held, YearRoom, held_from
from kuajing.db import after_commit
from kuajing.models import BuyerIdentity
from kuajing.sealing import Keyring, keyring_of

log = logging.getLogger(__name__)

SESSION_KEY = "kuajing.buyer_facts"  # what a Database hands its sessions (Database.attach)
FACTS_SECONDS = 3600  # how long a buyer's facts stay without a read that sets them again
DATA_KEY = "buyer_identities"  # sealed as the identities table seals its columns
NONE = "-"


def seal(keyring: Keyring, identity: BuyerIdentity | None) -> str:
    if identity is None:
        return NONE
    document = {
        "n": identity.name,
        "i": identity.id_number,
        "k": identity.person_key,
        "b": identity.birth_date.isoformat(),
        "u": identity.updated_at.isoformat(),
    }
    return keyring.seal(DATA_KEY, json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def unseal(keyring: Keyring, user_id: int, value: str) -> BuyerIdentity | None:
    if value == NONE:
        return None
    document = json.loads(keyring.open(value))
    return BuyerIdentity(
        user_id=user_id,
        name=document["n"],
        id_number=document["i"],
        person_key=document["k"],
        birth_date=date.fromisoformat(document["b"]),
        updated_at=datetime.fromisoformat(document["u"]),
    )


def keyring_for(session: AsyncSession) -> Keyring:
    return keyring_of(session.get_bind().dialect)


class BuyerFacts:
    def __init__(self, client: Redis | RedisCluster, *, prefix: str, room: YearRoom) -> None:
        self.client = client
        self.prefix = prefix
        self.room = room

    def key(self, user_id: int) -> str:
        return f"{self.prefix}:{{buyer:{user_id}}}"

    async def recall(
        self, keyring: Keyring, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], tuple[BuyerIdentity | None, Held]]:
        """The identity and what its person's room holds, for each (buyer id, year) Redis knows
        both of (an account without an identity holds nothing); the others are left out, for the
        caller to read from the database. Two round trips for all of them; none if Redis fails."""
        users = sorted({user_id for user_id, _year in keys})
        try:
            values = await self._each(users, lambda pipe, user_id: pipe.get(self.key(user_id)))
            identities = {
                user_id: unseal(keyring, user_id, value)
                for user_id, value in zip(users, values, strict=True)
                if value is not None
            }
            keyed = [
                (user_id, year, identity)
                for user_id, year in keys
                if (identity := identities.get(user_id)) is not None and identity.person_key is not None
            ]
            rooms = await self._each(
                keyed,
                lambda pipe, found: pipe.hgetall(self.room.key(str(found[2].person_key), found[1])),
            )
        except RedisError as exc:
            log.warning("could not read buyers' facts from Redis; reading the database: %r", exc)
            return {}
        found: dict[tuple[int, int], tuple[BuyerIdentity | None, Held]] = {
            (user_id, year): (None, Held(0, {}))
            for user_id, year in keys
            if user_id in identities and identities[user_id] is None
        }
        for (user_id, year, identity), fields in zip(keyed, rooms, strict=True):
            held = held_from(fields)
            if held is not None:
                found[user_id, year] = (identity, held)
        return found

    async def remember(
        self, keyring: Keyring, identities: Mapping[int, BuyerIdentity | None], *, quiet: bool = True
    ) -> None:
        """Set what the database said of these accounts where Redis has nothing (SET NX: a read
        older than a change must not overwrite it). A Redis failure is logged when `quiet` (the
        next read asks again), else raised."""
        kept = {
            user_id: seal(keyring, identity)
            for user_id, identity in identities.items()
            if identity is None or identity.person_key is not None
        }
        try:
            await self._each(
                sorted(kept),
                lambda pipe, user_id: pipe.set(self.key(user_id), kept[user_id], ex=FACTS_SECONDS, nx=True),
            )
        except RedisError as exc:
            if not quiet:
                raise
            log.warning("could not keep buyers' facts in Redis: %r", exc)

    async def forget_all(self, user_ids: Sequence[int]) -> None:
        """Drop these accounts' facts (the accounts are gone)."""
        try:
            await self._each(sorted(user_ids), lambda pipe, user_id: pipe.delete(self.key(user_id)))
        except RedisError as exc:
            log.warning("could not drop %d buyers' facts from Redis: %r", len(user_ids), exc)

    async def write(self, user_id: int, value: str | None) -> None:
        """A change that committed: the account's new facts (seal's value), or None to forget."""
        try:
            if value is None:
                await self.client.delete(self.key(user_id))
            else:
                await self.client.set(self.key(user_id), value, ex=FACTS_SECONDS)
        except RedisError as exc:
            log.warning("Redis kept user %d's old identity until it expires: %r", user_id, exc)

    async def _each(self, items: Sequence[Any], command: Callable[[Any, Any], Any]) -> list[Any]:
        """One command per item in one pipeline (on a cluster, one per node)."""
        if not items:
            return []
        pipe = self.client.pipeline(transaction=False)
        for item in items:
            command(pipe, item)
        return list(await pipe.execute())


def of(session: AsyncSession) -> BuyerFacts | None:
    """The facts this session's database keeps in Redis, None without Redis."""
    facts = session.info.get(SESSION_KEY)
    assert facts is None or isinstance(facts, BuyerFacts)
    return facts


def follow(session: AsyncSession, user_id: int, identity: BuyerIdentity | None) -> None:
    """Write the account's identity (None: that it has none) to Redis once the session's
    transaction commits."""
    facts = of(session)
    if facts is None:
        return
    # an identity without a lookup key is read from the database each time: forget it
    unkeyed = identity is not None and identity.person_key is None
    value = None if unkeyed else seal(keyring_for(session), identity)

    async def write() -> None:
        await facts.write(user_id, value)

    after_commit(session, write)


def forget(session: AsyncSession, user_ids: Sequence[int]) -> None:
    """Forget these accounts' facts once the session's transaction commits (they are deleted)."""
    facts = of(session)
    if facts is None:
        return

    async def drop() -> None:
        await facts.forget_all(user_ids)

    after_commit(session, drop)
