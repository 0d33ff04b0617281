"""The ASGI application: `create_app()` wires domains, errors, the database and background work."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kuajing import __version__, problems
from kuajing.audit.endpoints import router as audit_router
from kuajing.auth import repository as auth_repository
from kuajing.auth.endpoints import router as auth_router
from kuajing.auth.tokens import TokenCache
from kuajing.catalog import service as catalog_service
from kuajing.catalog.endpoints import router as catalog_router
from kuajing.catalog.search import warm_up
from kuajing.compliance import service as compliance_service
from kuajing.compliance.endpoints import router as compliance_router
from kuajing.customs import exchange as customs_exchange
from kuajing.customs.endpoints import router as customs_router
from kuajing.db import Database
from kuajing.flash_sale.endpoints import router as flash_sale_router
from kuajing.flash_sale.fast_path import LosersFastPath
from kuajing.flash_sale.group_commit import GroupCommitLedger
from kuajing.flash_sale.redis_ledger import RedisLedger
from kuajing.flash_sale.redis_stock import RedisStock
from kuajing.impact.endpoints import router as impact_router
from kuajing.kit.batch_loader import BatchLoader
from kuajing.order import sweeper
from kuajing.order.endpoints import router as order_router
from kuajing.pricing import snapshots
from kuajing.pricing.endpoints import router as pricing_router
from kuajing.seller import service as seller_service
from kuajing.seller.endpoints import router as seller_router
from kuajing.settings import Settings, get_settings
from kuajing.web import pages


def stock_ledger(database: Database, settings: Settings) -> GroupCommitLedger | RedisLedger:
    """The SQL group-commit ledger, behind Redis when KUAJING_REDIS_URL is set."""
    batches = GroupCommitLedger(
        database,
        window_seconds=settings.flash_sale_batch_window_seconds,
        max_batch=settings.flash_sale_batch_max,
        sold_out_recheck_seconds=settings.flash_sale_sold_out_recheck_seconds,
    )
    if not settings.redis_url:
        return batches
    stock = RedisStock.connect(
        settings.redis_url,
        cluster=settings.redis_cluster,
        prefix=settings.redis_prefix,
        buckets=settings.flash_sale_stock_buckets,
        max_connections=settings.redis_max_connections,
    )
    return RedisLedger(
        database,
        stock,
        batches=batches,
        sold_out_recheck_seconds=settings.flash_sale_sold_out_recheck_seconds,
        replay_grace_seconds=settings.flash_sale_replay_grace_seconds,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings.database_url, pool_size=settings.db_pool_size)
        app.state.token_cache = TokenCache(settings.auth_cache_seconds)
        # Reads that thousands of first-time buyers make at once, batched (see kit.batch_loader).
        app.state.token_loader = BatchLoader(app.state.database, auth_repository.find_active_tokens)
        app.state.buyer_years = BatchLoader(app.state.database, compliance_service.buyer_years)
        app.state.stock_ledger = stock_ledger(app.state.database, settings)
        snapshots.configure(settings.read_cache_seconds)
        catalog_service.configure(settings.read_cache_seconds)  # the storefront's searches
        seller_service.configure(settings.read_cache_seconds)  # the home page's sellers
        compliance_service.configure(settings.rules_cache_seconds)
        await asyncio.to_thread(warm_up)
        # jieba's dictionary and the imported modules are a large heap that never changes;
        # keep the collector from walking it on every full collection.
        gc.collect()
        gc.freeze()
        sweeping = None
        if settings.sweep_interval_seconds > 0:
            sweeping = asyncio.create_task(
                sweeper.run_forever(
                    app.state.database, settings.sweep_interval_seconds, app.state.stock_ledger
                ),
                name="order-sweeper",
            )
        upkeep = None
        if isinstance(app.state.stock_ledger, RedisLedger):
            await app.state.stock_ledger.start()
        if isinstance(app.state.stock_ledger, RedisLedger) and (
            settings.flash_sale_replay_interval_seconds > 0
            or settings.flash_sale_reconcile_interval_seconds > 0
        ):
            upkeep = asyncio.create_task(
                app.state.stock_ledger.upkeep_forever(
                    replay_interval=settings.flash_sale_replay_interval_seconds,
                    reconcile_interval=settings.flash_sale_reconcile_interval_seconds,
                ),
                name="redis-ledger-upkeep",
            )
        exchanging = None
        if settings.customs_exchange_interval_seconds > 0:
            exchanging = asyncio.create_task(
                customs_exchange.run_forever(app.state.database, settings), name="customs-exchange"
            )
        try:
            yield
        finally:
            for task in (sweeping, exchanging, upkeep):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await app.state.stock_ledger.close()
            await app.state.token_loader.close()
            await app.state.buyer_years.close()
            await app.state.database.dispose()

    app = FastAPI(
        title="kuajing",
        version=__version__,
        summary="Cross-border marketplace: US small businesses sell to consumers in China.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    app.add_middleware(LosersFastPath)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Included one by one rather than through a nested /api/v1 router (matched level by
    # level), storefront routes first: route matching is linear and costs per request.
    for router in (
        pricing_router,
        catalog_router,
        flash_sale_router,
        order_router,
        auth_router,
        compliance_router,
        seller_router,
        impact_router,
        audit_router,
        customs_router,
    ):
        app.include_router(router, prefix="/api/v1")
    pages.install(app)
    return app
