"""Products' photos: added (checked and drawn first, so a bad file writes nothing), listed in
order, reordered (the first is the main photo) and removed with their files. The caller has
checked that the seller owns the product, and holds its row locked while the photos change."""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.media import images, repository
from kuajing.media.errors import DuplicateImage, ImageNotFound, ImageOrderMismatch, TooManyImages
from kuajing.media.storage import Storage, rendition_key
from kuajing.models import ProductImage

MAX_IMAGES = 10
# Photos drawn at once by this process: each takes a core and up to a few hundred MB for a moment.
_DRAWING = asyncio.Semaphore(2)


@dataclass(frozen=True, slots=True)
class Size:
    width: int
    height: int
    webp: str  # URLs
    jpg: str


@dataclass(frozen=True, slots=True)
class Shown:
    """A photo as pages and the API show it: `url` is its largest WebP."""

    id: int
    position: int
    width: int
    height: int
    url: str
    sizes: tuple[Size, ...]

    def at_least(self, width: int) -> Size:
        """The smallest size at least `width` wide (the largest when none is)."""
        return next((size for size in self.sizes if size.width >= width), self.sizes[-1])


def _keys(image: ProductImage, width: int) -> tuple[str, str]:
    return (
        rendition_key(image.product_id, image.digest, width, "webp"),
        rendition_key(image.product_id, image.digest, width, "jpg"),
    )


def shown(image: ProductImage, storage: Storage) -> Shown:
    sizes = []
    for width in image.widths:
        webp, jpg = _keys(image, width)
        sizes.append(
            Size(
                width, max(1, round(image.height * width / image.width)), storage.url(webp), storage.url(jpg)
            )
        )
    return Shown(image.id, image.position, image.width, image.height, sizes[-1].webp, tuple(sizes))


async def images_of(
    session: AsyncSession, storage: Storage, product_ids: Iterable[int]
) -> dict[int, list[Shown]]:
    """Each product's photos, main first (a product with none maps to [])."""
    ids = list(product_ids)
    found = await repository.images_of(session, ids)
    return {product_id: [shown(image, storage) for image in found.get(product_id, [])] for product_id in ids}


async def prepare(data: bytes) -> images.Processed:
    """Check and draw an upload (in a thread, two at a time): before any lock is taken."""
    async with _DRAWING:
        return await asyncio.to_thread(images.process, data)


async def add_image(
    session: AsyncSession,
    storage: Storage,
    *,
    product_id: int,
    processed: images.Processed,
    source_bytes: int,
    now: datetime,
) -> Shown:
    """Keep a prepared photo as the product's last photo (its main photo when it is the first).
    Refused, nothing is written: the product already has MAX_IMAGES photos, or this very photo."""
    held = await repository.count(session, product_id)
    if held >= MAX_IMAGES:
        raise TooManyImages(message=f"A product has at most {MAX_IMAGES} photos; remove one first.")
    if await repository.find_digest(session, product_id=product_id, digest=processed.digest):
        raise DuplicateImage(message="This photo is already on the product.")
    image = await repository.add(
        session,
        ProductImage(
            product_id=product_id,
            position=held,
            digest=processed.digest,
            width=processed.width,
            height=processed.height,
            widths=list(processed.widths),
            source_type=processed.source_type,
            source_bytes=source_bytes,
            created_at=now,
        ),
    )
    written: list[str] = []
    try:
        for rendition in processed.renditions:
            key = rendition_key(product_id, processed.digest, rendition.width, rendition.format)
            await storage.put(key, rendition.data, images.CONTENT_TYPES[rendition.format])
            written.append(key)
    except BaseException:
        for key in written:
            await storage.delete(key)
        raise
    return shown(image, storage)


async def _held(session: AsyncSession, product_id: int) -> list[ProductImage]:
    return (await repository.images_of(session, [product_id])).get(product_id, [])


async def reorder(
    session: AsyncSession, storage: Storage, *, product_id: int, order: Sequence[int]
) -> list[Shown]:
    """Put the product's photos in `order` (every one of its photo ids, once): the first is main."""
    held = await _held(session, product_id)
    if sorted(order) != sorted(image.id for image in held) or len(set(order)) != len(order):
        raise ImageOrderMismatch(
            message="Name each of the product's photos once: "
            f"its photos are {', '.join(str(image.id) for image in held) or 'none'}."
        )
    await repository.place(session, order)
    by_id = {image.id: image for image in held}
    for position, image_id in enumerate(order):
        by_id[image_id].position = position
    return [shown(by_id[image_id], storage) for image_id in order]


async def remove_image(session: AsyncSession, storage: Storage, *, product_id: int, image_id: int) -> None:
    """Remove the photo and its files; the photos after it move up (the next becomes main)."""
    held = await _held(session, product_id)
    image = next((image for image in held if image.id == image_id), None)
    if image is None:
        raise ImageNotFound(message=f"Product {product_id} has no photo {image_id}.")
    await repository.remove(session, image)
    await repository.place(session, [other.id for other in held if other.id != image_id])
    for width in image.widths:
        for key in _keys(image, width):
            await storage.delete(key)
