"""The ASGI application: `create_app()` wires the domains' routes, errors, the runtime and
background work."""

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from kuajing import __version__, problems
from kuajing.audit.endpoints import router as audit_router
from kuajing.auth.endpoints import router as auth_router
from kuajing.background import start_loops, stop_loops
from kuajing.bootstrap import build_runtime, readiness
from kuajing.catalog.endpoints import router as catalog_router
from kuajing.catalog.import_endpoints import router as import_router
from kuajing.catalog.search import warm_up
from kuajing.checkout.endpoints import router as checkout_router
from kuajing.compliance.endpoints import router as compliance_router
from kuajing.customs.endpoints import router as customs_router
from kuajing.flash_sale.endpoints import router as flash_sale_router
from kuajing.flash_sale.ledger import StockLedger
from kuajing.fulfillment.endpoints import router as fulfillment_router
from kuajing.fulfillment.payment_endpoints import router as payment_router
from kuajing.impact.endpoints import router as impact_router
from kuajing.ledger.endpoints import router as ledger_router
from kuajing.media.endpoints import router as media_router
from kuajing.observability import endpoints as observability
from kuajing.observability import logs, metrics
from kuajing.observability.access import RequestObserver
from kuajing.order.endpoints import router as order_router
from kuajing.pricing.endpoints import router as pricing_router
from kuajing.problems import ProblemOut, problem
from kuajing.runtime import Runtime, runtime_of
from kuajing.seller.endpoints import router as seller_router
from kuajing.settings import Settings, get_settings
from kuajing.stock_ledger.fast_path import LosersFastPath
from kuajing.stock_ledger.redis_ledger import RedisLedger
from kuajing.vetting.endpoints import router as vetting_router
from kuajing.web import api_docs, pages
from kuajing.web.response_headers import ResponseHeaders
from kuajing.web.upload_limit import UploadLimit


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The application for `settings`; with `runtime`, one the caller built (and closes) instead
    of one built at start-up."""
    settings = settings or (runtime.settings if runtime is not None else get_settings())
    logs.configure(log_format=settings.log_format, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        app.state.runtime = built = runtime or build_runtime(settings)
        await asyncio.to_thread(warm_up)
        # jieba's dictionary and the imported modules are a large heap that never changes;
        # keep the collector from walking it on every full collection.
        gc.collect()
        gc.freeze()
        ledger = built.get(StockLedger)
        if isinstance(ledger, RedisLedger):
            await ledger.start()
        # off where one `kuajing worker` runs them for every API process (kuajing.background)
        tasks = start_loops(built) if settings.background_loops else []
        tasks += metrics.watch_pool(built.database.engine.pool)
        try:
            yield
        finally:
            await stop_loops(tasks)
            if own:
                await built.close()

    app = FastAPI(
        title="kuajing",
        version=__version__,
        summary="Cross-border marketplace: US small businesses sell to consumers in China.",
        lifespan=lifespan,
        docs_url=None,  # api_docs serves them from the app's own files
        redoc_url=None,
    )
    problems.install(app)
    app.add_middleware(LosersFastPath)
    app.add_middleware(UploadLimit)
    # inside ResponseHeaders (it logs with its request id), outside the rest: every answer counted
    app.add_middleware(RequestObserver, metrics=settings.metrics, access_log=settings.access_log)
    # outermost: every answer carries them, a refused upload and a losing purchase included
    app.add_middleware(
        ResponseHeaders, hsts=settings.cookie_secure, media_public_url=settings.media_public_url
    )
    api_docs.install(app)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Alive: the process answers. Whether it can serve is /readyz."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=Readiness,
        responses={503: {"model": ProblemOut, "description": "A part is not ready; `checks` says which."}},
    )
    async def readyz(request: Request) -> Response:
        """Ready to serve: the database answers at the schema this code needs, and Redis answers
        when it is configured. 503 names the failing part."""
        checks = await readiness(runtime_of(request))
        if all(state == "ok" for state in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        failing = ", ".join(f"{part}: {state}" for part, state in checks.items() if state != "ok")
        refused = problem(503, "not_ready", f"Not ready: {failing}.")
        body = {**json.loads(bytes(refused.body)), "checks": checks}
        return JSONResponse(body, status_code=503, media_type="application/problem+json")

    # Included one by one rather than through a nested /api/v1 router (matched level by
    # level), storefront routes first: route matching is linear and costs per request.
    for router in (
        checkout_router,
        pricing_router,
        catalog_router,
        import_router,
        flash_sale_router,
        order_router,
        fulfillment_router,
        payment_router,
        ledger_router,
        auth_router,
        compliance_router,
        seller_router,
        vetting_router,
        impact_router,
        audit_router,
        customs_router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(media_router)
    pages.install(app)
    if settings.metrics:
        app.include_router(observability.router)  # last: the scraper's route costs the rest nothing
    return app
