"""Races over HTTP, shared by the SQL and Redis ledgers' concurrency tests."""

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.auth.factories import bulk_buyers_with_identity, buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.flash_sale.factories import (
    Ledger,
    annual_used,
    create_campaign,
    create_deal,
    holders,
    ledger_of,
    purchase_body,
)
from tests.live import LiveServer, start_server
from tests.order.factories import order_ids

# uvicorn closes a keep-alive connection idle for 5 s; on a loaded machine the racing client can
# leave one idle that long and then send on it as the server closes it (httpx.ReadError).
RACE_SERVER_ARGS = ("--timeout-keep-alive", "120")


def redis_race_server(
    database_url: str, redis_url: str, prefix: str, log_dir: Path, **settings: str
) -> LiveServer:
    """Two workers on the Redis ledger (under `prefix`), keeping connections for a race, not
    sweeping (a test expires orders itself): the Redis races' server, with `settings` on top."""
    return start_server(
        database_url,
        log_dir / "server.log",
        workers=2,
        extra_args=RACE_SERVER_ARGS,
        **{
            "sweep_interval_seconds": "0",
            "auth_cache_seconds": "5",
            "redis_url": redis_url,
            "redis_prefix": prefix,
            **settings,
        },
    )


async def race(url, requests, *, connections):
    """Send every request, at most `connections` at a time, each on its own connection. The
    gate matters: httpx's pool slows to a crawl with thousands of requests queued inside it."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    gate = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def send(path, body, headers):
            async with gate:
                return await client.post(path, json=body, headers=headers)

        return await asyncio.gather(*(send(path, body, headers) for path, body, headers in requests))


def purchases(deal_id, buyers, bodies):
    return [
        (f"/api/v1/deals/{deal_id}/purchase", body, buyer.headers)
        for buyer, body in zip(buyers, bodies, strict=True)
    ]


def hundred_unit_deal(live_api, operator_token, **options):
    """A 100-unit deal, one per buyer, carved out of 150 bottles: (deal, product)."""
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=150)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(
        live_api, seller, campaign["id"], wine["id"], quantity=100, per_buyer_limit=1, **options
    )
    return deal, wine


def two_thousand_buyers_race(database_url, url, deal_id, *, buyers=None):
    """2,000 buyers (or those given) each buy one unit at once over 200 connections."""
    started = time.monotonic()
    buyers = buyers or bulk_buyers_with_identity(database_url, 2000)
    prepared = time.monotonic() - started
    started = time.monotonic()
    requests = purchases(deal_id, buyers, [purchase_body()] * len(buyers))
    responses = asyncio.run(race(url, requests, connections=200))
    raced = time.monotonic() - started
    print(f"\n{len(buyers):,} buyers prepared in {prepared:.1f} s; raced in {raced:.1f} s")
    return buyers, responses


def written_within(database_url: str, deal_id: int, *, orders: int, seconds: float) -> bool:
    """Whether the deal's orders number `orders` within `seconds`: an API purchase through the
    Redis ledger is answered before its order is written."""
    deadline = time.monotonic() + seconds
    while ledger_of(database_url, deal_id).orders < orders:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def assert_exactly_a_hundred_sold(live_api, database_url, deal_id, product_id, buyers, responses):
    """Exactly 100 win, every other buyer is told sold_out, nothing is oversold, and only the
    winners hold units or were charged CBEC room."""
    statuses = Counter(r.status_code for r in responses)
    losers = len(responses) - 100
    unexpected = [r.text for r in responses if r.status_code not in (201, 409)]
    assert statuses == {201: 100, 409: losers}, unexpected[:5]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    winners = {buyer.id for buyer, r in zip(buyers, responses, strict=True) if r.status_code == 201}
    assert len({r.json()["order_id"] for r in responses if r.status_code == 201}) == 100
    assert written_within(database_url, deal_id, orders=100, seconds=10)
    assert ledger_of(database_url, deal_id) == Ledger(
        quantity=100,
        remaining=0,
        reserved=100,
        sold=0,
        held_units=100,
        sold_units=0,
        orders=100,
        order_units=100,
        most_units_per_buyer=1,
        most_orders_per_buyer=1,
        buyers=100,
    )
    assert holders(database_url, deal_id) == winners
    used = annual_used(database_url, [buyer.id for buyer in buyers])
    assert {buyer_id for buyer_id, amount in used.items() if amount > 0} == winners
    assert stock_of(live_api, product_id) == 50
    return winners


def one_key_twenty_times(live_api, operator_token, database_url, url):
    """A buyer sends one 2-unit purchase 20 times at once with one Idempotency-Key, to a 10-unit
    deal allowing 5 each (so copies that each took units would pass the limit): every copy is
    answered 201 with the same single order, which holds exactly 2 units. Returns (deal, buyer)."""
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=20)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=10, per_buyer_limit=5)
    buyer = buyer_with_identity(live_api)
    headers = {**buyer.headers, "Idempotency-Key": "singles-day-retry"}
    path = f"/api/v1/deals/{deal['id']}/purchase"

    responses = asyncio.run(race(url, [(path, purchase_body(2), headers)] * 20, connections=20))

    assert [r.status_code for r in responses] == [201] * 20, [
        r.text for r in responses if r.status_code != 201
    ]
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert written_within(database_url, deal["id"], orders=1, seconds=10)
    assert order_ids(live_api, buyer) == [responses[0].json()["order_id"]]
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (8, 2, 1)
    return deal, buyer
