"""Every SQL statement of the rehearsal: buyers written in bulk, and the reads its checks make."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import ApiToken, BuyerIdentity, Deal, DealReservation, Order, OrderLine, Role, User
from kuajing.sealing import keyring_of

# Rows per multi-row INSERT: well under PostgreSQL's 32,767 bind parameters at 6 columns a row.
_CHUNK = 2_000

# A rehearsal's buyers sign in for the run, not for months.
REHEARSAL_TOKEN_LIFETIME = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class NewBuyer:
    email: str
    name: str
    id_number: str
    birth_date: date
    token_hash: str


async def add_buyers(
    session: AsyncSession, buyers: Sequence[NewBuyer], *, password_hash: str, now: datetime
) -> list[int]:
    """Insert buyers with their identities and tokens: one multi-row INSERT per table and chunk.
    Returns the new user ids in the order given."""
    ids: list[int] = []
    for start in range(0, len(buyers), _CHUNK):
        chunk = buyers[start : start + _CHUNK]
        rows = [
            {
                "email": buyer.email,
                "password_hash": password_hash,
                "role": Role.buyer.value,
                "name": buyer.name,
                "created_at": now,
            }
            for buyer in chunk
        ]
        result = await session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
        chunk_ids = list(result.scalars())
        keyring = keyring_of(session.get_bind().dialect)
        await session.execute(
            insert(BuyerIdentity),
            [
                {
                    "user_id": user_id,
                    "name": buyer.name,
                    "id_number": buyer.id_number,
                    "person_key": keyring.person_key(buyer.id_number),
                    "birth_date": buyer.birth_date,
                    "updated_at": now,
                }
                for user_id, buyer in zip(chunk_ids, chunk, strict=True)
            ],
        )
        await session.execute(
            insert(ApiToken),
            [
                {
                    "user_id": user_id,
                    "token_hash": buyer.token_hash,
                    "device": "rehearsal",
                    "created_at": now,
                    "last_used_at": now,
                    "expires_at": now + REHEARSAL_TOKEN_LIFETIME,
                }
                for user_id, buyer in zip(chunk_ids, chunk, strict=True)
            ],
        )
        ids += chunk_ids
    return ids


async def deal_snapshot(session: AsyncSession, deal_id: int) -> tuple[int, int, int, int]:
    """(remaining, reserved, sold, reservation rows): what moves while writes are in flight."""
    deal = (
        await session.execute(select(Deal.remaining, Deal.reserved, Deal.sold).where(Deal.id == deal_id))
    ).one()
    rows = await session.scalar(
        select(func.count(DealReservation.id)).where(DealReservation.deal_id == deal_id)
    )
    return deal[0], deal[1], deal[2], int(rows or 0)


async def taken_reservations(
    session: AsyncSession, deal_id: int, statuses: list[str]
) -> dict[int, tuple[int, int]]:
    """order id -> (buyer id, units), for the deal's reservations in `statuses`."""
    rows = await session.execute(
        select(DealReservation.order_id, DealReservation.buyer_id, DealReservation.quantity).where(
            DealReservation.deal_id == deal_id, DealReservation.status.in_(statuses)
        )
    )
    return {order_id: (buyer_id, quantity) for order_id, buyer_id, quantity in rows.all()}


async def count_orders(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, int]:
    """order id -> how many order rows carry it (1 for each that exists: it is the primary key,
    counted anyway so the check reads what the database holds, not what the schema promises)."""
    found: dict[int, int] = {}
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(Order.id, func.count()).where(Order.id.in_(ids[start : start + _CHUNK])).group_by(Order.id)
        )
        found.update({order_id: int(n) for order_id, n in rows.all()})
    return found


async def orders_of_product(session: AsyncSession, product_id: int) -> list[int]:
    """Ids of every order with a line of the product (the rehearsal's product sells only
    through its deal, so each must hold a reservation)."""
    rows = await session.scalars(
        select(OrderLine.order_id).where(OrderLine.product_id == product_id).distinct()
    )
    return list(rows)


async def reservation_orders(session: AsyncSession, deal_id: int) -> list[int]:
    """Order ids of every reservation of the deal, whatever its status."""
    return list(
        await session.scalars(select(DealReservation.order_id).where(DealReservation.deal_id == deal_id))
    )


async def deal_counters(session: AsyncSession, deal_id: int) -> tuple[int, int, int, int, int]:
    """(allocated, remaining, reserved, sold, per-buyer limit) of the deal, as stored."""
    row = (
        await session.execute(
            select(Deal.quantity, Deal.remaining, Deal.reserved, Deal.sold, Deal.per_buyer_limit).where(
                Deal.id == deal_id
            )
        )
    ).one()
    return row[0], row[1], row[2], row[3], row[4]


async def units_per_buyer(session: AsyncSession, deal_id: int, statuses: list[str]) -> dict[int, int]:
    """buyer id -> units of the deal's reservations in `statuses`."""
    rows = await session.execute(
        select(DealReservation.buyer_id, func.sum(DealReservation.quantity))
        .where(DealReservation.deal_id == deal_id, DealReservation.status.in_(statuses))
        .group_by(DealReservation.buyer_id)
    )
    return {buyer_id: int(units) for buyer_id, units in rows.all()}
