"""What a process does before it serves: bring the database to the current schema with the
reference data shipped in the package, and build the runtime (the parts every domain keeps for the
life of the process)."""

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from redis.asyncio import from_url as redis_from_url
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kuajing import migrations
from kuajing.auth.passwords import Passwords
from kuajing.auth.service import TokenLoader, TokenToucher
from kuajing.auth.throttle import Throttle
from kuajing.auth.tokens import TokenCache
from kuajing.catalog import service as catalog_service
from kuajing.catalog.snapshots import Snapshots
from kuajing.catalog.translation import engine_from_setting
from kuajing.compliance import service as compliance_service
from kuajing.compliance.year import BuyerYearLoader
from kuajing.customs.parties import CustomsParties
from kuajing.db import Database
from kuajing.flash_sale.board import BoardSnapshots
from kuajing.flash_sale.ledger import StockLedger
from kuajing.flash_sale.purchase import PurchaseContext
from kuajing.flash_sale.snapshots import DealSnapshots
from kuajing.flash_sale.templates import DealTemplates
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.impact import service as impact_service
from kuajing.media.storage import LocalStorage, Storage, s3_storage
from kuajing.payment.setup import providers_from_settings
from kuajing.runtime import Runtime
from kuajing.settings import DEFAULT_SECRET_KEY, Settings
from kuajing.stock_ledger import setup as stock_ledger_setup

log = logging.getLogger(__name__)


async def _sync(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    try:
        async with database.transaction(write=True) as session:
            # before any server starts: no process holds a rule book yet
            added = await compliance_service.sync_packaged_rules(session, rules=None)
            added["jobs_ratios"] = await impact_service.sync_packaged_ratios(session)
            added["search_documents"] = await catalog_service.index_unindexed(session)
        return added
    finally:
        await database.dispose()


def _owner_only(database_url: str) -> None:
    """A SQLite file holds buyers' personal data: readable by its owner alone (0600), its journal
    files too (SQLite gives them the database file's mode when it makes them)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(url.database + suffix)
        if path.exists():
            path.chmod(0o600)


def prepare_database(database_url: str) -> dict[str, int]:
    """Apply migrations, then insert packaged rule rows the database lacks. Synchronous."""
    migrations.upgrade(database_url)
    _owner_only(database_url)
    return asyncio.run(_sync(database_url))


class UnsafeToServe(RuntimeError):
    """The settings would put real buyers' data at risk: the process stops before it serves."""


def check_production(settings: Settings) -> None:
    """In production, refuse the demo's secret key (or a short one): it signs the pages' CSRF
    tokens and, without a key file, derives the key that wraps the data keys sealing personal data."""
    if settings.environment != "production":
        return
    if settings.secret_key == DEFAULT_SECRET_KEY or len(settings.secret_key) < MIN_PRODUCTION_SECRET:
        raise UnsafeToServe(
            "KUAJING_ENVIRONMENT=production needs KUAJING_SECRET_KEY set to a secret of at least "
            f"{MIN_PRODUCTION_SECRET} characters (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`), kept out of the code and with the backups"
        )


MIN_PRODUCTION_SECRET = 32
READY_TIMEOUT_SECONDS = 2.0


async def _database_ready(database: Database) -> str:
    async with database.transaction(write=False) as session:
        revision = await session.scalar(text("SELECT version_num FROM alembic_version"))
    return (
        "ok" if revision == migrations.head() else f"schema at {revision}, the code needs {migrations.head()}"
    )


async def _redis_ready(url: str) -> str:
    client = redis_from_url(url)
    try:
        return "ok" if await client.ping() else "no answer"
    finally:
        await client.aclose()


async def readiness(runtime: Runtime) -> dict[str, str]:
    """What a load balancer asks before sending traffic: the database answers and its schema is
    the one this code was written for; Redis answers when it is configured. Each part is "ok"
    or says what is wrong, within a couple of seconds."""
    checks = {"database": _database_ready(runtime.database)}
    if runtime.settings.redis_url:
        checks["redis"] = _redis_ready(runtime.settings.redis_url)
    found: dict[str, str] = {}
    for part, check in checks.items():
        try:
            found[part] = await asyncio.wait_for(check, READY_TIMEOUT_SECONDS)
        except TimeoutError:
            found[part] = f"no answer within {READY_TIMEOUT_SECONDS:g} s"
        except Exception as exc:  # what is wrong is the answer, whatever it is
            found[part] = f"unavailable: {type(exc).__name__}"
    return found


def media_storage(settings: Settings) -> Storage:
    """The bucket KUAJING_MEDIA_URL names, or the data directory's media/ folder."""
    if not settings.media_url:
        return LocalStorage(settings.data_dir / "media")
    return s3_storage(
        settings.media_url,
        endpoint_url=settings.media_s3_endpoint,
        region=settings.media_s3_region,
        public_url=settings.media_public_url,
    )


def build_runtime(settings: Settings, database: Database | None = None, *, purchases: bool = True) -> Runtime:
    """Every part a process keeps, sized by `settings`: the snapshots and loaders the domains
    own, the stock ledger, and the contexts the purchase and fulfillment flows run in. Its parts
    bind to the event loop that first uses them (one loop per process); close the runtime at
    shutdown. Without `purchases` (the background worker, which serves none) the Redis ledger
    has no writer thread of its own."""
    check_production(settings)
    if settings.password_hash_profile == "cheapest":
        log.warning(
            "KUAJING_PASSWORD_HASH_PROFILE=cheapest: passwords hashed now protect nothing (a setting "
            "for test runs); each is hashed again at its next sign-in once the profile is changed back"
        )
    database = database or Database(settings.database_url, pool_size=settings.db_pool_size)
    runtime = Runtime(settings, database)
    runtime.add(TokenCache(settings.auth_cache_seconds))
    runtime.add(Passwords(settings.password_hash_profile))
    runtime.add(Throttle(settings))
    tokens = TokenLoader(database, idle=timedelta(seconds=settings.token_idle_seconds))
    runtime.add(tokens, close=tokens.close)
    toucher = TokenToucher(database)
    runtime.add(toucher, close=toucher.close)
    buyer_years = BuyerYearLoader(database)
    runtime.add(buyer_years, close=buyer_years.close)
    snapshots = runtime.add(
        Snapshots.build(read_seconds=settings.read_cache_seconds, rules_seconds=settings.rules_cache_seconds)
    )
    for owned in (snapshots.products, snapshots.sellers, snapshots.fx, snapshots.rules):
        runtime.add(owned)  # each also on its own, for the routes of the domain that owns it
    deals = runtime.add(DealSnapshots())
    templates = runtime.add(DealTemplates())
    runtime.add(BoardSnapshots())
    ledger = stock_ledger_setup.from_settings(database, settings, purchases=purchases)
    runtime.add(ledger, kind=StockLedger, close=ledger.close)
    runtime.add(
        PurchaseContext(
            database=database,
            ledger=ledger,
            deals=deals,
            snapshots=snapshots,
            buyer_years=buyer_years,
            templates=templates,
            ttl_seconds=settings.flash_sale_ttl_seconds,
        )
    )
    runtime.add(media_storage(settings), kind=Storage)
    runtime.add(engine_from_setting(settings.translation_engine))
    parties = runtime.add(CustomsParties.from_settings(settings))
    providers = runtime.add(providers_from_settings(settings))
    runtime.add(FulfillmentContext(providers=providers, parties=parties, products=snapshots.products))
    return runtime
