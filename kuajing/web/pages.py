"""Mounting the pages on the app: the storefront's routes, the static assets, and an HTML page
(not problem+json) for an address that is not a page."""

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, Response

from kuajing import problems
from kuajing.errors import KuajingError
from kuajing.web.buying import router as buying_router
from kuajing.web.console import router as console_router
from kuajing.web.console_money import router as console_money_router
from kuajing.web.seller_account import router as seller_account_router
from kuajing.web.seller_deals import router as seller_deals_router
from kuajing.web.seller_imports import router as seller_imports_router
from kuajing.web.seller_money import router as seller_money_router
from kuajing.web.seller_orders import router as seller_orders_router
from kuajing.web.seller_portal import router as seller_router
from kuajing.web.seller_suggestions import router as seller_suggestions_router
from kuajing.web.seller_variants import router as seller_variants_router
from kuajing.web.seller_vetting import router as seller_vetting_router
from kuajing.web.session import viewer_of
from kuajing.web.singles_day import router as singles_day_router
from kuajing.web.storefront import router as storefront_router
from kuajing.web.templates import render

STATIC = str(resources.files("kuajing.web").joinpath("static"))
FAVICON = str(resources.files("kuajing.web").joinpath("static", "favicon.ico"))


async def favicon() -> Response:
    """The logo as browsers ask for it on every page (scripts/draw_favicon.py draws it)."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=604800"}
    )


def _language(request: Request) -> str:
    """Sellers' and operators' pages are English first; the storefront is Chinese first."""
    return "en" if request.url.path.startswith(("/seller", "/console")) else "zh_CN"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/static/"))


async def _page(request: Request, status: int, code: str, *, ask_who: bool = True) -> Response:
    """The error page in the visitor's language, its header naming who is signed in (not when
    the database is busy or broken: asking it would fail again)."""
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "viewer": await viewer_of(request) if ask_who else None},
        status=status,
        default_locale=_language(request),
    )


def install(app: FastAPI) -> None:
    app.include_router(storefront_router)
    app.include_router(buying_router)
    app.include_router(console_router)
    app.include_router(console_money_router)
    app.include_router(seller_vetting_router)
    app.include_router(singles_day_router)
    app.include_router(seller_suggestions_router)  # before /products/{id}/…: "new" is no id
    app.include_router(seller_router)
    app.include_router(seller_variants_router)
    app.include_router(seller_account_router)
    app.include_router(seller_orders_router)
    app.include_router(seller_deals_router)
    app.include_router(seller_money_router)
    app.include_router(seller_imports_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)

    async def not_a_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request) or exc.status_code != 404:
            return await problems.http_error(request, exc)
        return await _page(request, 404, "not_found")

    async def bad_page_input(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            return await problems.validation_error(request, exc)
        # /products/abc names no page; a bad query string or form is a bad request
        in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        return await _page(request, 404 if in_path else 400, "bad_request")

    async def refused_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KuajingError)
        if _is_api(request):
            return await problems.kuajing_error(request, exc)
        if exc.code == "invalid_cursor":  # a "next page" link this site did not write
            return await _page(request, 400, "bad_request")
        return await _page(request, exc.status, exc.code)

    async def busy_page(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await problems.database_busy(request, exc)
        return await _page(request, 503, "service_busy", ask_who=False)

    async def broken_page(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return await problems.unexpected(request, exc)
        return await _page(request, 500, "internal_error", ask_who=False)

    app.add_exception_handler(StarletteHTTPException, not_a_page)
    app.add_exception_handler(RequestValidationError, bad_page_input)
    app.add_exception_handler(KuajingError, refused_page)
    app.add_exception_handler(PoolTimeout, busy_page)
    app.add_exception_handler(Exception, broken_page)
