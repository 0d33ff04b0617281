"""Many clients at once against a two-worker server: no oversell, one order per idempotency key."""

import asyncio

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.live import start_server
from tests.order.factories import order_body, order_ids


@pytest.fixture(scope="module")
def multiworker_url(database_url, tmp_path_factory):
    server = start_server(
        database_url, tmp_path_factory.mktemp("mw") / "server.log", workers=2, sweep_interval_seconds="0"
    )
    yield server.url
    server.stop()


async def _post_all(url, requests):
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post(path, json=body, headers=headers) for path, body, headers in requests)
        )


def test_fifty_buyers_race_for_the_last_ten_units(live_api, multiworker_url):
    # given a wine with 10 units left and 50 buyers with identities
    wine = create_product(live_api, seller_with_profile(live_api), stock=10)
    buyers = [buyer_with_identity(live_api) for _ in range(50)]
    # when all 50 order one bottle at the same moment
    responses = asyncio.run(
        _post_all(
            multiworker_url, [("/api/v1/orders", order_body([(wine["id"], 1)]), b.headers) for b in buyers]
        )
    )
    # then exactly 10 win, the rest are told it sold out, and stock is exactly 0
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [409] * 40, [r.text for r in responses if r.status_code not in (201, 409)]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"out_of_stock"}
    assert stock_of(live_api, wine["id"]) == 0
    winners = [b for b, r in zip(buyers, responses, strict=True) if r.status_code == 201]
    assert sum(len(order_ids(live_api, b)) for b in buyers) == 10
    assert sorted(len(order_ids(live_api, b)) for b in winners) == [1] * 10


def test_one_idempotency_key_replayed_twenty_times_makes_one_order(live_api, multiworker_url):
    wine = create_product(live_api, seller_with_profile(live_api), stock=100)
    buyer = buyer_with_identity(live_api)
    headers = {**buyer.headers, "Idempotency-Key": "checkout-7f3a"}
    body = order_body([(wine["id"], 2)])
    responses = asyncio.run(_post_all(multiworker_url, [("/api/v1/orders", body, headers)] * 20))
    assert [r.status_code for r in responses] == [201] * 20, [
        r.text for r in responses if r.status_code != 201
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    assert order_ids(live_api, buyer) == [responses[0].json()["id"]]
    assert stock_of(live_api, wine["id"]) == 98

    other_body = order_body([(wine["id"], 3)])
    reused = live_api.post("/api/v1/orders", json=other_body, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert stock_of(live_api, wine["id"]) == 98
    assert len(order_ids(live_api, buyer)) == 1
