"""Real races over HTTP against a two-worker server: each worker batches its own attempts and the
guarded SQL keeps them correct together. Invariants are read from the database afterwards."""

import asyncio

import pytest

from tests.auth.factories import bulk_buyers_with_identity, buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import (
    annual_used,
    batches_of,
    create_campaign,
    create_deal,
    ledger_of,
    purchase_body,
)
from tests.flash_sale.races import (
    RACE_SERVER_ARGS,
    assert_exactly_a_hundred_sold,
    hundred_unit_deal,
    one_key_twenty_times,
    purchases,
    race,
    two_thousand_buyers_race,
)
from tests.live import start_server
from tests.order.factories import order_ids


@pytest.fixture(scope="module")
def two_workers(database_url, tmp_path_factory):
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("flash") / "server.log",
        workers=2,
        extra_args=RACE_SERVER_ARGS,
        sweep_interval_seconds="0",
        auth_cache_seconds="5",
    )
    yield server.url
    server.stop()


def test_two_thousand_buyers_race_for_a_hundred_units(live_api, operator_token, database_url, two_workers):
    # given a 100-unit deal (of 150 in stock), one per buyer, and 2,000 buyers with identities
    deal, wine = hundred_unit_deal(live_api, operator_token)

    # when all of them buy one unit at once over 200 connections
    buyers, responses = two_thousand_buyers_race(database_url, two_workers, deal["id"])

    # then exactly 100 win, every other buyer is told sold_out, and nothing is oversold
    assert_exactly_a_hundred_sold(live_api, database_url, deal["id"], wine["id"], buyers, responses)
    # and they went in groups: one transaction per buyer would be 100 (measured: 3 on both databases)
    batches = batches_of(database_url, deal["id"])
    print(f"the 100 units were placed by {batches} batch transactions")
    assert batches < 100


def test_one_buyers_racing_attempts_stop_exactly_at_the_limit(
    live_api, operator_token, database_url, two_workers
):
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=50)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=50, per_buyer_limit=3)
    buyer = buyer_with_identity(live_api)

    responses = asyncio.run(
        race(two_workers, purchases(deal["id"], [buyer] * 20, [purchase_body()] * 20), connections=20)
    )

    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 17
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"buyer_limit_reached"}
    assert len(order_ids(live_api, buyer)) == 3
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.most_units_per_buyer) == (47, 3, 3, 3)
    order = live_api.get(f"/api/v1/orders/{order_ids(live_api, buyer)[0]}", headers=buyer.headers).json()
    assert annual_used(database_url, [buyer.id]) == {
        buyer.id: 3 * order["goods"]["amount"] + 3 * order["freight"]["amount"]
    }


def test_mixed_quantities_never_oversell(live_api, operator_token, database_url, two_workers):
    # given 50 units and 60 buyers who each want 2 or 3
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=50)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=50, per_buyer_limit=3)
    buyers = bulk_buyers_with_identity(database_url, 60)
    wants = [2 + i % 2 for i in range(60)]

    responses = asyncio.run(
        race(two_workers, purchases(deal["id"], buyers, [purchase_body(q) for q in wants]), connections=60)
    )

    sold = sum(q for q, r in zip(wants, responses, strict=True) if r.status_code == 201)
    refused = [q for q, r in zip(wants, responses, strict=True) if r.status_code == 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    assert len(refused) + sum(1 for r in responses if r.status_code == 201) == 60
    ledger = ledger_of(database_url, deal["id"])
    assert ledger.reserved == ledger.held_units == ledger.order_units == sold
    assert ledger.remaining == 50 - sold
    # every refusal asked for more than was left: nothing that could fit was turned away
    assert all(q > ledger.remaining for q in refused)


def test_one_idempotency_key_sent_twenty_times_makes_one_order(
    live_api, operator_token, database_url, two_workers
):
    one_key_twenty_times(live_api, operator_token, database_url, two_workers)
