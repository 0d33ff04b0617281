"""GET /metrics: the Prometheus text exposition, with what is read at scrape time (this worker's
database pool, a ping of Redis).

On by default so the demo answers; KUAJING_METRICS=false removes it, and KUAJING_METRICS_TOKEN
makes a scrape show `Authorization: Bearer <token>` (Prometheus' `authorization` scrape option).
It is left out of the OpenAPI schema: it is for the operator's scraper, not the API's clients.
"""

import asyncio
import hmac
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from redis.asyncio import from_url as redis_from_url

from kuajing.observability import metrics
from kuajing.problems import problem
from kuajing.runtime import runtime_of

router = APIRouter()

REDIS_PING_TIMEOUT_SECONDS = 1.0


def _allowed(request: Request, token: str | None) -> bool:
    if not token:
        return True
    shown = request.headers.get("authorization", "")
    return hmac.compare_digest(shown.encode(), f"Bearer {token}".encode())


async def _ping(url: str) -> float:
    """Seconds one PING takes on an open connection (the connection's set-up not counted)."""
    client = redis_from_url(url, socket_connect_timeout=REDIS_PING_TIMEOUT_SECONDS)
    try:
        await client.ping()
        start = time.perf_counter()
        await client.ping()
        return time.perf_counter() - start
    finally:
        await client.aclose()


async def redis_readings(url: str | None) -> list[Metric]:
    """kuajing_redis_up, and kuajing_redis_ping_seconds when it answered; nothing without Redis."""
    if not url:
        return []
    up = GaugeMetricFamily("kuajing_redis_up", "Whether Redis answered a PING at this scrape (1) or not (0).")
    try:
        seconds = await asyncio.wait_for(_ping(url), REDIS_PING_TIMEOUT_SECONDS)
    except Exception:  # any failure is the answer: Redis is not up for this server
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    ping = GaugeMetricFamily("kuajing_redis_ping_seconds", "Time of one Redis PING, measured at this scrape.")
    ping.add_metric([], seconds)
    return [up, ping]


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request) -> Response:
    runtime = runtime_of(request)
    settings = runtime.settings
    if not _allowed(request, settings.metrics_token):
        return problem(401, "not_authenticated", "Scraping the metrics needs the metrics token.")
    metrics.sample_pool(runtime.database.engine.pool)
    text = metrics.exposition(await redis_readings(settings.redis_url))
    return Response(text, media_type=metrics.CONTENT_TYPE)
