"""The buyers' storefront: home, search and product pages, Chinese first. Pages call the
catalog, seller and checkout services; nothing here touches the database directly.

What every buyer sees alike (products, prices, sellers) comes from per-worker snapshots at most
KUAJING_READ_CACHE_SECONDS old, as quotes do; what is the visitor's own (the CSRF token, who is
signed in, the language) is read from the request on every page and never kept.
"""

from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kuajing.catalog import finder
from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.errors import ProductNotFound
from kuajing.catalog.facets import FACETS, PRICE_BANDS, SORTS, Found, SearchRequest
from kuajing.checkout import service as checkout_service
from kuajing.compliance import risk_notice
from kuajing.flash_sale import board
from kuajing.flash_sale.dependencies import BoardSnapshotsDep
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.time import beijing_date, utcnow
from kuajing.kit.us_states import NAMES as STATE_NAMES
from kuajing.media.dependencies import StorageDep
from kuajing.runtime import SessionDep
from kuajing.seller import service as seller_service
from kuajing.web.session import viewer
from kuajing.web.templates import render

router = APIRouter(include_in_schema=False)

# The order the home page shows the categories in (the API's category codes).
CATEGORIES = ("wine", "fruit", "garments", "beer", "nuts", "cosmetics", "supplements", "other")
PAGE_SIZE = 24
HOME_CARDS = 8
HOME_DEALS = 4


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    boards: BoardSnapshotsDep,
) -> HTMLResponse:
    # the catalog's first page, from the same snapshots as a search
    page = await finder.storefront_search(session, snapshots, SearchRequest(), limit=HOME_CARDS, cursor=None)
    sale = await board.featured(session, boards, snapshots, limit=HOME_DEALS)
    shown_ids = [listing.product.id for listing in page.listings]
    shown_ids += [deal.photo_of for deal in sale.deals] if sale else []
    return render(
        request,
        "storefront/home.html",
        {
            "categories": CATEGORIES,
            "listings": page.listings,
            "sale": sale,
            "now": utcnow(),
            "photos": await catalog_service.storefront_photos(session, storage, snapshots, shown_ids),
            "states": await seller_service.sellers_by_state(session, snapshots.sellers),
            "viewer": await viewer(request, session),
        },
    )


@dataclass(frozen=True, slots=True)
class FacetLink:
    value: str
    count: int
    href: str  # this search with the value ticked, or unticked if it is
    chosen: bool


def search_href(request: SearchRequest, **changes: object) -> str:
    """The search page's address for `request` changed; a new filter starts at the first page."""
    changed = replace(request, **changes)  # type: ignore[arg-type]
    params = {
        "q": changed.q,
        "category": changed.category,
        "state": changed.state,
        "seller": changed.seller_id,
        "price": changed.price_band,
        "sort": None if changed.sort == "relevance" else changed.sort,
    }
    return "/search?" + urlencode({name: value for name, value in params.items() if value})


def _facet_links(request: SearchRequest, found: Found) -> dict[str, list[FacetLink]]:
    chosen = request.chosen()
    field = {"category": "category", "state": "state", "price_band": "price_band", "seller": "seller_id"}
    links: dict[str, list[FacetLink]] = {}
    for facet in FACETS:
        links[facet] = []
        for count in found.facets[facet]:
            ticked = chosen.get(facet) == count.value
            value: object = None if ticked else (int(count.value) if facet == "seller" else count.value)
            href = search_href(request, **{field[facet]: value})
            links[facet].append(FacetLink(count.value, count.count, href, ticked))
    return links


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str | None, Query(max_length=20)] = None,
    state: Annotated[str | None, Query(max_length=2)] = None,
    seller: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    price: Annotated[str | None, Query(max_length=10)] = None,
    sort: Annotated[str, Query(max_length=12)] = "relevance",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    # a filter the page does not offer (an old link, a typed address) is dropped, not refused
    asked = SearchRequest(
        q=q.strip() or None,
        category=category if category in CATEGORIES else None,
        state=state if state in STATE_NAMES else None,
        seller_id=seller,
        price_band=price if price in {code for code, _, _ in PRICE_BANDS} else None,
        sort=next((known for known in SORTS if known == sort), "relevance"),
    )
    page = await finder.storefront_search(session, snapshots, asked, limit=PAGE_SIZE, cursor=cursor)
    shown_ids = [listing.product.id for listing in page.listings]
    photos = await catalog_service.storefront_photos(session, storage, snapshots, shown_ids)
    seller_ids = [int(count.value) for count in page.found.facets["seller"]]
    return render(
        request,
        "storefront/search.html",
        {
            "q": q,
            "asked": asked,
            "listings": page.listings,
            "photos": photos,
            "found": page.found,
            "facets": _facet_links(asked, page.found),
            "sellers": await snapshots.sellers.facts(session, seller_ids),
            "sorts": [(name, search_href(asked, sort=name)) for name in SORTS],
            "next_href": search_href(asked) + "&cursor=" + page.next_cursor if page.next_cursor else None,
            "viewer": await viewer(request, session),
        },
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
async def product(
    request: Request,
    product_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    variant: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    now = utcnow()
    facts = (await snapshots.products.facts(session, [product_id])).get(product_id)
    if facts is not None and facts.parent_id is not None:  # a variant's page is its product's, chosen
        return RedirectResponse(f"/products/{facts.parent_id}?variant={product_id}", status_code=303)
    try:
        shown = await checkout_service.one_unit(
            session, snapshots, product_id=product_id, now=now, variant_id=variant
        )
    except ProductNotFound:
        context = {"status": 404, "code": "product_not_found", "viewer": await viewer(request, session)}
        return render(request, "error.html", context, status=404)
    return render(
        request,
        "storefront/product.html",
        {
            "product": shown.product,
            "photos": (await catalog_service.storefront_photos(session, storage, snapshots, [product_id]))[
                product_id
            ],
            "amounts": shown.amounts,
            "variants": shown.variants,
            "chosen": shown.chosen,
            "zh_sizes": shown.zh_sizes,
            "option_names": [option["name"] for option in shown.product.options],
            "seller": shown.seller,
            "notice": risk_notice.in_force(beijing_date(now)),
            "viewer": await viewer(request, session),
        },
    )


@router.get("/sellers/{seller_id}", response_class=HTMLResponse)
async def shop(
    request: Request,
    seller_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """A seller's shop: who they are, where from, their story and what they list."""
    seller = (await snapshots.sellers.facts(session, [seller_id])).get(seller_id)
    if seller is None or not seller.shown:  # no such seller, not set up, not approved, or a rehearsal's
        context = {"status": 404, "code": "seller_not_found", "viewer": await viewer(request, session)}
        return render(request, "error.html", context, status=404)
    page = await finder.storefront_search(
        session, snapshots, SearchRequest(seller_id=seller_id), limit=PAGE_SIZE, cursor=cursor
    )
    shown_ids = [listing.product.id for listing in page.listings]
    return render(
        request,
        "storefront/shop.html",
        {
            "seller": seller,
            "listings": page.listings,
            "photos": await catalog_service.storefront_photos(session, storage, snapshots, shown_ids),
            "next_cursor": page.next_cursor,
            "viewer": await viewer(request, session),
        },
    )
