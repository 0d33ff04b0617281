"""Every SQL statement of the flash sale. The deal's counters only move by guarded UPDATEs that
shift units from one column to another, so remaining + reserved + sold stays the allocation."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import add_within_many, dialect_insert, insert_rows, rowcount
from kuajing.models import (
    Campaign,
    Deal,
    DealBuyer,
    DealReservation,
    Order,
    Product,
    SellerProfile,
)
from kuajing.seller.status import SellerStatus


async def add_campaign(session: AsyncSession, campaign: Campaign) -> Campaign:
    session.add(campaign)
    await session.flush()
    return campaign


async def get_campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def list_campaigns(session: AsyncSession, *, before_id: int | None, limit: int) -> list[Campaign]:
    """Campaigns, the latest created first; a rehearsal's are left out."""
    query = select(Campaign).where(Campaign.rehearsal.is_(False)).order_by(Campaign.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Campaign.id < before_id)
    return list(await session.scalars(query))


async def deal_counts(session: AsyncSession, campaign_ids: Sequence[int]) -> dict[int, int]:
    """How many deals each campaign has; a campaign without any is left out."""
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(Deal.campaign_id, func.count(Deal.id))
        .where(Deal.campaign_id.in_(campaign_ids))
        .group_by(Deal.campaign_id)
    )
    return {int(campaign_id): int(count) for campaign_id, count in rows.all()}


async def add_deal(session: AsyncSession, deal: Deal) -> Deal:
    session.add(deal)
    await session.flush()
    return deal


async def deal_seller_approved(session: AsyncSession, deal_id: int) -> bool:
    """Whether the deal's seller is approved to sell (kuajing.seller.status)."""
    status = await session.scalar(
        select(SellerProfile.status)
        .join(Product, Product.seller_id == SellerProfile.user_id)
        .join(Deal, Deal.product_id == Product.id)
        .where(Deal.id == deal_id)
    )
    return status == SellerStatus.approved


async def get_deal(session: AsyncSession, deal_id: int) -> tuple[Deal, Campaign] | None:
    row = (
        await session.execute(
            select(Deal, Campaign)
            .join(Campaign, Campaign.id == Deal.campaign_id)
            .where(Deal.id == deal_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def lock_remaining(session: AsyncSession, deal_id: int) -> int:
    """The deal's units left, with its row locked until commit: FOR NO KEY UPDATE on PostgreSQL,
    the lock an UPDATE of its counters takes anyway, so rows referencing the deal can still be
    inserted; a SQLite write transaction already holds the database's write lock."""
    remaining = await session.scalar(
        select(Deal.remaining).where(Deal.id == deal_id).with_for_update(key_share=True)
    )
    assert remaining is not None, f"deal {deal_id} vanished"
    return remaining


async def lock_for_rebuild(session: AsyncSession, deal_id: int) -> tuple[int, datetime | None]:
    """lock_remaining, with when the deal was first set in Redis as it stands under the lock
    (a concurrent first load may have just set it)."""
    row = (
        await session.execute(
            select(Deal.remaining, Deal.redis_loaded_at)
            .where(Deal.id == deal_id)
            .with_for_update(key_share=True)
        )
    ).first()
    assert row is not None, f"deal {deal_id} vanished"
    return row[0], row[1]


async def mark_redis_loaded(session: AsyncSession, *, deal_id: int, now: datetime) -> None:
    await session.execute(
        update(Deal).where(Deal.id == deal_id, Deal.redis_loaded_at.is_(None)).values(redis_loaded_at=now)
    )


async def _move(session: AsyncSession, deal_id: int, source: str, target: str, quantity: int) -> bool:
    columns = Deal.__table__.c
    result = await session.execute(
        update(Deal)
        .where(Deal.id == deal_id, columns[source] >= quantity)
        .values({source: columns[source] - quantity, target: columns[target] + quantity})
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def hold_units(session: AsyncSession, *, deal_id: int, quantity: int) -> bool:
    """remaining → reserved, only if that many remain: one statement for a whole batch."""
    return await _move(session, deal_id, "remaining", "reserved", quantity)


async def sell_units(session: AsyncSession, *, deal_id: int, quantity: int) -> bool:
    """reserved → sold, when the order holding them is paid."""
    return await _move(session, deal_id, "reserved", "sold", quantity)


async def return_units(session: AsyncSession, *, deal_id: int, quantity: int) -> bool:
    """reserved → remaining, when the order holding them expires or is cancelled."""
    return await _move(session, deal_id, "reserved", "remaining", quantity)


async def consume_buyers_units(
    session: AsyncSession, *, deal_id: int, taking: Sequence[tuple[int, int]], limit: int
) -> list[bool]:
    """Add to what each buyer holds of the deal only if it stays within the per-buyer limit:
    (buyer id, quantity) for distinct buyers, answered with whether each was added."""
    rows = [({"deal_id": deal_id, "buyer_id": buyer_id}, quantity) for buyer_id, quantity in taking]
    return await add_within_many(session, DealBuyer.__table__, "units", rows, limit)


async def release_buyer_units(session: AsyncSession, *, deal_id: int, buyer_id: int, quantity: int) -> None:
    await session.execute(
        update(DealBuyer)
        .where(DealBuyer.deal_id == deal_id, DealBuyer.buyer_id == buyer_id)
        .values(units=DealBuyer.units - quantity)
        .execution_options(synchronize_session=False)
    )


async def add_reservations(session: AsyncSession, reservations: list[dict[str, Any]]) -> None:
    """Insert a batch's reservations (their columns; their orders written already): one INSERT
    for all of them."""
    await insert_rows(session, DealReservation.__table__, reservations)


async def orders_of_tokens(session: AsyncSession, tokens: list[str]) -> dict[str, Order]:
    """The orders already written for these Redis admission tokens, by token."""
    rows = await session.execute(
        select(DealReservation.redis_token, Order)
        .join(Order, Order.id == DealReservation.order_id)
        .where(DealReservation.redis_token.in_(tokens))
    )
    # The column is nullable, but the IN filter above leaves no NULL token.
    return {cast(str, token): order for token, order in rows.all()}


async def reservation_of(session: AsyncSession, order_id: int) -> DealReservation | None:
    return await session.scalar(
        select(DealReservation)
        .where(DealReservation.order_id == order_id)
        .execution_options(populate_existing=True)
    )


async def move_reservation(
    session: AsyncSession, *, reservation_id: int, from_status: str, to_status: str, now: datetime
) -> bool:
    """The guarded move: only the caller that finds the reservation in `from_status` moves it."""
    result = await session.execute(
        update(DealReservation)
        .where(DealReservation.id == reservation_id, DealReservation.status == from_status)
        .values(status=to_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def campaign_totals(
    session: AsyncSession, *, campaign_id: int, statuses: list[str]
) -> tuple[int, int, int]:
    """(orders, units, goods in fen) of the campaign's reservations in `statuses`, returned
    orders left out."""
    row = (
        await session.execute(
            select(
                func.count(DealReservation.id),
                func.coalesce(func.sum(DealReservation.quantity), 0),
                func.coalesce(func.sum(Order.goods_amount), 0),
            )
            .join(Deal, Deal.id == DealReservation.deal_id)
            .join(Order, Order.id == DealReservation.order_id)
            .where(
                Deal.campaign_id == campaign_id,
                DealReservation.status.in_(statuses),
                Order.status != "returned",  # refunded: no longer a sale
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def lock_counters(session: AsyncSession, deal_id: int) -> tuple[int, int, int, int] | None:
    """(quantity, remaining, reserved, sold) with the deal row locked until commit, or None."""
    row = (
        await session.execute(
            select(Deal.quantity, Deal.remaining, Deal.reserved, Deal.sold)
            .where(Deal.id == deal_id)
            .with_for_update(key_share=True)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def reserved_units_by_status(session: AsyncSession, deal_id: int) -> dict[str, int]:
    """Units the deal's reservation rows hold, per status."""
    rows = await session.execute(
        select(DealReservation.status, func.sum(DealReservation.quantity))
        .where(DealReservation.deal_id == deal_id)
        .group_by(DealReservation.status)
    )
    return {status: int(units) for status, units in rows.all()}


async def units_held_per_buyer(session: AsyncSession, deal_id: int, statuses: list[str]) -> dict[int, int]:
    """Units each buyer's reservations of the deal hold, counting reservations in `statuses`."""
    rows = await session.execute(
        select(DealReservation.buyer_id, func.sum(DealReservation.quantity))
        .where(DealReservation.deal_id == deal_id, DealReservation.status.in_(statuses))
        .group_by(DealReservation.buyer_id)
    )
    return {buyer_id: int(units) for buyer_id, units in rows.all()}


async def written_tokens(session: AsyncSession, tokens: list[str]) -> set[str]:
    """Which of these Redis admission tokens already have their reservation written."""
    if not tokens:
        return set()
    rows = await session.scalars(
        select(DealReservation.redis_token).where(DealReservation.redis_token.in_(tokens))
    )
    return cast(set[str], set(rows))  # the IN filter leaves no NULL token


async def buyer_units(session: AsyncSession, deal_id: int) -> dict[int, int]:
    """Units each buyer holds of the deal (reserved or bought), buyers holding none left out."""
    rows = await session.execute(
        select(DealBuyer.buyer_id, DealBuyer.units).where(DealBuyer.deal_id == deal_id, DealBuyer.units > 0)
    )
    return {buyer_id: units for buyer_id, units in rows.all()}


async def reservations_in(
    session: AsyncSession, *, status: str, deal_id: int | None = None, order_ids: list[int] | None = None
) -> list[DealReservation]:
    """Reservations in `status` of one deal, or of some orders."""
    query = select(DealReservation).where(DealReservation.status == status)
    if deal_id is not None:
        query = query.where(DealReservation.deal_id == deal_id)
    if order_ids is not None:
        query = query.where(DealReservation.order_id.in_(order_ids))
    return list(await session.scalars(query.order_by(DealReservation.id)))


async def live_deal_ids(session: AsyncSession, *, now: datetime) -> list[int]:
    """Deals whose campaign has not ended."""
    rows = await session.scalars(
        select(Deal.id).join(Campaign, Campaign.id == Deal.campaign_id).where(Campaign.ends_at > now)
    )
    return sorted(rows)


async def taken_units_by_token(
    session: AsyncSession, *, deal_id: int, statuses: list[str]
) -> list[tuple[int, str | None, int]]:
    """(buyer, Redis token, units) of the deal's reservations in `statuses`."""
    rows = await session.execute(
        select(DealReservation.buyer_id, DealReservation.redis_token, DealReservation.quantity).where(
            DealReservation.deal_id == deal_id, DealReservation.status.in_(statuses)
        )
    )
    return [(buyer_id, token, quantity) for buyer_id, token, quantity in rows.all()]


async def set_counters(session: AsyncSession, *, deal_id: int, reserved: int, sold: int) -> None:
    """Overwrite the counters from the ledger rows: only the reconciler, under the deal's lock."""
    await session.execute(
        update(Deal)
        .where(Deal.id == deal_id)
        .values(reserved=reserved, sold=sold, remaining=Deal.quantity - reserved - sold)
        .execution_options(synchronize_session=False)
    )


async def set_buyer_units(session: AsyncSession, *, deal_id: int, units: dict[int, int]) -> None:
    """Overwrite per-buyer counters (creating missing rows): only the reconciler, under the deal's lock."""
    for buyer_id, count in sorted(units.items()):
        statement = dialect_insert(
            session, DealBuyer.__table__, {"deal_id": deal_id, "buyer_id": buyer_id, "units": count}
        )
        await session.execute(
            statement.on_conflict_do_update(index_elements=["deal_id", "buyer_id"], set_={"units": count})
        )


async def current_campaign(session: AsyncSession, *, now: datetime) -> Campaign | None:
    """The campaign on now (the latest to start, if several), else the next to start; never a
    rehearsal's."""
    live = await session.scalar(
        select(Campaign)
        .where(Campaign.starts_at <= now, Campaign.ends_at > now, Campaign.rehearsal.is_(False))
        .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
        .limit(1)
    )
    if live is not None:
        return live
    return await session.scalar(
        select(Campaign)
        .where(Campaign.starts_at > now, Campaign.rehearsal.is_(False))
        .order_by(Campaign.starts_at, Campaign.id)
        .limit(1)
    )


async def deals_with_products(session: AsyncSession, campaign_id: int) -> list[tuple[Deal, Product]]:
    """The campaign's deals as the sale shows them: approved sellers' only (one suspended since it
    enrolled drops off the board; its buyers would be refused anyway), never a rehearsal's."""
    rows = await session.execute(
        select(Deal, Product)
        .join(Product, Product.id == Deal.product_id)
        .join(SellerProfile, SellerProfile.user_id == Product.seller_id)
        .where(
            Deal.campaign_id == campaign_id,
            SellerProfile.status == SellerStatus.approved,
            Deal.rehearsal.is_(False),
        )
        .order_by(Deal.id)
        .execution_options(populate_existing=True)
    )
    return [(deal, product) for deal, product in rows.all()]


def _sold(campaign_id: int, statuses: list[str]) -> list[Any]:
    """The WHERE of a campaign's sales: reservations in `statuses`, returned orders left out."""
    return [Deal.campaign_id == campaign_id, DealReservation.status.in_(statuses), Order.status != "returned"]


async def campaign_sales_by_seller(
    session: AsyncSession, *, campaign_id: int, statuses: list[str], limit: int
) -> list[tuple[int, str, str, int, int]]:
    """(seller id, legal name, US state, orders, goods in fen), the largest sellers first."""
    goods = func.coalesce(func.sum(Order.goods_amount), 0)
    rows = await session.execute(
        select(
            Deal.seller_id,
            SellerProfile.legal_name,
            SellerProfile.us_state,
            func.count(DealReservation.id),
            goods,
        )
        .join(Deal, Deal.id == DealReservation.deal_id)
        .join(Order, Order.id == DealReservation.order_id)
        .join(SellerProfile, SellerProfile.user_id == Deal.seller_id)
        .where(*_sold(campaign_id, statuses))
        .group_by(Deal.seller_id, SellerProfile.legal_name, SellerProfile.us_state)
        .order_by(goods.desc(), Deal.seller_id)
        .limit(limit)
    )
    return [(int(s), name, state, int(n), int(g)) for s, name, state, n, g in rows.all()]


async def campaign_sales_by_minute(
    session: AsyncSession, *, campaign_id: int, statuses: list[str], since: datetime
) -> list[tuple[str, int, int]]:
    """("YYYY-MM-DD HH:MM" in UTC, orders, goods in fen) per minute since `since`, in order."""
    if session.get_bind().dialect.name == "postgresql":
        # in UTC whatever the session's time zone, like the keys the caller builds
        minute = func.to_char(
            func.date_trunc("minute", func.timezone("UTC", Order.created_at)), "YYYY-MM-DD HH24:MI"
        )
    else:
        minute = func.strftime("%Y-%m-%d %H:%M", Order.created_at)
    rows = await session.execute(
        select(minute, func.count(DealReservation.id), func.coalesce(func.sum(Order.goods_amount), 0))
        .join(Deal, Deal.id == DealReservation.deal_id)
        .join(Order, Order.id == DealReservation.order_id)
        .where(*_sold(campaign_id, statuses), Order.created_at >= since)
        .group_by(minute)
        .order_by(minute)
    )
    return [(str(m), int(n), int(g)) for m, n, g in rows.all()]


async def open_campaigns(session: AsyncSession, *, now: datetime) -> list[Campaign]:
    """Campaigns that have not ended, the soonest to start first: the ones a seller can enroll in
    (never a rehearsal's)."""
    return list(
        await session.scalars(
            select(Campaign)
            .where(Campaign.ends_at > now, Campaign.rehearsal.is_(False))
            .order_by(Campaign.starts_at, Campaign.id)
        )
    )


async def deals_of_seller(session: AsyncSession, seller_id: int) -> list[tuple[Deal, Campaign, Product]]:
    """The seller's deals with their campaigns and products, the latest campaign first."""
    rows = await session.execute(
        select(Deal, Campaign, Product)
        .join(Campaign, Campaign.id == Deal.campaign_id)
        .join(Product, Product.id == Deal.product_id)
        .where(Deal.seller_id == seller_id)
        .order_by(Campaign.starts_at.desc(), Deal.id)
    )
    return [(deal, campaign, product) for deal, campaign, product in rows.all()]
