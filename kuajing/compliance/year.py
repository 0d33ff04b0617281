"""A person's CBEC year: the dutiable value used against the yearly limit and the grams or pieces
of capped goods held, both counted per ID number (two accounts naming one person share them).

The counters move only by guarded statements (an addition that must stay within its limit, a
give-back that never goes below 0). Lock order, followed by every writer: a person's year before
their capped lines, capped lines by positive-list prefix, and people by ID number.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import buyer_facts, repository, year_room
from kuajing.compliance.errors import AnnualLimitReached, YearlyQuantityCapReached
from kuajing.compliance.year_room import Held, YearRoom
from kuajing.db import Database, after_commit, on_rollback
from kuajing.kit.batch_loader import BatchLoader
from kuajing.models import BuyerIdentity

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuyerYear:
    """What a quote reads about its buyer: the real-name identity (None until given) and, for
    the person it names, the CBEC year used so far and the grams or pieces of capped goods held."""

    identity: BuyerIdentity | None
    annual_used: int
    quantities_used: dict[str, int]


async def buyer_years(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], BuyerYear]:
    """BuyerYear for each (buyer id, year). With Redis, from the facts and rooms kept there
    (buyer_facts.py) where it has both, and the rest from the database, which then sets them
    there for the next read."""
    facts = buyer_facts.of(session)
    if facts is None:
        return await _read_years(session, keys)
    keyring = buyer_facts.keyring_for(session)
    found = {
        key: BuyerYear(identity, held.used, dict(held.quantities))
        for key, (identity, held) in (await facts.recall(keyring, keys)).items()
    }
    missing = [key for key in keys if key not in found]
    if missing:
        read = await _read_years(session, missing)
        found.update(read)
        await facts.remember(keyring, {user_id: buyer.identity for (user_id, _year), buyer in read.items()})
    return found


async def _read_years(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], BuyerYear]:
    """buyer_years from the database: one query a year however many buyers (see
    kit.batch_loader), and two more only for identities without a lookup key."""
    found: dict[tuple[int, int], BuyerYear] = {}
    for year in sorted({year for _user_id, year in keys}):
        users = sorted({user_id for user_id, y in keys if y == year})
        rows = await repository.identities_with_year(session, users, year=year)
        # an identity whose claim awaits an operator has no lookup key to join on: its person's
        # year is read by ID number, as the guarded counters will take it
        unkeyed = sorted(
            {identity.id_number for identity, _used, _held in rows.values() if identity.person_key is None}
        )
        used = await repository.annuals_used(session, id_numbers=unkeyed, year=year) if unkeyed else {}
        held = await repository.quantities_used_by(session, id_numbers=unkeyed, year=year) if unkeyed else {}
        for user_id in users:
            if user_id not in rows:
                found[user_id, year] = BuyerYear(None, 0, {})
                continue
            identity, annual, quantities = rows[user_id]
            if identity.person_key is None:
                annual, quantities = used.get(identity.id_number, 0), held.get(identity.id_number, {})
            found[user_id, year] = BuyerYear(identity, annual, quantities)
    return found


@dataclass(frozen=True, slots=True)
class Warmed:
    buyers: int  # accounts whose facts were read and offered to Redis
    rooms_set: int  # of their people's rooms, those Redis did not have yet


async def warm(
    database: Database,
    *,
    year: int,
    users: Sequence[int] | None = None,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Warmed:
    """Before a sale: set in Redis every keyed identity's facts (or only `users`') and its
    person's room of `year` from the database, where Redis has none (buyer_facts.py), so that
    the rush's purchases read them there. `progress(done, total)` after each batch. Facts and
    rooms Redis already holds are left as they are: they are at least as recent as this read.
    Without Redis, nothing to do."""
    async with database.transaction(write=False) as session:
        facts = buyer_facts.of(session)
        if facts is None:
            return Warmed(buyers=0, rooms_set=0)  # no Redis: purchases read the database
        total = len(users) if users is not None else await repository.keyed_identity_count(session)
    done = rooms_set = 0
    after = 0
    while True:
        async with database.transaction(write=False) as session:
            if users is None:
                chosen = await repository.keyed_identity_users(session, after=after, limit=batch)
            else:
                chosen = list(users[done : done + batch])
            if not chosen:
                break
            read = await _read_years(session, [(user_id, year) for user_id in chosen])
            keyring = buyer_facts.keyring_for(session)
        await facts.remember(
            keyring, {user_id: buyer.identity for (user_id, _year), buyer in read.items()}, quiet=False
        )
        rooms_set += await facts.room.warm(
            [
                (buyer.identity.person_key, year, Held(buyer.annual_used, buyer.quantities_used))
                for buyer in read.values()
                if buyer.identity is not None and buyer.identity.person_key is not None
            ]
        )
        done += len(chosen)
        after = chosen[-1]
        if progress is not None:
            progress(done, max(total, done))
    return Warmed(buyers=done, rooms_set=rooms_set)


class BuyerYearLoader(BatchLoader[tuple[int, int], BuyerYear]):
    """buyer_years for many concurrent purchases, one batch of queries for all of them."""

    def __init__(self, database: Database) -> None:
        super().__init__(database, buyer_years)


async def take(
    session: AsyncSession,
    *,
    id_number: str,
    year: int,
    dutiable: int,
    annual_limit: int,
    capped: Mapping[str, tuple[int, int]],
) -> None:
    """Take an order's dutiable value from the person's year and its capped quantities
    (prefix -> (amount, yearly cap)), or raise with the first that does not fit; the caller's
    transaction then rolls back whatever was taken.

    With Redis, the person's room there (year_room.py) is reserved first, and given back if the
    transaction rolls back: a flash-sale purchase Redis admits reserves the same room."""
    room = year_room.of(session)
    if room is not None:
        await _reserve(
            session,
            room,
            id_number=id_number,
            year=year,
            dutiable=dutiable,
            annual_limit=annual_limit,
            capped=capped,
        )
    if not await repository.consume_annual(
        session, id_number=id_number, year=year, amount=dutiable, limit=annual_limit
    ):
        raise AnnualLimitReached(message=f"This order would pass your {year} cross-border yearly limit.")
    for prefix, (amount, cap) in sorted(capped.items()):
        if not await repository.consume_quantity(
            session, id_number=id_number, year=year, hs_prefix=prefix, quantity=amount, cap=cap
        ):
            raise YearlyQuantityCapReached(
                message=f"This order would pass your {year} cap on HS {prefix} goods."
            )


async def _reserve(
    session: AsyncSession,
    room: YearRoom,
    *,
    id_number: str,
    year: int,
    dutiable: int,
    annual_limit: int,
    capped: Mapping[str, tuple[int, int]],
) -> None:
    person = repository.person_key(session, id_number)
    try:
        verdict = await room.reserve(
            person, year, dutiable=dutiable, limit=annual_limit, capped=capped, held=None
        )
        if verdict == year_room.UNKNOWN:
            # the person's first order since Redis lost (or never had) the room: set it from here
            held = Held(
                used=(await repository.annuals_used(session, id_numbers=[id_number], year=year)).get(
                    id_number, 0
                ),
                quantities=(
                    await repository.quantities_used_by(session, id_numbers=[id_number], year=year)
                ).get(id_number, {}),
            )
            verdict = await room.reserve(
                person, year, dutiable=dutiable, limit=annual_limit, capped=capped, held=held
            )
    except RedisError:
        # Redis down: the database's counters alone decide, as they always do in the end
        log.warning("the yearly room in Redis is unavailable; the database alone decides", exc_info=True)
        return
    refused = year_room.refusal(verdict, year=year)
    if refused is not None:
        raise refused

    async def give_back_room() -> None:
        await year_room.release_quietly(
            room,
            person,
            year,
            dutiable=dutiable,
            capped={prefix: amount for prefix, (amount, _cap) in capped.items()},
        )

    on_rollback(session, give_back_room)


async def take_annuals(
    session: AsyncSession, *, taking: Sequence[tuple[str, int, int]], limit: int
) -> list[bool]:
    """For distinct (ID number, year)s at once, in the order given: (ID number, year, amount)
    each, answered with whether each fitted under `limit`."""
    return await repository.consume_annuals(session, taking=taking, limit=limit)


async def take_capped(
    session: AsyncSession, *, taking: Sequence[tuple[str, int, str, int]], cap: int
) -> list[bool]:
    """For distinct (ID number, year, prefix)s under one cap at once, in the order given:
    (ID number, year, positive-list prefix, amount) each, answered with whether each fitted."""
    return await repository.consume_quantities(session, taking=taking, cap=cap)


async def give_back(
    session: AsyncSession, *, id_number: str, year: int, dutiable: int, capped: Mapping[str, int]
) -> None:
    """Give back what an order took (its dutiable value, unless 0, then its capped quantities by
    prefix), never below 0: the order of the locks `take` takes. With Redis, the person's room
    there gets it back once the transaction commits."""
    await untake(session, id_number=id_number, year=year, dutiable=dutiable, capped=capped)
    room = year_room.of(session)
    if room is not None and (dutiable or any(capped.values())):
        person = repository.person_key(session, id_number)

        async def give_back_room() -> None:
            await year_room.release_quietly(room, person, year, dutiable=dutiable, capped=capped)

        after_commit(session, give_back_room)


async def untake(
    session: AsyncSession, *, id_number: str, year: int, dutiable: int, capped: Mapping[str, int]
) -> None:
    """give_back for what this same transaction took, in the database only: for an attempt a
    batch refuses after taking part of its room (whoever reserved it in Redis gives it back)."""
    if dutiable:
        await repository.release_annual(session, id_number=id_number, year=year, amount=dutiable)
    for prefix, amount in sorted(capped.items()):
        await repository.release_quantity(
            session, id_number=id_number, year=year, hs_prefix=prefix, quantity=amount
        )
