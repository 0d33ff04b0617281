"""Search, end to end: the query parsed against the catalog's words (search.py), matched by the
database's full-text index (search_index.py), then narrowed, counted and ordered (facets.py) and
served a page at a time.

The API searches the database on every call. The storefront keeps each search's whole answer
(the ordered ids and the facets) in the worker for at most KUAJING_READ_CACHE_SECONDS, so paging,
and the next shopper asking the same, cost no query; prices are still worked out at each page
from the price snapshots, as quotes are.
"""

import unicodedata
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository, search_index
from kuajing.catalog.facets import Found, Item, SearchRequest, narrow
from kuajing.catalog.listing_prices import ListingPrice, listing_prices
from kuajing.catalog.search import Vocabulary, parse
from kuajing.catalog.service import Listing, listings_of
from kuajing.catalog.snapshots import ProductFacts, Snapshots
from kuajing.kit.pagination import decode_offset, encode_offset
from kuajing.seller.snapshots import SellerFacts


async def _vocabulary(session: AsyncSession, snapshots: Snapshots) -> Vocabulary:
    async def load() -> Vocabulary:
        return Vocabulary(await search_index.index_of(session).vocabulary(session))

    return await snapshots.products.vocabulary(load)


async def find(
    session: AsyncSession, snapshots: Snapshots, request: SearchRequest, *, fresh: bool = False
) -> Found:
    """Every product the request finds, in its order, with the facets; `fresh` reads the
    products from the database rather than the worker's snapshot."""
    query = parse(request.q, await _vocabulary(session, snapshots)) if request.q else None
    partial = False
    if query is not None and not query.groups and not query.states and _typed_something(request.q or ""):
        # words, but none search can use (вино, 🍷: a script it does not read): nothing found
        return Found((), narrow([], request, has_query=True)[1])
    if query is not None and query.groups:
        index = search_index.index_of(session)
        scores = await index.matches(session, query, every=True)
        if not scores and len(query.groups) > 1:  # nothing has every word: what has some, best first
            scores = await index.matches(session, query, every=False)
            partial = bool(scores)
    else:  # nothing typed but spaces and punctuation: the whole catalog
        scores = dict.fromkeys(await repository.listed_ids(session), 0.0)
    facts = await snapshots.products.facts(session, scores, fresh=fresh)
    sellers = await snapshots.sellers.facts(session, {f.seller_id for f in facts.values()})
    # only approved sellers' products are found, never a rehearsal's (their facts are at hand
    # already: no query more)
    shown = [
        product
        for product in facts.values()
        if product.parent_id is None and (seller := sellers.get(product.seller_id)) and seller.shown
    ]
    prices = await listing_prices(session, snapshots, shown)
    items = [
        Item(
            id=product.id,
            score=scores[product.id],
            category=product.category,
            seller_id=product.seller_id,
            state=sellers[product.seller_id].us_state,
            landed=price.landed if (price := prices.get(product.id)) else None,
        )
        for product in shown
    ]
    if query is not None and query.states:  # 加州红酒: what Californian sellers list
        in_states = [item for item in items if item.state in query.states]
        partial = partial or not in_states
        items = in_states or items
    ids, facets = narrow(items, request, has_query=query is not None and bool(query.groups))
    return Found(ids, facets, partial=partial, corrected=query.corrected if query else ())


def _typed_something(q: str) -> bool:
    """Letters, digits or symbols (an emoji), not only spaces and punctuation."""
    return any(unicodedata.category(char)[0] in "LNS" for char in q)


def _window(found: Found, limit: int, cursor: str | None) -> tuple[tuple[int, ...], str | None]:
    offset = decode_offset(cursor)
    end = offset + limit
    return found.ids[offset:end], encode_offset(end) if end < len(found.ids) else None


@dataclass(frozen=True, slots=True)
class SearchPage:
    listings: list[Listing]
    next_cursor: str | None
    found: Found


async def search(
    session: AsyncSession, snapshots: Snapshots, request: SearchRequest, *, limit: int, cursor: str | None
) -> SearchPage:
    """The API's search: read now, a page of listings with their variants."""
    found = await find(session, snapshots, request, fresh=True)
    ids, next_cursor = _window(found, limit, cursor)
    products = await repository.get_products(session, ids)
    listings = await listings_of(session, snapshots, [products[i] for i in ids if i in products])
    return SearchPage(listings, next_cursor, found)


@dataclass(frozen=True, slots=True)
class StorefrontListing:
    """A product on a storefront page, its yuan price (None: not priced yet) and who sells it."""

    product: ProductFacts
    price: ListingPrice | None
    seller: SellerFacts | None


@dataclass(frozen=True, slots=True)
class StorefrontPage:
    listings: list[StorefrontListing]
    next_cursor: str | None
    found: Found


async def storefront_search(
    session: AsyncSession, snapshots: Snapshots, request: SearchRequest, *, limit: int, cursor: str | None
) -> StorefrontPage:
    """search() for buyers' pages: the answer kept in the worker for a moment, the page's
    products read from the snapshots and priced now."""
    found = await snapshots.products.search(request, lambda: find(session, snapshots, request))
    ids, next_cursor = _window(found, limit, cursor)
    facts = await snapshots.products.facts(session, ids)
    products = [facts[product_id] for product_id in ids if product_id in facts]  # deleted since: left out
    prices = await listing_prices(session, snapshots, products)
    sellers = await snapshots.sellers.facts(session, {p.seller_id for p in products})
    return StorefrontPage(
        [StorefrontListing(p, prices.get(p.id), sellers.get(p.seller_id)) for p in products],
        next_cursor,
        found,
    )
