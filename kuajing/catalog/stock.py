"""A product's stock: a counter taken by a guarded update (only if that many units are there) and
given back when an order holding them is cancelled, expires or is returned to stock. Products are
always locked in id order, the order every writer follows, after the buyer's CBEC year."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository
from kuajing.catalog.snapshots import ProductSnapshots


async def take(
    session: AsyncSession, products: ProductSnapshots, *, lines: Iterable[tuple[int, int]]
) -> int | None:
    """Take each (product id, quantity) off its product's stock; the id of the first product
    that had too few units (the caller then raises, and its transaction gives back whatever
    was taken), or None when every line was taken."""
    taken = sorted(lines)
    for product_id, quantity in taken:
        if not await repository.take_stock(session, product_id=product_id, quantity=quantity):
            return product_id
    products.forget(product_id for product_id, _quantity in taken)
    return None


async def give_back(
    session: AsyncSession, products: ProductSnapshots, *, lines: Iterable[tuple[int, int]]
) -> None:
    """Put each (product id, quantity) back on sale."""
    given = sorted(lines)
    for product_id, quantity in given:
        await repository.return_stock(session, product_id=product_id, quantity=quantity)
    products.forget(product_id for product_id, _quantity in given)
