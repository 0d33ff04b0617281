"""The buyers' storefront: home, search and product pages, Chinese first. Pages call the same
services the API does; nothing here touches the database directly."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from kuajing.catalog import service as catalog_service
from kuajing.catalog.errors import ProductNotFound
from kuajing.compliance import risk_notice
from kuajing.db import SessionDep
from kuajing.errors import KuajingError
from kuajing.kit.ids import IdPath
from kuajing.kit.time import beijing_date, utcnow
from kuajing.pricing import service as pricing_service
from kuajing.seller import service as seller_service
from kuajing.web.session import viewer
from kuajing.web.templates import render

router = APIRouter(include_in_schema=False)

# The order the home page shows the categories in (the API's category codes).
CATEGORIES = ("wine", "fruit", "garments", "beer", "nuts", "cosmetics", "supplements", "other")
PAGE_SIZE = 24


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "storefront/home.html",
        {
            "categories": CATEGORIES,
            "states": await seller_service.sellers_by_state(session),
            "viewer": await viewer(request, session),
        },
    )


@router.get("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    category = category if category in CATEGORIES else None
    page = await catalog_service.search(
        session, q=q.strip() or None, category=category, seller_id=None, limit=PAGE_SIZE, cursor=cursor
    )
    return render(
        request,
        "storefront/search.html",
        {
            "q": q,
            "category": category,
            "listings": page.listings,
            "next_cursor": page.next_cursor,
            "viewer": await viewer(request, session),
        },
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
async def product(request: Request, product_id: IdPath, session: SessionDep) -> HTMLResponse:
    try:
        listing = await catalog_service.get_listing(session, product_id=product_id)
    except ProductNotFound:
        return render(request, "error.html", {"status": 404, "code": "product_not_found"}, status=404)
    now = utcnow()
    amounts = None
    try:
        quote = await pricing_service.quote(session, lines=[(product_id, 1)], buyer_id=None, now=now)
        amounts = quote.amounts
    except KuajingError:
        pass  # no FX rate yet, or the goods are off the list: the page says it cannot price them
    try:
        seller = await seller_service.get_profile(session, seller_id=listing.product.seller_id)
    except KuajingError:
        seller = None  # listed before a profile requirement existed: the page leaves the origin out
    return render(
        request,
        "storefront/product.html",
        {
            "listing": listing,
            "product": listing.product,
            "amounts": amounts,
            "seller": seller,
            "notice": risk_notice.in_force(beijing_date(now)),
            "viewer": await viewer(request, session),
        },
    )
