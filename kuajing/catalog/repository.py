from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from kuajing.db import one_of, rowcount
from kuajing.models import CatalogImport, Product


async def get_product(session: AsyncSession, product_id: int) -> Product | None:
    return await session.get(Product, product_id)


# Ids per statement: a search may ask for the whole catalog, and a database takes at most so many
# parameters (asyncpg 32,767; SQLite 32,766 in most builds).
IDS_PER_QUERY = 5_000


def _chunks(ids: set[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[at : at + IDS_PER_QUERY] for at in range(0, len(ordered), IDS_PER_QUERY)]


async def get_products(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, Product]:
    found: dict[int, Product] = {}
    for chunk in _chunks(set(product_ids)):
        found |= {
            p.id: p for p in await session.scalars(select(Product).where(one_of(session, Product.id, chunk)))
        }
    return found


async def variants_of(session: AsyncSession, parent_ids: Iterable[int]) -> dict[int, list[Product]]:
    """Each product's variants, in the order they were added, as the database has them now (rows
    already in the session are read again: a bulk update of their product's columns may have
    changed them); a product without options has none."""
    ids = set(parent_ids)
    found: dict[int, list[Product]] = {parent_id: [] for parent_id in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(Product)
        .where(Product.parent_id.in_(ids))
        .order_by(Product.id)
        .execution_options(populate_existing=True)
    )
    for variant in rows:
        assert variant.parent_id is not None
        found[variant.parent_id].append(variant)
    return found


async def variant_ids_of(session: AsyncSession, parent_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    ids = set(parent_ids)
    if not ids:
        return {}
    found: dict[int, list[int]] = {parent_id: [] for parent_id in ids}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(func.coalesce(Product.parent_id, 0), Product.id)
            .where(one_of(session, Product.parent_id, chunk))
            .order_by(Product.id)
        )
        for parent_id, variant_id in rows:
            found[parent_id].append(variant_id)
    return {parent_id: tuple(variant_ids) for parent_id, variant_ids in found.items()}


async def update_variants(session: AsyncSession, *, parent_id: int, values: dict[str, Any]) -> None:
    """Copy product-wide columns onto every variant of the product, in one statement."""
    await session.execute(
        update(Product)
        .where(Product.parent_id == parent_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def lowest_variant_price(session: AsyncSession, *, parent_id: int) -> int | None:
    return await session.scalar(select(func.min(Product.price_amount)).where(Product.parent_id == parent_id))


async def lock_product(session: AsyncSession, product_id: int) -> Product | None:
    """The product, its row locked until the transaction ends (PostgreSQL; SQLite's writers
    already queue on BEGIN IMMEDIATE)."""
    return await session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_by_sku(session: AsyncSession, *, seller_id: int, sku: str) -> Product | None:
    return await session.scalar(select(Product).where(Product.seller_id == seller_id, Product.sku == sku))


async def list_products(
    session: AsyncSession, *, seller_id: int, after_id: int | None, limit: int
) -> list[Product]:
    """A seller's products (not variants) in the order listed, a page after `after_id`."""
    conditions = [Product.parent_id.is_(None), Product.seller_id == seller_id]
    if after_id is not None:
        conditions.append(Product.id > after_id)
    return list(await session.scalars(select(Product).where(*conditions).order_by(Product.id).limit(limit)))


async def listed_ids(session: AsyncSession) -> list[int]:
    """Every product's id (a variant is listed through its product), in the order listed."""
    return list(
        await session.scalars(select(Product.id).where(Product.parent_id.is_(None)).order_by(Product.id))
    )


async def add_product(session: AsyncSession, product: Product) -> Product:
    session.add(product)
    await session.flush()
    return product


async def add_products(session: AsyncSession, products: list[Product]) -> None:
    session.add_all(products)
    await session.flush()


async def update_product(session: AsyncSession, product: Product, values: dict[str, Any]) -> Product:
    for key, value in values.items():
        setattr(product, key, value)
    await session.flush()
    return product


_TAKE_STOCK = (
    update(Product)
    .where(Product.id == bindparam("product_id"), Product.stock >= bindparam("quantity"))
    .values(stock=Product.stock - bindparam("quantity"))
    .execution_options(synchronize_session=False)
)  # built once: every order placed runs it


async def take_stock(session: AsyncSession, *, product_id: int, quantity: int) -> bool:
    """The guarded decrement: succeeds only if enough stock is there, in one statement."""
    result = await session.execute(_TAKE_STOCK, {"product_id": product_id, "quantity": quantity})
    return rowcount(result) == 1


async def adjust_stock(session: AsyncSession, *, product_id: int, delta: int, maximum: int) -> bool:
    """A seller's restock or write-off, guarded so stock stays within 0..maximum."""
    result = await session.execute(
        update(Product)
        .where(Product.id == product_id, Product.stock + delta >= 0, Product.stock + delta <= maximum)
        .values(stock=Product.stock + delta)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def return_stock(session: AsyncSession, *, product_id: int, quantity: int) -> None:
    await session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(stock=Product.stock + quantity)
        .execution_options(synchronize_session=False)
    )


async def by_skus(session: AsyncSession, *, seller_id: int, skus: Iterable[str]) -> dict[str, Product]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    found = await session.scalars(
        select(Product).where(Product.seller_id == seller_id, Product.sku.in_(wanted))
    )
    return {product.sku: product for product in found}


async def add_import(session: AsyncSession, job: CatalogImport) -> CatalogImport:
    session.add(job)
    await session.flush()
    return job


async def get_import(session: AsyncSession, import_id: int) -> CatalogImport | None:
    """The job with its file and report (deferred elsewhere: a list of jobs reads neither)."""
    return await session.get(
        CatalogImport,
        import_id,
        populate_existing=True,
        options=[undefer(CatalogImport.content), undefer(CatalogImport.report)],
    )


async def claim_import(session: AsyncSession, *, import_id: int, was: str, now_status: str) -> bool:
    """Move the job from `was` to `now_status`, only if it still is `was` (one runner a job)."""
    moved = await session.execute(
        update(CatalogImport)
        .where(CatalogImport.id == import_id, CatalogImport.status == was)
        .values(status=now_status)
    )
    return rowcount(moved) == 1


async def save_import(session: AsyncSession, *, import_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(CatalogImport).where(CatalogImport.id == import_id).values(**values))


async def imports_of(session: AsyncSession, *, seller_id: int, limit: int) -> list[CatalogImport]:
    return list(
        await session.scalars(
            select(CatalogImport)
            .where(CatalogImport.seller_id == seller_id)
            .order_by(CatalogImport.id.desc())
            .limit(limit)
        )
    )
