"""Moves of one order racing each other on a live server: paid once, refunded once, decided once."""

import asyncio

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.live import start_server
from tests.order.factories import place
from tests.order.return_factories import ONE_BOTTLE_DUTIABLE, ask_return, delivered_order, detail, yearly_used


@pytest.fixture
def shop(live_api):
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=10)
    return seller, wine, buyer_with_identity(live_api)


@pytest.fixture(scope="module")
def two_worker_url(database_url, tmp_path_factory):
    server = start_server(
        database_url, tmp_path_factory.mktemp("returns") / "server.log", workers=2, sweep_interval_seconds="0"
    )
    yield server.url
    server.stop()


async def _post_all(url, requests):
    async with httpx.AsyncClient(
        base_url=url, timeout=60, limits=httpx.Limits(max_connections=len(requests))
    ) as client:
        return await asyncio.gather(
            *(client.post(path, json=body, headers=headers) for path, body, headers in requests)
        )


def test_paying_twice_at_once_charges_once(live_api):
    wine = create_product(live_api, seller_with_profile(live_api))
    buyer = buyer_with_identity(live_api)
    order = place(live_api, buyer, [(wine["id"], 1)]).json()

    async def pay_both():
        async with httpx.AsyncClient(base_url=str(live_api.base_url), timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
                    )
                    for _ in range(8)
                )
            )

    responses = asyncio.run(pay_both())
    assert [(r.status_code, r.json()["status"]) for r in responses] == [(200, "paid")] * 8
    events = live_api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()["events"]
    assert [e["to_status"] for e in events] == ["pending_payment", "paid"]


def test_eight_concurrent_accepts_refund_once(live_api, database_url, two_worker_url, shop):
    seller, wine, buyer = shop
    order = delivered_order(live_api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(live_api, buyer, order["id"]).status_code == 200
    assert stock_of(live_api, wine["id"]) == 8

    path = f"/api/v1/orders/{order['id']}/return/accept"
    responses = asyncio.run(_post_all(two_worker_url, [(path, {"restock": True}, seller.headers)] * 8))

    assert sorted(r.status_code for r in responses) == [200] + [409] * 7, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"invalid_status_transition"}
    events = detail(live_api, order["id"], buyer)["events"]
    assert [e["to_status"] for e in events].count("returned") == 1
    assert len(events) == 6
    # the yearly room came back once (not eight times, which the CHECK would also stop) and so did the stock
    assert yearly_used(database_url, order["id"]) == 0
    assert stock_of(live_api, wine["id"]) == 10
    winner = next(r for r in responses if r.status_code == 200).json()
    assert detail(live_api, order["id"], buyer)["return_request"] == winner["return_request"]


def test_accept_and_reject_racing_leave_one_decision(
    live_api, database_url, two_worker_url, operator_token, shop
):
    seller, wine, buyer = shop
    order = delivered_order(live_api, buyer, seller, [(wine["id"], 1)])
    delivered_order(live_api, buyer, seller, [(wine["id"], 1)])  # kept: its room stays used either way
    assert ask_return(live_api, buyer, order["id"]).status_code == 200
    base = f"/api/v1/orders/{order['id']}/return"
    ops = operator_headers(operator_token)
    requests = [(f"{base}/accept", {}, seller.headers), (f"{base}/reject", {"reason": "no"}, ops)] * 4

    responses = asyncio.run(_post_all(two_worker_url, requests))

    assert sorted(r.status_code for r in responses) == [200] + [409] * 7, [r.text for r in responses]
    final = detail(live_api, order["id"], buyer)
    decided = [e["to_status"] for e in final["events"] if e["from_status"] == "return_requested"]
    assert len(decided) == 1
    if final["status"] == "returned":
        assert yearly_used(database_url, order["id"]) == ONE_BOTTLE_DUTIABLE
        assert final["return_request"]["refund"]["amount"] == order["total"]
    else:
        assert final["status"] == "return_rejected"
        assert yearly_used(database_url, order["id"]) == 2 * ONE_BOTTLE_DUTIABLE
        assert final["return_request"]["refund"] is None
