"""The bilingual catalog: sellers list and edit their products; everyone browses and searches."""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository
from kuajing.catalog.errors import (
    DuplicateSku,
    InvalidAttributes,
    NotYourProduct,
    ProductNotFound,
    StockWouldGoNegative,
)
from kuajing.catalog.listing_prices import ListingPrice, listing_prices
from kuajing.catalog.schemas import MAX_STOCK
from kuajing.catalog.search import index_text, query_terms
from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.compliance import category_rules
from kuajing.compliance.category_rules import RuleProblem
from kuajing.kit.money import Money
from kuajing.kit.pagination import decode_cursor, page_of
from kuajing.kit.time import utcnow
from kuajing.media import service as media_service
from kuajing.media.images import Processed
from kuajing.media.storage import Storage
from kuajing.models import Product
from kuajing.seller import service as seller_service
from kuajing.seller.errors import CurrencyNotAllowed

MAX_ATTRIBUTES_BYTES = 8_000
MAX_ATTRIBUTE_DEPTH = 4
MAX_PRICE_CENTS = 10_000_000  # $100,000


@dataclass(frozen=True, slots=True)
class Listing:
    product: Product
    price: ListingPrice | None
    problems: list[RuleProblem]
    zh_size: str | None
    bonded_warehouse_only: bool

    @classmethod
    def of(cls, product: Product, price: ListingPrice | None) -> "Listing":
        return cls(
            product,
            price,
            category_rules.listing_problems(product.hs_code, product.attributes),
            category_rules.zh_size(product.hs_code, product.attributes),
            category_rules.bonded_warehouse_only(product.hs_code, product.attributes)
            or (price is not None and price.bonded_only),
        )


@dataclass(frozen=True, slots=True)
class Page:
    listings: list[Listing]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class StorefrontListing:
    """A product on the storefront's search page and its yuan price (None: not priced yet)."""

    product: ProductFacts
    price: ListingPrice | None


@dataclass(frozen=True, slots=True)
class StorefrontPage:
    listings: list[StorefrontListing]
    next_cursor: str | None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _check_attributes(attributes: dict[str, Any]) -> None:
    if len(json.dumps(attributes, ensure_ascii=False).encode()) > MAX_ATTRIBUTES_BYTES:
        raise InvalidAttributes(message=f"Attributes may take at most {MAX_ATTRIBUTES_BYTES} bytes as JSON.")
    if _depth(attributes) > MAX_ATTRIBUTE_DEPTH:
        raise InvalidAttributes(message=f"Attributes may nest at most {MAX_ATTRIBUTE_DEPTH} levels.")


def _check_price(price: Money) -> None:
    if price.currency != "USD":
        raise CurrencyNotAllowed(message="Sellers list prices in USD.")
    if not 1 <= price.amount <= MAX_PRICE_CENTS:
        raise CurrencyNotAllowed("invalid_price", "The price must be between $0.01 and $100,000.00.")


def _search_text(product: Product) -> str:
    return index_text(
        product.title_en,
        product.title_zh,
        product.description_en,
        product.description_zh,
        product.category,
        product.sku,
    )


async def create_product(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    seller_id: int,
    sku: str,
    title: dict[str, str],
    description: dict[str, str],
    category: str,
    hs_code: str,
    price: Money,
    stock: int,
    weight_grams: int,
    attributes: dict[str, Any],
) -> Product:
    await seller_service.get_profile(session, seller_id=seller_id)  # a seller lists only once set up
    _check_price(price)
    _check_attributes(attributes)
    if await repository.get_by_sku(session, seller_id=seller_id, sku=sku) is not None:
        raise DuplicateSku(message=f"You already list SKU {sku}.")
    now = utcnow()
    product = Product(
        seller_id=seller_id,
        sku=sku,
        title_en=title["en"].strip(),
        title_zh=title["zh"].strip(),
        description_en=description.get("en", "").strip(),
        description_zh=description.get("zh", "").strip(),
        category=category,
        hs_code=hs_code,
        price_amount=price.amount,
        price_currency=price.currency,
        stock=stock,
        weight_grams=weight_grams,
        attributes=attributes,
        search_text="",
        created_at=now,
        updated_at=now,
    )
    product.search_text = _search_text(product)
    try:
        async with session.begin_nested():
            await repository.add_product(session, product)
    except IntegrityError as exc:
        raise DuplicateSku(message=f"You already list SKU {sku}.") from exc
    snapshots.products.forget_searches()
    snapshots.sellers.forget_featured()
    return product


async def update_product(
    session: AsyncSession, snapshots: Snapshots, *, seller_id: int, product_id: int, changes: dict[str, Any]
) -> Product:
    product = await owned_product(session, seller_id=seller_id, product_id=product_id)
    values: dict[str, Any] = {}
    if (title := changes.get("title")) is not None:
        values |= {"title_en": title["en"].strip(), "title_zh": title["zh"].strip()}
    if (description := changes.get("description")) is not None:
        values |= {"description_en": description["en"].strip(), "description_zh": description["zh"].strip()}
    if (price := changes.get("price")) is not None:
        money = Money(price["amount"], price["currency"])
        _check_price(money)
        values |= {"price_amount": money.amount, "price_currency": money.currency}
    if (attributes := changes.get("attributes")) is not None:
        _check_attributes(attributes)
        values["attributes"] = attributes
    for key in ("category", "hs_code", "weight_grams"):
        if changes.get(key) is not None:
            values[key] = changes[key]
    values["updated_at"] = utcnow()
    await repository.update_product(session, product, values)
    if {"title_en", "description_en", "category"} & values.keys():
        await repository.update_product(session, product, {"search_text": _search_text(product)})
    if delta := changes.get("stock_delta"):
        if not await repository.adjust_stock(session, product_id=product.id, delta=delta, maximum=MAX_STOCK):
            raise StockWouldGoNegative(message=f"Stock cannot go below 0 or above {MAX_STOCK:,}.")
        await session.refresh(product, ["stock"])
    snapshots.products.forget([product.id])
    snapshots.products.forget_searches()
    return product


async def find_by_sku(session: AsyncSession, *, seller_id: int, sku: str) -> Product | None:
    """The seller's product with this SKU, None if they list none."""
    return await repository.get_by_sku(session, seller_id=seller_id, sku=sku)


async def owned_product(
    session: AsyncSession,
    *,
    seller_id: int,
    product_id: int,
    refusal: str = "Only the seller who lists a product may change it.",
) -> Product:
    """The seller's own product, or why not: it does not exist, or another seller lists it
    (NotYourProduct, saying `refusal`)."""
    product = await repository.get_product(session, product_id)
    if product is None:
        raise ProductNotFound(message=f"No product {product_id}.")
    if product.seller_id != seller_id:
        raise NotYourProduct(message=refusal)
    return product


async def _locked_own(session: AsyncSession, *, seller_id: int, product_id: int) -> Product:
    """The seller's own product, its row locked while its photos change."""
    product = await repository.lock_product(session, product_id)
    if product is None:
        raise ProductNotFound(message=f"No product {product_id}.")
    if product.seller_id != seller_id:
        raise NotYourProduct(message="Only the seller who lists a product may change its photos.")
    return product


async def add_image(
    session: AsyncSession,
    storage: Storage,
    snapshots: Snapshots,
    *,
    seller_id: int,
    product_id: int,
    data: bytes,
) -> media_service.Shown:
    """A photo for the seller's own product, last in its order (main if it is the first). The
    photo is checked and drawn before the product is locked."""
    await owned_product(session, seller_id=seller_id, product_id=product_id)  # 404/403 before the work
    processed = await media_service.prepare(data)
    await _locked_own(session, seller_id=seller_id, product_id=product_id)
    added = await media_service.add_image(
        session, storage, product_id=product_id, processed=processed, source_bytes=len(data), now=utcnow()
    )
    snapshots.products.forget_photos([product_id])
    return added


async def add_prepared_image(
    session: AsyncSession,
    storage: Storage,
    snapshots: Snapshots,
    *,
    seller_id: int,
    product_id: int,
    processed: Processed,
) -> media_service.Shown:
    """A photo already checked and drawn (an import's), for the seller's own product."""
    await _locked_own(session, seller_id=seller_id, product_id=product_id)
    added = await media_service.add_image(
        session, storage, product_id=product_id, processed=processed, source_bytes=0, now=utcnow()
    )
    snapshots.products.forget_photos([product_id])
    return added


async def reorder_images(
    session: AsyncSession,
    storage: Storage,
    snapshots: Snapshots,
    *,
    seller_id: int,
    product_id: int,
    order: list[int],
) -> list[media_service.Shown]:
    await _locked_own(session, seller_id=seller_id, product_id=product_id)
    shown = await media_service.reorder(session, storage, product_id=product_id, order=order)
    snapshots.products.forget_photos([product_id])
    return shown


async def remove_image(
    session: AsyncSession,
    storage: Storage,
    snapshots: Snapshots,
    *,
    seller_id: int,
    product_id: int,
    image_id: int,
) -> None:
    await _locked_own(session, seller_id=seller_id, product_id=product_id)
    await media_service.remove_image(session, storage, product_id=product_id, image_id=image_id)
    snapshots.products.forget_photos([product_id])


async def storefront_photos(
    session: AsyncSession, storage: Storage, snapshots: Snapshots, product_ids: list[int]
) -> dict[int, list[media_service.Shown]]:
    """The photos buyers see, from the worker's snapshot (at most KUAJING_READ_CACHE_SECONDS old;
    the worker that changes a product's photos forgets them at once)."""

    async def load(missing: set[int]) -> dict[int, list[media_service.Shown]]:
        return await media_service.images_of(session, storage, sorted(missing))

    return await snapshots.products.photos(product_ids, load)


async def images_of(
    session: AsyncSession, storage: Storage, product_ids: list[int]
) -> dict[int, list[media_service.Shown]]:
    return await media_service.images_of(session, storage, product_ids)


async def get_listing(session: AsyncSession, snapshots: Snapshots, *, product_id: int) -> Listing:
    product = await repository.get_product(session, product_id)
    if product is None:
        raise ProductNotFound(message=f"No product {product_id}.")
    prices = await listing_prices(session, snapshots, [product])
    return Listing.of(product, prices.get(product.id))


async def search(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    q: str | None,
    category: str | None,
    seller_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page:
    products = await repository.list_products(
        session,
        terms=query_terms(q) if q else [],
        category=category,
        seller_id=seller_id,
        after_id=decode_cursor(cursor),
        limit=limit + 1,
    )
    products, next_cursor = page_of(products, limit)
    prices = await listing_prices(session, snapshots, products)
    return Page(listings=[Listing.of(p, prices.get(p.id)) for p in products], next_cursor=next_cursor)


async def storefront_search(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    q: str | None,
    category: str | None,
    limit: int,
    cursor: str | None,
) -> StorefrontPage:
    """search() for buyers' pages: the products found come from this worker's recent searches
    (at most KUAJING_READ_CACHE_SECONDS old), priced now from the price snapshots, so a new FX
    rate or shipping fee shows as soon as a quote would show it."""
    terms = tuple(query_terms(q)) if q else ()
    after_id = decode_cursor(cursor)

    async def load() -> tuple[tuple[int, ...], str | None]:
        products = await repository.list_products(
            session, terms=list(terms), category=category, seller_id=None, after_id=after_id, limit=limit + 1
        )
        found, next_cursor = page_of(products, limit)
        snapshots.products.remember(found)  # what the search just read, for the lines below
        return tuple(p.id for p in found), next_cursor

    key = (terms, category, after_id, limit)
    ids, next_cursor = await snapshots.products.search(key, load)
    facts = await snapshots.products.facts(session, ids)
    products = [facts[product_id] for product_id in ids if product_id in facts]  # deleted since: left out
    prices = await listing_prices(session, snapshots, products)
    return StorefrontPage([StorefrontListing(p, prices.get(p.id)) for p in products], next_cursor)


async def get_products(session: AsyncSession, product_ids: list[int]) -> dict[int, Product]:
    """The products that exist of these ids, by id, read from the database."""
    return await repository.get_products(session, product_ids)
