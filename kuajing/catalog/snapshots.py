"""The worker's snapshots of products and of the storefront's searches, and the bundle of every
snapshot a quote or a storefront page reads (decisions 0001, 0004 and 0006).

A snapshot is at most KUAJING_READ_CACHE_SECONDS old. A write forgets what it changed in its own
worker (a load running concurrently, before the write commits, can put the old value back for
one TTL); other workers wait out the bound. Placing an order reads products, fees and the rate
from the database, so what a buyer is charged never comes from here.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository
from kuajing.catalog.facets import Found, SearchRequest
from kuajing.catalog.search import Vocabulary
from kuajing.compliance import category_rules
from kuajing.compliance.snapshots import RuleBooks
from kuajing.db import reading
from kuajing.kit.ttl_cache import TTLCache
from kuajing.media.service import Shown
from kuajing.models import Product
from kuajing.pricing.snapshots import FxSnapshots
from kuajing.pricing.tax import Measures
from kuajing.seller.snapshots import SellerSnapshots

# Anyone can ask for endless distinct searches: only the last second or so of them are kept.
MAX_SEARCHES = 2_000
# The words the catalog uses tell a mistyped word from a new one; a word listed since is searched
# for as typed all the same, so a minute's lag costs only its corrections.
VOCABULARY_SECONDS = 60.0


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
    parent_id: int | None  # a variant's product
    option_values: tuple[str, ...]  # a variant's value of each of its product's options
    variant_ids: tuple[int, ...]  # a product with options: its variants (it sells none itself)
    options: tuple[Mapping[str, Any], ...]  # a product with options: [{name: {en, zh}, values}]
    category: str

    @property
    def variant_label(self) -> str:
        """The variant's option values as a buyer reads them, e.g. "L / Navy"; "" for a product."""
        return " / ".join(self.option_values)

    @property
    def sold_as(self) -> tuple[int, int | None]:
        """(product id, variant id) as the API names what an order line sold."""
        return (self.parent_id, self.id) if self.parent_id is not None else (self.id, None)

    @classmethod
    def of(cls, product: Product, variant_ids: tuple[int, ...] = ()) -> "ProductFacts":
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
            product.parent_id,
            tuple(product.option_values or ()),
            variant_ids,
            tuple(MappingProxyType(option) for option in product.options or ()),
            product.category,
        )


class ProductSnapshots:
    def __init__(self, ttl_seconds: float) -> None:
        self._facts: TTLCache[int, ProductFacts] = TTLCache(ttl_seconds)
        self._searches: TTLCache[SearchRequest, Found] = TTLCache(ttl_seconds, max_entries=MAX_SEARCHES)
        self._vocabulary: TTLCache[None, Vocabulary] = TTLCache(max(ttl_seconds, VOCABULARY_SECONDS))
        self._photos: TTLCache[int, list[Shown]] = TTLCache(ttl_seconds)

    async def photos(
        self, product_ids: Iterable[int], load: Callable[[set[int]], Awaitable[dict[int, list[Shown]]]]
    ) -> dict[int, list[Shown]]:
        """Each product's photos as the storefront shows them (main first), at most one TTL old."""
        return await self._photos.get_many_or_load(product_ids, load)

    def forget_photos(self, product_ids: Iterable[int]) -> None:
        for product_id in product_ids:
            self._photos.forget(product_id)

    async def facts(
        self, session: AsyncSession, product_ids: Iterable[int], *, fresh: bool = False
    ) -> dict[int, ProductFacts]:
        """The products that exist, by id; `fresh` reads the database."""

        async def load(missing: set[int]) -> dict[int, ProductFacts]:
            async with reading(session) as read:
                rows = await repository.get_products(read, missing)
                variants = await repository.variant_ids_of(
                    read, [p.id for p in rows.values() if p.has_variants]
                )
                return {
                    product_id: ProductFacts.of(product, variants.get(product_id, ()))
                    for product_id, product in rows.items()
                }

        if fresh:
            return await load(set(product_ids))
        return await self._facts.get_many_or_load(product_ids, load)

    def remember(self, products: Iterable[Product]) -> None:
        """Products without options just read from the database, kept as a load would keep them
        (a product with options is kept once its variants are read with it)."""
        for product in products:
            if not product.has_variants:
                self._facts.put(product.id, ProductFacts.of(product))

    def forget(self, product_ids: Iterable[int]) -> None:
        for product_id in product_ids:
            self._facts.forget(product_id)

    async def search(self, request: SearchRequest, load: Callable[[], Awaitable[Found]]) -> Found:
        """A storefront search's products in order, with its facets, as `load()` finds them, at
        most one TTL old."""
        return await self._searches.get_or_load(request, load)

    async def vocabulary(self, load: Callable[[], Awaitable[Vocabulary]]) -> Vocabulary:
        return await self._vocabulary.get_or_load(None, load)

    def forget_searches(self) -> None:
        """A product listed or changed here: searches find it (and its words) from now on."""
        self._searches.clear()
        self._vocabulary.clear()


@dataclass(frozen=True, slots=True)
class Snapshots:
    """Every snapshot a quote, a listing price or a storefront page reads, carried together; each
    is owned, loaded and forgotten by its own domain."""

    products: ProductSnapshots
    sellers: SellerSnapshots
    fx: FxSnapshots
    rules: RuleBooks

    @classmethod
    def build(cls, *, read_seconds: float, rules_seconds: float) -> "Snapshots":
        return cls(
            ProductSnapshots(read_seconds),
            SellerSnapshots(read_seconds),
            FxSnapshots(read_seconds),
            RuleBooks(rules_seconds),
        )
