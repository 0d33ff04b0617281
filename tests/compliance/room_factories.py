"""A person's CBEC year on both sides: what the database's counters hold (annual_usage and
annual_quantity_usage) and what the Redis room (kuajing/compliance/year_room.py) holds, both read
as a year_room.Held so a test compares them whole; and a usage row set straight in the database."""

import asyncio

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.buyer_facts import BuyerFacts
from kuajing.compliance.year_room import Held, YearRoom
from kuajing.db import upsert
from kuajing.kit.time import beijing_year, utcnow
from kuajing.models import AnnualQuantityUsage, AnnualUsage, BuyerIdentity
from tests.helpers import Target, in_db

# The CBEC limits in force since 2019 (kuajing/compliance/data/cbec_limits.csv), in fen.
ANNUAL_LIMIT = 2_600_000


def this_year() -> int:
    """The Beijing year an order placed now counts against."""
    return beijing_year(utcnow())


def person_keys(target: Target, buyer_ids: list[int]) -> dict[int, str]:
    """Each buyer's ID number's lookup key, as their identity row holds it."""

    async def read(session: AsyncSession) -> dict[int, str]:
        rows = await session.execute(
            select(BuyerIdentity.user_id, BuyerIdentity.person_key).where(
                BuyerIdentity.user_id.in_(buyer_ids)
            )
        )
        return {user_id: key for user_id, key in rows.all()}

    return in_db(target, read, write=False)


def db_years(target: Target, keys: list[str], year: int) -> dict[str, Held]:
    """What the database holds of each person's year (Held(0, {}) for one without rows)."""

    async def read(session: AsyncSession) -> dict[str, Held]:
        used = dict(
            (
                await session.execute(
                    select(AnnualUsage.person_key, AnnualUsage.used_amount).where(
                        AnnualUsage.person_key.in_(keys), AnnualUsage.year == year
                    )
                )
            ).all()
        )
        quantities: dict[str, dict[str, int]] = {key: {} for key in keys}
        rows = await session.execute(
            select(
                AnnualQuantityUsage.person_key,
                AnnualQuantityUsage.hs_prefix,
                AnnualQuantityUsage.used_quantity,
            ).where(AnnualQuantityUsage.person_key.in_(keys), AnnualQuantityUsage.year == year)
        )
        for key, prefix, held in rows.all():
            quantities[key][prefix] = held
        return {key: Held(used.get(key, 0), quantities[key]) for key in keys}

    return in_db(target, read, write=False)


def db_year(target: Target, key: str, year: int) -> Held:
    return db_years(target, [key], year)[key]


def set_db_used(target: Target, keys: list[str], year: int, used: int) -> None:
    """Each person's yearly usage row set to `used` fen: orders of earlier in the year, as far as
    the limit is concerned."""

    async def write(session: AsyncSession) -> None:
        for key in keys:
            await session.execute(
                upsert(
                    session,
                    AnnualUsage.__table__,
                    {"person_key": key, "year": year, "used_amount": used},
                    key=["person_key", "year"],
                )
            )

    in_db(target, write)


def _room(redis_url: str, prefix: str) -> YearRoom:
    # decoded responses, as RedisStock.connect opens the client the server's rooms run on
    return YearRoom(Redis.from_url(redis_url, decode_responses=True), prefix=prefix)


def rooms(redis_url: str, prefix: str, keys: list[str], year: int) -> dict[str, Held | None]:
    """What Redis holds of each person's year under `prefix`; None where there is no room."""

    async def read() -> dict[str, Held | None]:
        room = _room(redis_url, prefix)
        try:
            return {key: await room.held(key, year) for key in keys}
        finally:
            await room.client.aclose()

    return asyncio.run(read())


def room_of(redis_url: str, prefix: str, key: str, year: int) -> Held | None:
    return rooms(redis_url, prefix, [key], year)[key]


def set_room_used(redis_url: str, prefix: str, key: str, year: int, used: int) -> None:
    """The room's dutiable fen set to `used`, as a room that drifted from the database would hold."""

    async def write() -> None:
        room = _room(redis_url, prefix)
        try:
            await room.client.hset(room.key(key, year), "u", used)
        finally:
            await room.client.aclose()

    asyncio.run(write())


def forget_facts(redis_url: str, prefix: str, buyer_id: int) -> None:
    """Drop what Redis keeps of the buyer's identity (compliance.buyer_facts), so that the next
    read of the buyer's year goes to the database."""

    async def drop() -> None:
        room = _room(redis_url, prefix)
        try:
            assert (
                await room.client.delete(BuyerFacts(room.client, prefix=prefix, room=room).key(buyer_id)) == 1
            )
        finally:
            await room.client.aclose()

    asyncio.run(drop())
