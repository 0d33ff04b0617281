"""Unpaid reservations expire after KUAJING_FLASH_SALE_TTL_SECONDS; their units go back to the
deal (not the product), and a worker that had learned the deal was sold out sells them again. A
cancelled reservation gives back its units and the buyer's allowance."""

import time

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.flash_sale.factories import Ledger, annual_used, create_campaign, create_deal, ledger_of, purchase
from tests.live import start_server
from tests.order.factories import wait_for_status

TTL_SECONDS = 3


@pytest.fixture(scope="module")
def short_ttl_api(database_url, tmp_path_factory):
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("flash-ttl") / "server.log",
        flash_sale_ttl_seconds=str(TTL_SECONDS),
        flash_sale_sold_out_recheck_seconds="0.3",
        sweep_interval_seconds="0.2",
        auth_cache_seconds="0",
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


# Live: the expiry sweeper is a background loop of a server with a 3-second reservation TTL.
def test_an_expired_reservation_gives_its_units_back_to_the_deal(
    live_api, short_ttl_api, operator_token, database_url
):
    # given a 2-unit deal carved out of 10 bottles, held whole by one unpaid order
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=10)
    deal = create_deal(
        live_api, seller, create_campaign(live_api, operator_token)["id"], wine["id"], quantity=2
    )
    holder, waiting = buyer_with_identity(live_api), buyer_with_identity(live_api)
    held = purchase(short_ttl_api, holder, deal["id"], quantity=2)
    assert held.status_code == 201, held.text
    order_id = held.json()["order_id"]
    # the waiting buyer is told sold_out, and this worker now remembers it
    for _ in range(2):
        refused = purchase(short_ttl_api, waiting, deal["id"])
        assert refused.status_code == 409
        assert refused.json()["code"] == "sold_out"

    # when its three seconds pass unpaid
    wait_for_status(live_api, order_id, holder.headers, "expired")

    # then both units are back on the deal, none on the product, and the holder's room is back
    assert ledger_of(database_url, deal["id"]) == Ledger(
        quantity=2,
        remaining=2,
        reserved=0,
        sold=0,
        held_units=0,
        sold_units=0,
        orders=0,
        order_units=0,
        most_units_per_buyer=0,
        most_orders_per_buyer=0,
        buyers=0,
    )
    assert stock_of(live_api, wine["id"]) == 8
    assert annual_used(database_url, [holder.id]) == {holder.id: 0}
    events = live_api.get(f"/api/v1/orders/{order_id}", headers=holder.headers).json()["events"]
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "pending_payment"),
        ("pending_payment", "expired"),
    ]
    paying = live_api.post(
        f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=holder.headers
    )
    assert paying.status_code == 409
    assert paying.json()["code"] == "order_not_payable"

    # and the worker that knew the deal sold out sells again within its re-check interval
    deadline = time.monotonic() + 2
    while (again := purchase(short_ttl_api, waiting, deal["id"])).status_code == 409:
        assert again.json()["code"] == "sold_out"
        assert time.monotonic() < deadline, "the sold-out memory outlived its re-check interval"
        time.sleep(0.05)
    assert again.status_code == 201, again.text
    assert ledger_of(database_url, deal["id"]).reserved == 1


def test_a_cancelled_reservation_gives_back_units_and_allowance(api, app, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    deal = create_deal(
        api, seller, create_campaign(api, operator_token)["id"], wine["id"], quantity=5, per_buyer_limit=1
    )
    buyer = buyer_with_identity(api)
    order_id = purchase(api, buyer, deal["id"]).json()["order_id"]
    assert purchase(api, buyer, deal["id"]).json()["code"] == "buyer_limit_reached"

    cancelled = api.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert ledger_of(app, deal["id"]).remaining == 5
    assert stock_of(api, wine["id"]) == 5

    assert purchase(api, buyer, deal["id"]).status_code == 201
    ledger = ledger_of(app, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.most_units_per_buyer) == (4, 1, 1)
