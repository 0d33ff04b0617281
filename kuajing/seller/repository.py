from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import rowcount, upsert
from kuajing.models import Product, SellerDocument, SellerProfile, SellerReview


async def get_profile(session: AsyncSession, seller_id: int) -> SellerProfile | None:
    return await session.get(SellerProfile, seller_id)


async def get_profiles(session: AsyncSession, seller_ids: Iterable[int]) -> dict[int, SellerProfile]:
    ids = set(seller_ids)
    if not ids:
        return {}
    rows = await session.scalars(select(SellerProfile).where(SellerProfile.user_id.in_(ids)))
    return {p.user_id: p for p in rows}


async def save_profile(session: AsyncSession, values: dict[str, Any]) -> SellerProfile:
    await session.execute(upsert(session, SellerProfile.__table__, values, key=["user_id"]))
    profile = await session.get(SellerProfile, values["user_id"], populate_existing=True)
    assert profile is not None
    return profile


async def profiles_by_state(session: AsyncSession, *, per_state: int) -> list[SellerProfile]:
    """Up to `per_state` sellers from every state, those listing the most products first (then
    by name), and only sellers with something listed; by state, then that order. Every state
    shows however many sellers the others have."""
    products = (
        select(Product.seller_id, func.count(Product.id).label("listed"))
        .where(Product.parent_id.is_(None))  # a product in sizes counts once
        .group_by(Product.seller_id)
        .subquery()
    )
    ranked = (
        select(
            SellerProfile.user_id,
            func.row_number()
            .over(
                partition_by=SellerProfile.us_state,
                order_by=(products.c.listed.desc(), SellerProfile.legal_name, SellerProfile.user_id),
            )
            .label("rank"),
        )
        .join(products, products.c.seller_id == SellerProfile.user_id)
        # only approved sellers are shown, never a rehearsal's
        .where(SellerProfile.status == "approved", SellerProfile.rehearsal.is_(False))
        .subquery()
    )
    rows = await session.execute(
        select(SellerProfile, ranked.c.rank)
        .join(ranked, ranked.c.user_id == SellerProfile.user_id)
        .where(ranked.c.rank <= per_state)
        .order_by(SellerProfile.us_state, ranked.c.rank)
    )
    return [profile for profile, _rank in rows.all()]


async def profiles_page(
    session: AsyncSession, *, before_id: int | None, limit: int, status: str | None = None
) -> list[tuple[SellerProfile, int]]:
    """Sellers with a profile, the newest first, each with how many products it lists (counted
    per row through the products' seller index, so a page costs one statement); a rehearsal's
    synthetic sellers are left out."""
    products = (
        select(func.count(Product.id))
        .where(Product.seller_id == SellerProfile.user_id, Product.parent_id.is_(None))
        .correlate(SellerProfile)
        .scalar_subquery()
    )
    query = (
        select(SellerProfile, products)
        .where(SellerProfile.rehearsal.is_(False))
        .order_by(SellerProfile.user_id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(SellerProfile.user_id < before_id)
    if status is not None:
        query = query.where(SellerProfile.status == status)
    rows = await session.execute(query)
    return [(profile, int(count)) for profile, count in rows.all()]


async def lock_profile(session: AsyncSession, seller_id: int) -> SellerProfile | None:
    """The profile, its row locked until the transaction ends (PostgreSQL; SQLite's writers
    already queue): two decisions on one seller are taken one after the other."""
    return await session.scalar(
        select(SellerProfile)
        .where(SellerProfile.user_id == seller_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def move_status(session: AsyncSession, *, seller_id: int, was: str, to: str) -> bool:
    """The seller's status from `was` to `to`, only if it still is `was`."""
    moved = await session.execute(
        update(SellerProfile)
        .where(SellerProfile.user_id == seller_id, SellerProfile.status == was)
        .values(status=to)
        .execution_options(synchronize_session=False)
    )
    return rowcount(moved) == 1


async def add_review(session: AsyncSession, review: SellerReview) -> SellerReview:
    session.add(review)
    await session.flush()
    return review


async def reviews_of(session: AsyncSession, seller_id: int) -> list[SellerReview]:
    """The seller's status changes, the oldest first."""
    return list(
        await session.scalars(
            select(SellerReview).where(SellerReview.seller_id == seller_id).order_by(SellerReview.id)
        )
    )


async def add_document(session: AsyncSession, document: SellerDocument) -> SellerDocument:
    session.add(document)
    await session.flush()
    return document


async def documents_of(session: AsyncSession, seller_id: int) -> list[SellerDocument]:
    """Every document the seller uploaded, the oldest first."""
    return list(
        await session.scalars(
            select(SellerDocument).where(SellerDocument.seller_id == seller_id).order_by(SellerDocument.id)
        )
    )


async def get_document(session: AsyncSession, document_id: int) -> SellerDocument | None:
    return await session.get(SellerDocument, document_id)


async def listed_categories(session: AsyncSession, seller_id: int) -> set[str]:
    """The categories the seller lists products in."""
    return set(
        await session.scalars(
            select(Product.category)
            .where(Product.seller_id == seller_id, Product.parent_id.is_(None))
            .distinct()
        )
    )
