"""The expiry sweeper. On a live server: unpaid orders expire after KUAJING_ORDER_TTL_SECONDS and
give back their stock and yearly room. One sweep: each due order is expired in its own
transaction, so one it cannot expire is skipped, not allowed to hold back the orders due after it."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from kuajing.fulfillment import sweeper
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.time import utcnow
from kuajing.models import Deal, Order
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.compliance.factories import add_rows, tax_row
from tests.flash_sale.factories import create_campaign, create_deal, purchase
from tests.helpers import Target, in_db
from tests.live import start_server
from tests.order.factories import place, wait_for_status

# Long enough that each test's checks before expiry finish first even on a loaded CI machine.
TTL_SECONDS = 5


# live: expiry is the server's background sweeper at work, on orders it must see committed
@pytest.fixture(scope="module")
def short_ttl_api(database_url, tmp_path_factory):
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("ttl") / "server.log",
        order_ttl_seconds=str(TTL_SECONDS),
        sweep_interval_seconds="0.2",
        auth_cache_seconds="0",
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


def test_an_unpaid_order_expires_and_returns_its_stock(live_api, short_ttl_api):
    wine = create_product(live_api, seller_with_profile(live_api), stock=3)
    buyer = buyer_with_identity(live_api)
    order = place(short_ttl_api, buyer, [(wine["id"], 3)])
    assert order.status_code == 201, order.text
    assert stock_of(live_api, wine["id"]) == 0

    wait_for_status(live_api, order.json()["id"], buyer.headers, "expired")

    assert stock_of(live_api, wine["id"]) == 3
    detail = live_api.get(f"/api/v1/orders/{order.json()['id']}", headers=buyer.headers).json()
    assert [(e["from_status"], e["to_status"], e["actor_id"]) for e in detail["events"]] == [
        (None, "pending_payment", buyer.id),
        ("pending_payment", "expired", None),
    ]
    paying = live_api.post(
        f"/api/v1/orders/{order.json()['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
    )
    assert paying.status_code == 409
    assert paying.json()["code"] == "order_not_payable"


def test_expiry_gives_the_yearly_room_back(live_api, short_ttl_api):
    seller = seller_with_profile(live_api, shipping_fee_cents=0)
    wine = create_product(live_api, seller, price={"amount": 34000, "currency": "USD"}, stock=50)  # 2,414.00
    buyer = buyer_with_identity(live_api)
    for _ in range(4):  # 19,312.00 held by orders that will be paid
        held = place(live_api, buyer, [(wine["id"], 2)]).json()
        assert (
            live_api.post(
                f"/api/v1/orders/{held['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
            ).json()["status"]
            == "paid"
        )
    short = place(short_ttl_api, buyer, [(wine["id"], 2)])  # 24,140.00 with this pending one
    assert short.status_code == 201, short.text

    refused = place(live_api, buyer, [(wine["id"], 1)])  # 26,554.00
    assert refused.status_code == 422
    assert refused.json()["code"] == "cbec_annual_limit"

    wait_for_status(live_api, short.json()["id"], buyer.headers, "expired")

    accepted = place(live_api, buyer, [(wine["id"], 1)])  # 21,726.00
    assert accepted.status_code == 201, accepted.text
    assert stock_of(live_api, wine["id"]) == 50 - 8 - 1


def test_expiry_gives_capped_grams_back(live_api, short_ttl_api, database_url):
    add_rows(database_url, "tax_rules", [tax_row("1701")])  # sugar: 2,000 g a year per person
    seller = seller_with_profile(live_api)
    sugar = create_product(
        live_api,
        seller,
        category="other",
        hs_code="1701.99",
        price={"amount": 500, "currency": "USD"},
        attributes={"net_content": 1000, "unit": "g"},
        stock=10,
    )
    buyer = buyer_with_identity(live_api)
    short = place(short_ttl_api, buyer, [(sugar["id"], 2)])  # the whole 2,000 g
    assert short.status_code == 201, short.text
    assert place(live_api, buyer, [(sugar["id"], 1)]).json()["code"] == "yearly_quantity_cap"

    wait_for_status(live_api, short.json()["id"], buyer.headers, "expired")

    assert place(live_api, buyer, [(sugar["id"], 2)]).status_code == 201
    assert stock_of(live_api, sugar["id"]) == 8


def _status(target: Target, order_id: int) -> str:
    return in_db(target, lambda session: session.get(Order, order_id), write=False).status


def test_an_order_that_cannot_expire_does_not_hold_back_the_others(api, app, operator_token):
    # given two unpaid deal orders, the first (lower id) on a deal whose counters drifted so its
    # units cannot go back, both past their expiry
    seller = seller_with_profile(api)
    campaign = create_campaign(api, operator_token)
    drifted, healthy = (
        create_deal(api, seller, campaign["id"], create_product(api, seller, stock=5)["id"], quantity=2)
        for _ in range(2)
    )
    stuck = purchase(api, buyer_with_identity(api), drifted["id"]).json()["order_id"]
    due = purchase(api, buyer_with_identity(api), healthy["id"]).json()["order_id"]
    assert stuck < due

    async def make_due_and_drift(session):
        await session.execute(
            update(Order).where(Order.id.in_([stuck, due])).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.execute(update(Deal).where(Deal.id == drifted["id"]).values(remaining=2, reserved=0))

    async def repair(session):  # leave the shared database's deal as the ledger says
        await session.execute(update(Deal).where(Deal.id == drifted["id"]).values(remaining=1, reserved=1))

    in_db(app, make_due_and_drift)
    try:
        # when a sweep runs
        async def sweep(runtime) -> int:
            return await sweeper.sweep_once(runtime.database, runtime.get(FulfillmentContext))

        app.run_with_runtime(sweep)

        # then the healthy order expired and the stuck one is still waiting, untouched
        assert _status(app, due) == "expired"
        assert _status(app, stuck) == "pending_payment"
    finally:
        in_db(app, repair)
