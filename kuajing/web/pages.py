"""Mounting the pages on the app: the storefront's routes, the static assets, and an HTML page
(not problem+json) for an address that is not a page."""

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from kuajing import problems
from kuajing.errors import KuajingError
from kuajing.web.buying import router as buying_router
from kuajing.web.console import router as console_router
from kuajing.web.seller_portal import router as seller_router
from kuajing.web.singles_day import router as singles_day_router
from kuajing.web.storefront import router as storefront_router
from kuajing.web.templates import render

STATIC = str(resources.files("kuajing.web").joinpath("static"))


def install(app: FastAPI) -> None:
    app.include_router(storefront_router)
    app.include_router(buying_router)
    app.include_router(console_router)
    app.include_router(singles_day_router)
    app.include_router(seller_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    async def not_a_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        if path.startswith("/api/") or path.startswith("/static/") or exc.status_code != 404:
            return await problems.http_error(request, exc)
        return render(request, "error.html", {"status": 404, "code": "not_found"}, status=404)

    async def bad_page_input(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith("/api/"):
            return await problems.validation_error(request, exc)
        # /products/abc names no page; a bad query string is a bad request
        in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        status = 404 if in_path else 400
        return render(request, "error.html", {"status": status, "code": "bad_request"}, status=status)

    async def refused_page(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KuajingError)
        if request.url.path.startswith("/api/"):
            return await problems.kuajing_error(request, exc)
        return render(request, "error.html", {"status": exc.status, "code": exc.code}, status=exc.status)

    app.add_exception_handler(StarletteHTTPException, not_a_page)
    app.add_exception_handler(KuajingError, refused_page)
    app.add_exception_handler(RequestValidationError, bad_page_input)
