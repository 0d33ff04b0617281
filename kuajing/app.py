"""The ASGI application: `create_app()` wires domains, errors, the database and background work."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from kuajing import __version__, problems
from kuajing.auth.endpoints import router as auth_router
from kuajing.auth.tokens import TokenCache
from kuajing.catalog.endpoints import router as catalog_router
from kuajing.catalog.search import warm_up
from kuajing.compliance.endpoints import router as compliance_router
from kuajing.db import Database
from kuajing.impact.endpoints import router as impact_router
from kuajing.order import sweeper
from kuajing.order.endpoints import router as order_router
from kuajing.pricing.endpoints import router as pricing_router
from kuajing.seller.endpoints import router as seller_router
from kuajing.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings.database_url, pool_size=settings.db_pool_size)
        app.state.token_cache = TokenCache(settings.auth_cache_seconds)
        await asyncio.to_thread(warm_up)
        sweeping = None
        if settings.sweep_interval_seconds > 0:
            sweeping = asyncio.create_task(
                sweeper.run_forever(app.state.database, settings.sweep_interval_seconds), name="order-sweeper"
            )
        try:
            yield
        finally:
            if sweeping is not None:
                sweeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sweeping
            await app.state.database.dispose()

    app = FastAPI(
        title="kuajing",
        version=__version__,
        summary="Cross-border marketplace: US small businesses sell to consumers in China.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    api = APIRouter(prefix="/api/v1")
    for router in (
        auth_router,
        seller_router,
        compliance_router,
        catalog_router,
        pricing_router,
        order_router,
        impact_router,
    ):
        api.include_router(router)
    app.include_router(api)
    return app
