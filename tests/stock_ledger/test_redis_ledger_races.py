"""The Redis ledger over HTTP against a two-worker server on the shared Redis (its own key
prefix): the 2,000-buyer race, one buyer's racing attempts, and a cancelled order's units given
back to Redis after the commit. (Expiry is tested in the test process, test_redis_ledger.py:
the session's own server sweeps the same database without Redis.)"""

import asyncio

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import (
    create_campaign,
    create_deal,
    ledger_of,
    purchase,
    purchase_body,
)
from tests.flash_sale.races import (
    assert_exactly_a_hundred_sold,
    hundred_unit_deal,
    one_key_twenty_times,
    purchases,
    race,
    redis_race_server,
    two_thousand_buyers_race,
)
from tests.order.factories import order_ids
from tests.stock_ledger.redis_factories import RedisDeal, redis_deal
from tests.stock_ledger.redis_servers import delete_prefix, new_prefix


@pytest.fixture(scope="module")
def prefix(redis_url):
    prefix = new_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture(scope="module")
def redis_workers(database_url, redis_url, prefix, tmp_path_factory):
    server = redis_race_server(database_url, redis_url, prefix, tmp_path_factory.mktemp("flash-redis"))
    yield server.url
    server.stop()


def test_two_thousand_buyers_race_for_a_hundred_units_through_redis(
    live_api, operator_token, database_url, redis_url, prefix, redis_workers
):
    # given a 100-unit deal, one per buyer
    deal, wine = hundred_unit_deal(live_api, operator_token)

    # when 2,000 buyers buy one unit at once over 200 connections, Redis admitting
    buyers, responses = two_thousand_buyers_race(database_url, redis_workers, deal["id"])

    # then exactly 100 orders, 1,900 sold_out, nothing oversold, and Redis agrees to the unit
    winners = assert_exactly_a_hundred_sold(live_api, database_url, deal["id"], wine["id"], buyers, responses)
    assert redis_deal(redis_url, deal["id"], prefix=prefix) == RedisDeal(
        stock=[0], buyers={buyer_id: 1 for buyer_id in winners}, entries=0
    )


def test_one_buyers_racing_attempts_stop_exactly_at_the_limit_in_redis(
    live_api, operator_token, database_url, redis_url, prefix, redis_workers
):
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=50)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=50, per_buyer_limit=3)
    buyer = buyer_with_identity(live_api)

    responses = asyncio.run(
        race(redis_workers, purchases(deal["id"], [buyer] * 20, [purchase_body()] * 20), connections=20)
    )

    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 17
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"buyer_limit_reached"}
    # (read once Redis has settled every admitted attempt: the 201s came before their writes)
    assert redis_deal(redis_url, deal["id"], prefix=prefix) == RedisDeal(
        stock=[47], buyers={buyer.id: 3}, entries=0
    )
    assert len(order_ids(live_api, buyer)) == 3
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.most_units_per_buyer) == (47, 3, 3, 3)


def test_a_cancelled_reservation_gives_its_units_back_in_redis(
    live_api, operator_token, database_url, redis_url, prefix, redis_workers
):
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=10)
    deal = create_deal(
        live_api,
        seller,
        create_campaign(live_api, operator_token)["id"],
        wine["id"],
        quantity=5,
        per_buyer_limit=1,
    )
    buyer = buyer_with_identity(live_api)
    with httpx.Client(base_url=redis_workers, timeout=30) as client:
        order_id = purchase(client, buyer, deal["id"]).json()["order_id"]
        assert purchase(client, buyer, deal["id"]).json()["code"] == "buyer_limit_reached"

        cancelled = client.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer.headers)
        assert cancelled.status_code == 200, cancelled.text
        assert ledger_of(database_url, deal["id"]).remaining == 5
        assert redis_deal(redis_url, deal["id"], prefix=prefix) == RedisDeal(stock=[5], buyers={}, entries=0)

        assert purchase(client, buyer, deal["id"]).status_code == 201
    assert redis_deal(redis_url, deal["id"], prefix=prefix) == RedisDeal(
        stock=[4], buyers={buyer.id: 1}, entries=0
    )


def test_one_idempotency_key_sent_twenty_times_makes_one_order_through_redis(
    live_api, operator_token, database_url, redis_url, prefix, redis_workers
):
    # given a buyer whose 20 copies of one request would pass the per-buyer limit if each took
    # units: every copy gets the one order (checked in the helper)
    deal, buyer = one_key_twenty_times(live_api, operator_token, database_url, redis_workers)
    # and Redis holds exactly its two units
    assert redis_deal(redis_url, deal["id"], prefix=prefix) == RedisDeal(
        stock=[8], buyers={buyer.id: 2}, entries=0
    )
