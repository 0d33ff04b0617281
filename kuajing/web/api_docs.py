"""/docs (Swagger UI) and /redoc, drawn from the app's own copy of their files (the
fastapi-offline package ships them), so the documentation loads no script from a CDN, and
with no inline script, as the Content Security Policy asks (kuajing/web/response_headers.py)."""

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
_FILES = str(resources.files("fastapi_offline").joinpath("static"))

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API documentation</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="/favicon.ico">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/swagger_init.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API reference</title>
<link rel="icon" href="/favicon.ico">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve the documentation pages and their files; the app is made with docs_url=None and
    redoc_url=None so FastAPI's own pages (which load from a CDN) are not."""
    openapi = app.openapi_url or "/openapi.json"
    swagger = _SWAGGER.format(title=app.title, assets=ASSETS, openapi=openapi)
    redoc = _REDOC.format(title=app.title, assets=ASSETS, openapi=openapi)
    app.mount(ASSETS, StaticFiles(directory=_FILES), name="docs-assets")

    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger)

    async def redoc_page() -> HTMLResponse:
        return HTMLResponse(redoc)

    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc_page, methods=["GET"], include_in_schema=False)
