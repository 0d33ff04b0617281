"""Every SQL statement of the media domain."""

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import ProductImage


async def images_of(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, list[ProductImage]]:
    """Each product's photos in order (main first); a product with none is absent."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    found: dict[int, list[ProductImage]] = {}
    for image in await session.scalars(
        select(ProductImage)
        .where(ProductImage.product_id.in_(ids))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
    ):
        found.setdefault(image.product_id, []).append(image)
    return found


async def count(session: AsyncSession, product_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(ProductImage.product_id == product_id)) or 0)


async def find_digest(session: AsyncSession, *, product_id: int, digest: str) -> ProductImage | None:
    return await session.scalar(
        select(ProductImage).where(ProductImage.product_id == product_id, ProductImage.digest == digest)
    )


async def add(session: AsyncSession, image: ProductImage) -> ProductImage:
    session.add(image)
    await session.flush()
    return image


async def remove(session: AsyncSession, image: ProductImage) -> None:
    await session.delete(image)
    await session.flush()


async def place(session: AsyncSession, order: Sequence[int]) -> None:
    """Positions 0, 1, … for the images `order` names, in that order."""
    for position, image_id in enumerate(order):
        await session.execute(
            update(ProductImage).where(ProductImage.id == image_id).values(position=position)
        )
