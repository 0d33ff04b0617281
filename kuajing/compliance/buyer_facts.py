"""What a purchase reads about its buyer, kept in Redis beside the yearly rooms (year_room.py):
the real-name identity, or that there is none. With the person's room, which Redis already
keeps in step with every order, it answers compliance.year.buyer_years without the database,
so that an admitted 11.11 purchase does no database I/O before the ledger takes it.

One key per account, `kj:{buyer:<user id>}`: "-" for an account without an identity, else the
identity sealed with its table's data key (Redis may keep it on disk), for FACTS_SECONDS.
- A read that missed sets the key from what the database said, only if it is still absent
  (SET NX).
- A change (an identity saved, released or moved to a claimant; accounts deleted) marks the key
  "?" (CHANGING) in its transaction, before anything reads the account again, and once more
  after the commit, for CHANGING_SECONDS. Reads of a marked key go to the database and set
  nothing: neither this transaction's own reads (which see its uncommitted change) nor a read
  that began before the change (which saw the old identity) can leave their value behind.
  Marks commute, so two changes landing out of order leave no stale value either, and a change
  rolled back (a savepoint's) only costs a few reads.
- `warm` sets every keyed identity and its person's room before a sale.
An identity whose claim awaits an operator (no lookup key) is never kept: it is read from the
database each time, as its year is (by ID number). A value that does not open is a miss.

If Redis fails both marks of a change, the key keeps the old identity until it expires, and an
order read from Redis meanwhile names the old identity's ID number (the database's counters
then count it against that person). A rehearsal's cleanup, which deletes accounts whose ids
SQLite may give to new ones, refuses to delete when Redis fails the first mark.
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
from kuajing.sealing import CannotOpen, Keyring, keyring_of

log = logging.getLogger(__name__)

SESSION_KEY = "kuajing.buyer_facts"  # what a Database hands its sessions (Database.attach)
FACTS_SECONDS = 3600  # how long a buyer's facts stay without a read that sets them again
DATA_KEY = "buyer_identities"  # sealed as the identities table seals its columns
NONE = "-"
CHANGING = "?"  # an identity changing: read the database, set nothing (see changing())
CHANGING_SECONDS = 30  # longer than any read of the database and the SET NX after it


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


def _opened(keyring: Keyring, user_id: int, value: str) -> list[BuyerIdentity | None]:
    """The value's identity in a list, or an empty list for a value that does not open (sealed
    under a key this database does not have): a miss, for the database to answer."""
    try:
        return [unseal(keyring, user_id, value)]
    except (CannotOpen, ValueError, KeyError) as exc:
        log.warning("user %d's facts in Redis do not open; reading the database: %r", user_id, exc)
        return []


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
                user_id: identity
                for user_id, value in zip(users, values, strict=True)
                if value is not None and value != CHANGING
                for identity in _opened(keyring, user_id, value)
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

    async def mark_changing(self, user_ids: Sequence[int]) -> None:
        """Mark these accounts' facts as changing (CHANGING, for CHANGING_SECONDS): reads then
        go to the database and set nothing, so that a read made before the change cannot put
        the old facts back. Raises on a Redis failure."""
        await self._each(
            sorted(user_ids),
            lambda pipe, user_id: pipe.set(self.key(user_id), CHANGING, ex=CHANGING_SECONDS),
        )

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


async def changing(session: AsyncSession, user_ids: Sequence[int], *, strict: bool = False) -> None:
    """The accounts' identities change in this session's transaction (saved, released, deleted):
    their facts in Redis are marked as changing now, so that this transaction's own reads (a
    quote after the identity is saved) and everyone else's go to the database meanwhile, and
    again once it commits, for CHANGING_SECONDS more. After that a read sets them from the
    database. A rollback leaves the marks to expire: a few reads more from the database.

    A Redis failure is logged (Redis may then hold an account's old identity until it expires,
    FACTS_SECONDS, and orders read from Redis meanwhile name it); with `strict` the first one is
    raised, so that the change is not made."""
    facts = of(session)
    if facts is None or not user_ids:
        return
    try:
        await facts.mark_changing(user_ids)
    except RedisError as exc:
        if strict:
            raise
        log.error("could not mark %d account(s)' identity as changing in Redis: %r", len(user_ids), exc)

    async def again() -> None:
        try:
            await facts.mark_changing(user_ids)
        except RedisError as exc:
            log.error("could not mark %d changed identities in Redis: %r", len(user_ids), exc)

    after_commit(session, again)
