from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import upsert
from kuajing.models import SellerProfile


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


async def list_profiles(session: AsyncSession, *, limit: int) -> list[SellerProfile]:
    """Sellers with a profile, by state and then name."""
    rows = await session.scalars(
        select(SellerProfile).order_by(SellerProfile.us_state, SellerProfile.legal_name).limit(limit)
    )
    return list(rows)
