"""Money racing itself on a live server with two workers and Alipay configured (a local gateway
speaking its wire format): twenty copies of one notification at once capture once, and refunds
racing for the same units or the same money pay once. The books are checked afterwards."""

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import money
from tests.ledger.invariants import check_books
from tests.live import start_server
from tests.order.factories import place
from tests.payment.gateways import AlipaySetup, form_body

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def alipay_live(database_url, tmp_path_factory):
    keys = Path(tmp_path_factory.mktemp("alipay-keys"))
    with AlipaySetup.start(keys) as alipay:
        server = start_server(
            database_url,
            tmp_path_factory.mktemp("alipay-server") / "server.log",
            workers=2,
            sweep_interval_seconds="0",
            payment_sandbox="true",
            **alipay.settings,
        )
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                yield alipay, client
        finally:
            server.stop()


def _paid_order(alipay, api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    payment = api.post(
        f"/api/v1/orders/{order['id']}/payments", json={"provider": "alipay"}, headers=buyer.headers
    ).json()
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    return seller, wine, buyer, order, payment


async def _all(url, requests):
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=32)) as client:
        return await asyncio.gather(*(client.post(path, **kwargs) for path, kwargs in requests))


def test_twenty_copies_of_one_notification_at_once_capture_once(alipay_live, database_url):
    alipay, api = alipay_live
    _seller, _wine, buyer, order, payment = _paid_order(alipay, api)
    body = form_body(alipay.fake.notification(str(payment["id"])))
    answers = asyncio.run(
        _all(str(api.base_url), [("/api/v1/payments/alipay/notify", {"content": body, "headers": FORM})] * 20)
    )
    assert [(r.status_code, r.text) for r in answers] == [(200, "success")] * 20
    detail = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()
    assert [e["to_status"] for e in detail["events"]] == ["pending_payment", "paid"]
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert stored["status"] == "captured"
    check_books(database_url)


def test_racing_refunds_of_the_same_units_pay_once(alipay_live, database_url):
    alipay, api = alipay_live
    seller, wine, buyer, order, payment = _paid_order(alipay, api)
    assert (
        api.post(
            "/api/v1/payments/alipay/notify",
            content=form_body(alipay.fake.notification(str(payment["id"]))),
            headers=FORM,
        ).text
        == "success"
    )
    both_bottles = {"lines": [{"product_id": wine["id"], "quantity": 2}], "reason": "破损"}
    answers = asyncio.run(
        _all(
            str(api.base_url),
            [(f"/api/v1/orders/{order['id']}/refunds", {"json": both_bottles, "headers": seller.headers})]
            * 8,
        )
    )
    assert sorted(r.status_code for r in answers) == [201] + [409] * 7
    assert {r.json()["code"] for r in answers if r.status_code == 409} <= {
        "refund_quantity_exceeded",
        "order_not_refundable",
        "refund_exceeds_payment",
    }
    refunds = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(money(54405), "succeeded")]
    assert list(alipay.fake.trade(str(payment["id"]))["refunds"].values()) == ["544.05"]
    check_books(database_url)
