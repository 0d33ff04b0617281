"""Per-process snapshots of what quotes, listing prices and the storefront's product page read:
products, sellers (shipping fee, name, state) and the FX rate, so they need no database round trip.

A quote is a preview: it may see data up to KUAJING_READ_CACHE_SECONDS old. A write forgets
the entries it changed in its own worker, though a quote loading concurrently (before the write
commits) can put the old value back for one TTL; other workers simply wait out the TTL. Placing
an order reads products, fees and the rate from the database, so what a buyer is charged never
comes from here.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository as catalog_repository
from kuajing.compliance import category_rules
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import Product, SellerProfile
from kuajing.pricing import repository
from kuajing.pricing.tax import Measures
from kuajing.seller import repository as seller_repository


@dataclass(frozen=True, slots=True)
class ProductFacts:
    id: int
    seller_id: int
    hs_code: str
    price_amount: int
    stock: int
    title_en: str
    attributes: Mapping[str, Any]  # read-only: shared by every request in this worker
    title_zh: str
    sku: str
    weight_grams: int
    description_en: str
    description_zh: str
    measures: Measures  # read from the attributes once, not on every price

    @classmethod
    def of(cls, product: Product) -> "ProductFacts":
        return cls(
            product.id,
            product.seller_id,
            product.hs_code,
            product.price_amount,
            product.stock,
            product.title_en,
            MappingProxyType(product.attributes),
            product.title_zh,
            product.sku,
            product.weight_grams,
            product.description_en,
            product.description_zh,
            category_rules.measures(product.attributes),
        )


@dataclass(frozen=True, slots=True)
class SellerFacts:
    user_id: int
    shipping_fee_amount: int
    legal_name: str
    us_state: str
    story_en: str
    story_zh: str

    @classmethod
    def of(cls, profile: SellerProfile) -> "SellerFacts":
        return cls(
            profile.user_id,
            profile.shipping_fee_amount,
            profile.legal_name,
            profile.us_state,
            profile.story_en,
            profile.story_zh,
        )


@dataclass(frozen=True, slots=True)
class FxFacts:
    rate: Decimal


_products: TTLCache[int, ProductFacts] = TTLCache(1.0)
_sellers: TTLCache[int, SellerFacts] = TTLCache(1.0)
_fx: TTLCache[str, FxFacts] = TTLCache(1.0)


def configure(ttl_seconds: float) -> None:
    for cache in (_products, _sellers, _fx):
        cache.ttl = ttl_seconds
        cache.clear()


def remember_products(products: Iterable[Product]) -> None:
    """Products just read from the database, kept as a load would keep them."""
    for product in products:
        _products.put(product.id, ProductFacts.of(product))


def forget_products(product_ids: Iterable[int]) -> None:
    for product_id in product_ids:
        _products.forget(product_id)


def forget_seller(seller_id: int) -> None:
    _sellers.forget(seller_id)


def forget_fx() -> None:
    _fx.clear()


async def products(
    session: AsyncSession, product_ids: Iterable[int], *, fresh: bool = False
) -> dict[int, ProductFacts]:
    async def load(missing: set[int]) -> dict[int, ProductFacts]:
        rows = await catalog_repository.get_products(session, missing)
        return {product_id: ProductFacts.of(product) for product_id, product in rows.items()}

    if fresh:
        return await load(set(product_ids))
    return await _products.get_many_or_load(product_ids, load)


async def sellers(
    session: AsyncSession, seller_ids: Iterable[int], *, fresh: bool = False
) -> dict[int, SellerFacts]:
    async def load(missing: set[int]) -> dict[int, SellerFacts]:
        rows = await seller_repository.get_profiles(session, missing)
        return {seller_id: SellerFacts.of(profile) for seller_id, profile in rows.items()}

    if fresh:
        return await load(set(seller_ids))
    return await _sellers.get_many_or_load(seller_ids, load)


async def usd_cny(session: AsyncSession, *, fresh: bool = False) -> FxFacts | None:
    async def load() -> FxFacts | None:
        row = await repository.latest_rate(session, base="USD", quote="CNY")
        return None if row is None else FxFacts(row.rate)

    if fresh:
        return await load()
    return await _fx.get_or_load("USD-CNY", load)
