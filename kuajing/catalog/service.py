"""The bilingual catalog: sellers list and edit their products; everyone browses and searches."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository, search_index, variants
from kuajing.catalog.errors import (
    DuplicateSku,
    InvalidAttributes,
    InvalidVariants,
    NotYourProduct,
    ProductNotFound,
    StockWouldGoNegative,
    UnknownVariant,
    VariantRequired,
)
from kuajing.catalog.listing_prices import ListingPrice, listing_prices
from kuajing.catalog.schemas import MAX_STOCK, MAX_VARIANTS
from kuajing.catalog.search import Document, document
from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.catalog.variants import NewVariant
from kuajing.compliance import category_rules
from kuajing.compliance.category_rules import RuleProblem
from kuajing.db import savepoint
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
# What a variant shares with its product, copied onto it whenever the product changes.
SHARED_COLUMNS = frozenset(
    {"title_en", "title_zh", "description_en", "description_zh", "category", "hs_code", "updated_at"}
)


@dataclass(frozen=True, slots=True)
class VariantListing:
    """One variant as its product's listing shows it (a product without options: itself)."""

    row: Product
    price: ListingPrice | None
    zh_size: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    product: Product
    price: ListingPrice | None  # the lowest-priced variant's
    problems: list[RuleProblem]
    zh_size: str | None
    bonded_warehouse_only: bool
    variants: list[VariantListing]

    @property
    def stock(self) -> int:
        return sum(variant.row.stock for variant in self.variants)

    @classmethod
    def of(
        cls, product: Product, prices: dict[int, ListingPrice], variants: list[Product] | None = None
    ) -> "Listing":
        rows = variants if product.has_variants and variants is not None else [product]
        shown = [
            VariantListing(row, prices.get(row.id), category_rules.zh_size(row.hs_code, row.attributes))
            for row in rows
        ]
        priced = [variant.price for variant in shown if variant.price is not None]
        price = min(priced, key=lambda p: p.price_cny) if priced else None
        return cls(
            product,
            price,
            category_rules.listing_problems(product.hs_code, product.attributes),
            shown[0].zh_size if len(shown) == 1 else None,
            category_rules.bonded_warehouse_only(product.hs_code, product.attributes)
            or (price is not None and price.bonded_only),
            shown,
        )


@dataclass(frozen=True, slots=True)
class Page:
    listings: list[Listing]
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


def _document(product: Product) -> Document:
    return document(
        titles=[product.title_en, product.title_zh],
        texts=[product.description_en, product.description_zh],
        codes=[product.category, product.sku],
    )


def _variant_row(product: Product, variant: NewVariant, *, values: list[str], own: dict[str, Any]) -> Product:
    """A variant's row: the product's titles, texts, category and HS code, its own SKU, values,
    price, stock, weight and measurements."""
    return Product(
        seller_id=product.seller_id,
        parent_id=product.id,
        sku=variant.sku,
        option_values=values,
        title_en=product.title_en,
        title_zh=product.title_zh,
        description_en=product.description_en,
        description_zh=product.description_zh,
        category=product.category,
        hs_code=product.hs_code,
        price_amount=variant.price.amount,
        price_currency=variant.price.currency,
        stock=variant.stock,
        weight_grams=variant.weight_grams,
        attributes=variants.merged_attributes(product.attributes, own),
        created_at=product.updated_at,
        updated_at=product.updated_at,
    )


def _checked_variant(options: list[dict[str, Any]], variant: NewVariant) -> tuple[list[str], dict[str, Any]]:
    _check_price(variant.price)
    return (
        variants.checked_values(options, variant.options, sku=variant.sku),
        variants.checked_own_attributes(variant.attributes, sku=variant.sku),
    )


async def _refuse_listed_skus(session: AsyncSession, *, seller_id: int, skus: list[str]) -> None:
    listed = await repository.by_skus(session, seller_id=seller_id, skus=skus)
    if listed:
        raise DuplicateSku(message=f"You already list SKU {', '.join(sorted(listed))}.")


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
    price: Money | None,
    stock: int | None,
    weight_grams: int | None,
    attributes: dict[str, Any],
    options: Sequence[Mapping[str, Any]] = (),
    new_variants: Sequence[NewVariant] = (),
) -> Product:
    """A product; with `options`, sold as `new_variants` (each its own SKU, price, stock, weight
    and measurements), its own price the lowest of theirs and its stock none of its own."""
    await seller_service.get_profile(session, seller_id=seller_id)  # a seller lists only once set up
    _check_attributes(attributes)
    checked_options = variants.checked_options(options)
    if bool(checked_options) != bool(new_variants):
        raise InvalidVariants(
            message="Options and variants go together: name the options, then list the variants."
        )
    rows = [_checked_variant(checked_options, variant) for variant in new_variants]
    variants.check_distinct(
        [(v.sku, values) for v, (values, _) in zip(new_variants, rows, strict=True)], product_sku=sku
    )
    if new_variants:
        price = min((v.price for v in new_variants), key=lambda m: m.amount)
        stock, weight_grams = 0, new_variants[0].weight_grams
    if price is None or stock is None or weight_grams is None:
        raise InvalidVariants(message="A product without options needs its price, stock and weight.")
    _check_price(price)
    await _refuse_listed_skus(session, seller_id=seller_id, skus=[sku, *(v.sku for v in new_variants)])
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
        options=checked_options,
        has_variants=bool(new_variants),
        created_at=now,
        updated_at=now,
    )
    try:
        async with savepoint(session):
            await repository.add_product(session, product)
            await search_index.save_documents(session, {product.id: _document(product)})
            await repository.add_products(
                session,
                [
                    _variant_row(product, variant, values=values, own=own)
                    for variant, (values, own) in zip(new_variants, rows, strict=True)
                ],
            )
    except IntegrityError as exc:
        raise DuplicateSku(message=f"You already list SKU {sku} or one of its variants' SKUs.") from exc
    snapshots.products.forget_searches()
    snapshots.sellers.forget_featured()
    return product


async def update_product(
    session: AsyncSession, snapshots: Snapshots, *, seller_id: int, product_id: int, changes: dict[str, Any]
) -> Product:
    # locked: a variant changed meanwhile (update_variant locks it too) merges its measurements
    # into the product's attributes as they are now
    product = await _locked_own(
        session,
        seller_id=seller_id,
        product_id=product_id,
        refusal="Only the seller who lists a product may change it.",
    )
    if product.has_variants and {"price", "stock_delta", "weight_grams"} & {
        key
        for key, value in changes.items()
        if value  # a stock_delta of 0 changes nothing
    }:
        raise VariantRequired(
            message="This product's price, stock and weight are each variant's: change them on the variant."
        )
    values: dict[str, Any] = {}
    if (title := changes.get("title")) is not None:
        values |= {"title_en": title["en"].strip(), "title_zh": title["zh"].strip()}
    if (description := changes.get("description")) is not None:
        # a language left out is empty, as when the product was created (BilingualText's default)
        values |= {
            "description_en": description.get("en", "").strip(),
            "description_zh": description.get("zh", "").strip(),
        }
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
        await search_index.save_documents(session, {product.id: _document(product)})
    if product.has_variants:
        await _copy_to_variants(session, snapshots, product, values)
    if delta := changes.get("stock_delta"):
        if not await repository.adjust_stock(session, product_id=product.id, delta=delta, maximum=MAX_STOCK):
            raise StockWouldGoNegative(message=f"Stock cannot go below 0 or above {MAX_STOCK:,}.")
        await session.refresh(product, ["stock"])
    snapshots.products.forget([product.id])
    snapshots.products.forget_searches()
    return product


async def _copy_to_variants(
    session: AsyncSession, snapshots: Snapshots, product: Product, values: dict[str, Any]
) -> None:
    """The product-wide columns just changed, onto every variant (attributes merged with each
    variant's own measurements)."""
    shared = {key: value for key, value in values.items() if key in SHARED_COLUMNS}
    await repository.update_variants(session, parent_id=product.id, values=shared)
    rows = (await repository.variants_of(session, [product.id]))[product.id]
    if "attributes" in values:
        for row in rows:
            merged = variants.merged_attributes(product.attributes, variants.own_attributes(row.attributes))
            await repository.update_product(session, row, {"attributes": merged})
    snapshots.products.forget([row.id for row in rows])


async def add_variant(
    session: AsyncSession, snapshots: Snapshots, *, seller_id: int, product_id: int, variant: NewVariant
) -> Product:
    """One more variant of the seller's product with options; a value its option does not list
    yet (a new size) is added to the option."""
    product = await _locked_own(
        session,
        seller_id=seller_id,
        product_id=product_id,
        refusal="Only the seller who lists a product may add variants.",
    )
    if not product.has_variants:
        raise InvalidVariants(
            message="This product has no options; list a product with options (e.g. Size) to sell variants."
        )
    options = variants.extended_options(product.options, variant.options, sku=variant.sku)
    values, own = _checked_variant(options, variant)
    existing = (await repository.variants_of(session, [product.id]))[product.id]
    if len(existing) >= MAX_VARIANTS:
        raise InvalidVariants(message=f"A product has at most {MAX_VARIANTS} variants.")
    variants.check_distinct(
        [(row.sku, row.option_values) for row in existing] + [(variant.sku, values)], product_sku=product.sku
    )
    await _refuse_listed_skus(session, seller_id=seller_id, skus=[variant.sku])
    if options != product.options:
        await repository.update_product(session, product, {"options": options})
    row = _variant_row(product, variant, values=values, own=own)
    row.created_at = row.updated_at = utcnow()
    try:
        async with savepoint(session):
            await repository.add_product(session, row)
    except IntegrityError as exc:
        raise DuplicateSku(message=f"You already list SKU {variant.sku}.") from exc
    await _after_variant_change(session, snapshots, product, row)
    return row


async def update_variant(
    session: AsyncSession,
    snapshots: Snapshots,
    *,
    seller_id: int,
    product_id: int,
    variant_id: int,
    changes: dict[str, Any],
) -> Product:
    """A variant's price, weight, measurements or stock (as a delta, like a product's). The
    product is locked: its lowest price and its attributes are read as they are now."""
    product = await _locked_own(
        session,
        seller_id=seller_id,
        product_id=product_id,
        refusal="Only the seller who lists a product may change it.",
    )
    row = await repository.get_product(session, variant_id)
    if row is None or row.parent_id != product.id:
        raise UnknownVariant(message=f"Product {product_id} has no variant {variant_id}.")
    values: dict[str, Any] = {}
    if (price := changes.get("price")) is not None:
        money = Money(price["amount"], price["currency"])
        _check_price(money)
        values |= {"price_amount": money.amount, "price_currency": money.currency}
    if changes.get("weight_grams") is not None:
        values["weight_grams"] = changes["weight_grams"]
    if (attributes := changes.get("attributes")) is not None:
        own = variants.checked_own_attributes(attributes, sku=row.sku)
        values["attributes"] = variants.merged_attributes(product.attributes, own)
    values["updated_at"] = utcnow()
    await repository.update_product(session, row, values)
    if delta := changes.get("stock_delta"):
        if not await repository.adjust_stock(session, product_id=row.id, delta=delta, maximum=MAX_STOCK):
            raise StockWouldGoNegative(message=f"Stock cannot go below 0 or above {MAX_STOCK:,}.")
        await session.refresh(row, ["stock"])
    await _after_variant_change(session, snapshots, product, row)
    return row


async def _after_variant_change(
    session: AsyncSession, snapshots: Snapshots, product: Product, row: Product
) -> None:
    """The product's price is its lowest variant's; its snapshot names its variants."""
    lowest = await repository.lowest_variant_price(session, parent_id=product.id)
    if lowest is not None and lowest != product.price_amount:
        await repository.update_product(session, product, {"price_amount": lowest})
    snapshots.products.forget([product.id, row.id])
    snapshots.products.forget_searches()


async def sellable_lines(
    session: AsyncSession, snapshots: Snapshots, lines: Sequence[tuple[int, int | None, int]]
) -> list[tuple[int, int]]:
    """(product id, variant id or None, quantity) as the API names a line -> (the row sold,
    quantity). A product without options is its own only variant, and a product with a single
    variant needs no variant id; a product with several does (variant_required).

    Read from this worker's snapshot: which variants a product has only grows, and a variant
    never changes product, so only a variant added since the snapshot was taken can be missing
    from it; the database is asked before anything is refused."""
    named = {product_id for product_id, _, _ in lines}
    try:
        return _sold_rows(lines, await snapshots.products.facts(session, named))
    except (UnknownVariant, VariantRequired):
        return _sold_rows(lines, await snapshots.products.facts(session, named, fresh=True))


async def sellable_facts(
    session: AsyncSession, snapshots: Snapshots, lines: Sequence[tuple[int, int | None, int]]
) -> tuple[list[tuple[int, int]], dict[int, ProductFacts]]:
    """sellable_lines read from the database, with the products named as read: placing an
    order prices those it sells from this read rather than reading them again."""
    facts = await snapshots.products.facts(session, {product_id for product_id, _, _ in lines}, fresh=True)
    return _sold_rows(lines, facts), facts


def _sold_rows(
    lines: Sequence[tuple[int, int | None, int]], facts: Mapping[int, ProductFacts]
) -> list[tuple[int, int]]:
    sold = []
    for product_id, variant_id, quantity in lines:
        product = facts.get(product_id)
        if product is None:
            sold.append((product_id, quantity))  # the checkout says which product does not exist
        elif product.parent_id is not None:
            raise UnknownVariant(
                message=f"{product_id} is a variant of product {product.parent_id}: name the product "
                f"and the variant ({{product_id: {product.parent_id}, variant_id: {product_id}}})."
            )
        elif variant_id is not None:
            if variant_id not in product.variant_ids and not (
                variant_id == product_id and not product.variant_ids
            ):
                raise UnknownVariant(message=f"Product {product_id} has no variant {variant_id}.")
            sold.append((variant_id, quantity))
        elif len(product.variant_ids) == 1:
            sold.append((product.variant_ids[0], quantity))
        elif product.variant_ids:
            raise VariantRequired(
                message=f"Product {product_id} comes in {len(product.variant_ids)} variants: say which "
                f"(variant_id, one of {', '.join(map(str, product.variant_ids))})."
            )
        else:
            sold.append((product_id, quantity))
    return sold


async def variants_of(session: AsyncSession, product: Product) -> list[Product]:
    """The product's variants, in the order they were added; none for a product without options."""
    if not product.has_variants:
        return []
    return (await repository.variants_of(session, [product.id]))[product.id]


async def sold_ids(session: AsyncSession, product: Product) -> list[int]:
    """The rows an order of the product names: its variants, or the product itself."""
    return [row.id for row in await variants_of(session, product)] or [product.id]


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
    _check_product(product, product_id)
    assert product is not None
    if product.seller_id != seller_id:
        raise NotYourProduct(message=refusal)
    return product


def _check_product(product: Product | None, product_id: int) -> None:
    """A product is there: not missing, and not a variant (reached through its product)."""
    if product is None:
        raise ProductNotFound(message=f"No product {product_id}.")
    if product.parent_id is not None:
        raise ProductNotFound(
            message=f"{product_id} is a variant of product {product.parent_id}; "
            f"see /api/v1/products/{product.parent_id}."
        )


async def _locked_own(
    session: AsyncSession,
    *,
    seller_id: int,
    product_id: int,
    refusal: str = "Only the seller who lists a product may change its photos.",
) -> Product:
    """The seller's own product, its row locked while its photos or variants change."""
    product = await repository.lock_product(session, product_id)
    _check_product(product, product_id)
    assert product is not None
    if product.seller_id != seller_id:
        raise NotYourProduct(message=refusal)
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


async def listings_of(session: AsyncSession, snapshots: Snapshots, products: list[Product]) -> list[Listing]:
    """Each product with its variants, priced."""
    rows = await repository.variants_of(session, [p.id for p in products if p.has_variants])
    sold = [row for p in products for row in (rows[p.id] if p.has_variants else [p])]
    prices = await listing_prices(session, snapshots, sold)
    return [Listing.of(p, prices, rows.get(p.id)) for p in products]


async def get_listing(
    session: AsyncSession, snapshots: Snapshots, *, product_id: int, viewer_id: int | None = None
) -> Listing:
    """The product, priced. Only an approved seller's products are shown, but to the seller
    who lists it (`viewer_id`): theirs are there while they wait for approval."""
    product = await repository.get_product(session, product_id)
    _check_product(product, product_id)
    assert product is not None
    if viewer_id != product.seller_id and not await seller_shown(session, snapshots, product.seller_id):
        raise ProductNotFound(message=f"No product {product_id}.")
    return (await listings_of(session, snapshots, [product]))[0]


async def seller_shown(session: AsyncSession, snapshots: Snapshots, seller_id: int) -> bool:
    """Whether buyers see the seller's products: they have a profile and are approved."""
    seller = (await snapshots.sellers.facts(session, [seller_id])).get(seller_id)
    return seller is not None and seller.approved


async def seller_listings(
    session: AsyncSession, snapshots: Snapshots, *, seller_id: int, limit: int, cursor: str | None
) -> Page:
    """A seller's own products, priced, in the order listed: their dashboard's and deals' list."""
    products = await repository.list_products(
        session, seller_id=seller_id, after_id=decode_cursor(cursor), limit=limit + 1
    )
    products, next_cursor = page_of(products, limit)
    return Page(listings=await listings_of(session, snapshots, products), next_cursor=next_cursor)


async def get_products(session: AsyncSession, product_ids: list[int]) -> dict[int, Product]:
    """The products that exist of these ids, by id, read from the database."""
    return await repository.get_products(session, product_ids)


async def index_unindexed(session: AsyncSession, *, batch: int = 500) -> int:
    """Write the search document of every product without one of this analysis (after
    migration 0012 every product; after the synonyms or the analysis change, every product
    again): how many were written."""
    written, after_id = 0, 0
    while products := await search_index.unindexed(session, after_id=after_id, limit=batch):
        await search_index.save_documents(session, {product.id: _document(product) for product in products})
        written += len(products)
        after_id = products[-1].id
    return written
