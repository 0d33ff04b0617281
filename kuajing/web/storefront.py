"""The buyers' storefront: home, search and product pages, Chinese first. Pages call the
catalog, seller and checkout services; nothing here touches the database directly.

What every buyer sees alike (products, prices, sellers) comes from per-worker snapshots at most
KUAJING_READ_CACHE_SECONDS old, as quotes do; what is the visitor's own (the CSRF token, who is
signed in, the language) is read from the request on every page and never kept.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.errors import ProductNotFound
from kuajing.checkout import service as checkout_service
from kuajing.compliance import risk_notice
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.time import beijing_date, utcnow
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


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, session: SessionDep, snapshots: SnapshotsDep, storage: StorageDep
) -> HTMLResponse:
    # the catalog's first page, from the same snapshots as a search
    page = await catalog_service.storefront_search(
        session, snapshots, q=None, category=None, limit=HOME_CARDS, cursor=None
    )
    shown_ids = [listing.product.id for listing in page.listings]
    return render(
        request,
        "storefront/home.html",
        {
            "categories": CATEGORIES,
            "listings": page.listings,
            "photos": await catalog_service.storefront_photos(session, storage, snapshots, shown_ids),
            "states": await seller_service.sellers_by_state(session, snapshots.sellers),
            "viewer": await viewer(request, session),
        },
    )


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    category = category if category in CATEGORIES else None
    page = await catalog_service.storefront_search(
        session, snapshots, q=q.strip() or None, category=category, limit=PAGE_SIZE, cursor=cursor
    )
    shown_ids = [listing.product.id for listing in page.listings]
    photos = await catalog_service.storefront_photos(session, storage, snapshots, shown_ids)
    return render(
        request,
        "storefront/search.html",
        {
            "q": q,
            "category": category,
            "listings": page.listings,
            "photos": photos,
            "next_cursor": page.next_cursor,
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
        return render(request, "error.html", {"status": 404, "code": "product_not_found"}, status=404)
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
    if seller is None:  # no such seller, or one not set up to sell yet
        return render(request, "error.html", {"status": 404, "code": "seller_not_found"}, status=404)
    page = await catalog_service.search(
        session, snapshots, q=None, category=None, seller_id=seller_id, limit=PAGE_SIZE, cursor=cursor
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
