from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import JobsRatio, Order, SellerProfile


async def latest_ratio(session: AsyncSession) -> JobsRatio | None:
    return await session.scalar(select(JobsRatio).order_by(JobsRatio.data_year.desc()).limit(1))


async def insert_missing_ratios(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    existing = set((await session.scalars(select(JobsRatio.data_year))).all())
    added = 0
    for row in rows:
        if int(row["data_year"]) not in existing:
            session.add(
                JobsRatio(
                    data_year=int(row["data_year"]),
                    jobs_per_billion_usd=int(row["jobs_per_billion_usd"]),
                    published=row["published"],
                    source=row["source"],
                )
            )
            added += 1
    await session.flush()
    return added


async def export_sales_by_seller(
    session: AsyncSession, *, statuses: list[str]
) -> list[tuple[str, int, int, int]]:
    """(state, seller id, employees, USD cents of goods) for every seller with paid orders, but a
    rehearsal's synthetic seller (whose orders are never paid anyway)."""
    rows = await session.execute(
        select(
            SellerProfile.us_state,
            SellerProfile.user_id,
            SellerProfile.employees,
            func.sum(Order.goods_usd_amount),
        )
        .join(Order, Order.seller_id == SellerProfile.user_id)
        .where(Order.status.in_(statuses), SellerProfile.rehearsal.is_(False))
        .group_by(SellerProfile.us_state, SellerProfile.user_id, SellerProfile.employees)
    )
    return [(r[0], r[1], r[2], int(r[3])) for r in rows]
