"""A person's CBEC year: the dutiable value used against the yearly limit and the grams or pieces
of capped goods held, both counted per ID number (two accounts naming one person share them).

The counters move only by guarded statements (an addition that must stay within its limit, a
give-back that never goes below 0). Lock order, followed by every writer: a person's year before
their capped lines, capped lines by positive-list prefix, and people by ID number.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import repository, year_room
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
    """BuyerYear for each (buyer id, year): one query a year however many buyers (see
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
