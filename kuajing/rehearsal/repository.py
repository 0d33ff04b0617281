"""Every SQL statement of the rehearsal: buyers written in bulk, its rows marked as rehearsal
traffic, the reads its checks make, and the deletes of `kuajing rehearse --cleanup`."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Delete, Table, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from kuajing.compliance import buyer_facts
from kuajing.db import async_url, rowcount
from kuajing.models import (
    AnnualQuantityUsage,
    AnnualUsage,
    ApiToken,
    BuyerIdentity,
    Campaign,
    CatalogImport,
    CommissionRate,
    Deal,
    DealBuyer,
    DealReservation,
    FxRate,
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderLine,
    OrderReturn,
    PersonalDataReveal,
    Product,
    ProductImage,
    ProductSearch,
    Role,
    SellerDocument,
    SellerProfile,
    SellerReview,
    User,
)
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
    """Insert buyers (marked as rehearsal traffic) with their identities and tokens: one
    multi-row INSERT per table and chunk. Returns the new user ids in the order given."""
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
                "rehearsal": True,
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


# -- rehearsal traffic -------------------------------------------------------------------------


async def mark(
    session: AsyncSession,
    *,
    user_ids: Sequence[int],
    seller_id: int,
    product_id: int,
    campaign_id: int,
    deal_id: int,
) -> None:
    """Mark the stage's rows as rehearsal traffic (the buyers are marked as they are written)."""
    for statement in (
        update(User).where(User.id.in_(user_ids)),
        update(SellerProfile).where(SellerProfile.user_id == seller_id),
        update(Product).where(or_(Product.id == product_id, Product.parent_id == product_id)),
        update(Campaign).where(Campaign.id == campaign_id),
        update(Deal).where(Deal.id == deal_id),
    ):
        await session.execute(statement.values(rehearsal=True).execution_options(synchronize_session=False))


async def count_traffic(session: AsyncSession) -> tuple[int, int]:
    """(orders of rehearsal sellers, rehearsal users): what a cleanup goes through in batches."""
    orders = await session.scalar(select(func.count(Order.id)).where(Order.seller_id.in_(_sellers())))
    users = await session.scalar(select(func.count(User.id)).where(User.rehearsal))
    return int(orders or 0), int(users or 0)


def _sellers() -> Any:
    return select(SellerProfile.user_id).where(SellerProfile.rehearsal)


async def seller_order_ids(session: AsyncSession, *, limit: int) -> list[int]:
    """The first `limit` orders of rehearsal sellers (through the orders' seller index)."""
    sellers = list(await session.scalars(_sellers()))
    if not sellers:
        return []
    return list(
        await session.scalars(
            select(Order.id).where(Order.seller_id.in_(sellers)).order_by(Order.id).limit(limit)
        )
    )


async def _delete(session: AsyncSession, removed: Counter[str], statement: Delete) -> None:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    removed[cast(Table, statement.table).name] += rowcount(result)


async def delete_orders(session: AsyncSession, order_ids: Sequence[int]) -> Counter[str]:
    """The orders and every row that hangs off them, children first. (A rehearsal's orders are
    never paid, so no payment, journal entry or customs message names them.)"""
    removed: Counter[str] = Counter()
    if not order_ids:
        return removed
    ids = list(order_ids)
    for table, column in (
        (DealReservation, DealReservation.order_id),
        (PersonalDataReveal, PersonalDataReveal.order_id),
        (OrderReturn, OrderReturn.order_id),
        (OrderEvent, OrderEvent.order_id),  # append-only, but for a rehearsal's orders (0016)
        (OrderLine, OrderLine.order_id),
        (Order, Order.id),
    ):
        await _delete(session, removed, delete(table).where(column.in_(ids)))
    return removed


async def rehearsal_documents(session: AsyncSession) -> list[str]:
    """The storage keys of rehearsal sellers' documents (the specimens its vetting uploaded)."""
    return list(
        await session.scalars(
            select(SellerDocument.storage_key).where(SellerDocument.seller_id.in_(_sellers()))
        )
    )


async def delete_sale_and_sellers(session: AsyncSession) -> tuple[list[int], Counter[str]]:
    """The rehearsal's deals (with their buyers' counters), campaigns, products and sellers'
    rows: (the deal ids, rows removed per table). The users stay, for delete_users."""
    removed: Counter[str] = Counter()
    users = select(User.id).where(User.rehearsal)
    deal_ids = list(
        await session.scalars(
            select(Deal.id).where(
                or_(
                    Deal.rehearsal,
                    Deal.seller_id.in_(_sellers()),
                    Deal.campaign_id.in_(select(Campaign.id).where(Campaign.rehearsal)),
                )
            )
        )
    )
    if deal_ids:
        await _delete(session, removed, delete(DealReservation).where(DealReservation.deal_id.in_(deal_ids)))
        await _delete(session, removed, delete(DealBuyer).where(DealBuyer.deal_id.in_(deal_ids)))
        await _delete(session, removed, delete(Deal).where(Deal.id.in_(deal_ids)))
    await _delete(session, removed, delete(Campaign).where(Campaign.rehearsal))
    products = select(Product.id).where(or_(Product.rehearsal, Product.seller_id.in_(_sellers())))
    await _delete(session, removed, delete(ProductSearch).where(ProductSearch.product_id.in_(products)))
    await _delete(session, removed, delete(ProductImage).where(ProductImage.product_id.in_(products)))
    variants = Product.parent_id.is_not(None)
    for which in (variants, ~variants):  # a product's variants before the product
        mine: ColumnElement[bool] = or_(Product.rehearsal, Product.seller_id.in_(_sellers()))
        await _delete(session, removed, delete(Product).where(mine, which))
    await _delete(session, removed, delete(CatalogImport).where(CatalogImport.seller_id.in_(_sellers())))
    await _delete(session, removed, delete(CommissionRate).where(CommissionRate.seller_id.in_(_sellers())))
    await _delete(session, removed, delete(SellerDocument).where(SellerDocument.seller_id.in_(_sellers())))
    # append-only, but for a rehearsal seller's (0016)
    await _delete(session, removed, delete(SellerReview).where(SellerReview.seller_id.in_(users)))
    await _delete(session, removed, delete(SellerProfile).where(SellerProfile.rehearsal))
    # the USD-CNY rate a rehearsal set on a database that had none
    await _delete(session, removed, delete(FxRate).where(FxRate.set_by_id.in_(users)))
    return deal_ids, removed


async def rehearsal_user_ids(session: AsyncSession, *, limit: int) -> list[int]:
    """The first `limit` rehearsal users (through their partial index)."""
    return list(await session.scalars(select(User.id).where(User.rehearsal).order_by(User.id).limit(limit)))


async def orders_of_buyers(session: AsyncSession, buyer_ids: Sequence[int]) -> list[int]:
    return list(await session.scalars(select(Order.id).where(Order.buyer_id.in_(list(buyer_ids)))))


async def delete_users(session: AsyncSession, user_ids: Sequence[int]) -> Counter[str]:
    """The users (whose orders and sellers' rows are gone) with their identities, the yearly
    CBEC counters of those identities' people, tokens, idempotency keys and counters."""
    removed: Counter[str] = Counter()
    if not user_ids:
        return removed
    ids = list(user_ids)
    people = select(BuyerIdentity.person_key).where(
        BuyerIdentity.user_id.in_(ids), BuyerIdentity.person_key.is_not(None)
    )
    for statement in (
        delete(DealBuyer).where(DealBuyer.buyer_id.in_(ids)),
        delete(AnnualUsage).where(AnnualUsage.person_key.in_(people)),
        delete(AnnualQuantityUsage).where(AnnualQuantityUsage.person_key.in_(people)),
        delete(BuyerIdentity).where(BuyerIdentity.user_id.in_(ids)),
        delete(ApiToken).where(ApiToken.user_id.in_(ids)),
        delete(IdempotencyKey).where(IdempotencyKey.owner.in_([f"user:{user_id}" for user_id in ids])),
        delete(PersonalDataReveal).where(
            or_(PersonalDataReveal.subject_user_id.in_(ids), PersonalDataReveal.actor_id.in_(ids))
        ),
        delete(User).where(User.id.in_(ids)),
    ):
        await _delete(session, removed, statement)
    # SQLite may give a deleted account's id to the next one: no identity of these may stay
    await buyer_facts.changing(session, ids, strict=True)
    return removed


# -- the throwaway PostgreSQL database (kuajing.rehearsal.throwaway) ----------------------------


async def _as_admin(admin_url: str, *statements: tuple[str, dict[str, Any]]) -> None:
    """Statements on their own connection to the server `admin_url` names, each outside any
    transaction (CREATE and DROP DATABASE refuse to run in one)."""
    engine = create_async_engine(async_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            for statement, values in statements:
                await connection.execute(text(statement), values)
    finally:
        await engine.dispose()


async def create_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE `name` (a name the rehearsal made: letters, digits, underscores)."""
    await _as_admin(admin_url, (f'CREATE DATABASE "{name}"', {}))


async def drop_database(admin_url: str, name: str) -> None:
    """DROP DATABASE `name` if it is there, first ending any session still on it (a worker of a
    server killed without closing its pool)."""
    await _as_admin(
        admin_url,
        (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()",
            {"name": name},
        ),
        (f'DROP DATABASE IF EXISTS "{name}"', {}),
    )
