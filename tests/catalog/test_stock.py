"""The stock counter and the snapshots quotes read: a unit taken or given back is seen by the next
quote at once, in the worker that moved it, although quotes read products from a snapshot up to
KUAJING_READ_CACHE_SECONDS old (the in-process app keeps the production bound of 1 s)."""

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal
from tests.order.factories import place


def _quote_codes(api, buyer, product_id, quantity=1):
    body = {"lines": [{"product_id": product_id, "quantity": quantity}]}
    response = api.post("/api/v1/quotes", json=body, headers=buyer.headers)
    assert response.status_code == 200, response.text
    return [p["code"] for p in response.json()["problems"]]


def test_stock_an_order_takes_is_seen_by_the_next_quote_at_once(api):
    wine = create_product(api, seller_with_profile(api), stock=3)
    buyer = buyer_with_identity(api)
    assert _quote_codes(api, buyer, wine["id"], 3) == []  # the snapshot now holds stock 3

    assert place(api, buyer, [(wine["id"], 3)]).status_code == 201

    assert _quote_codes(api, buyer, wine["id"]) == ["out_of_stock"]


def test_stock_a_cancelled_order_gives_back_is_seen_by_the_next_quote_at_once(api):
    wine = create_product(api, seller_with_profile(api), stock=2)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    assert _quote_codes(api, buyer, wine["id"]) == ["out_of_stock"]  # the snapshot holds stock 0

    cancelled = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text

    assert _quote_codes(api, buyer, wine["id"], 2) == []


def test_units_carved_out_for_a_deal_are_seen_by_the_next_quote_at_once(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    buyer = buyer_with_identity(api)
    assert _quote_codes(api, buyer, wine["id"], 5) == []

    create_deal(api, seller, create_campaign(api, operator_token)["id"], wine["id"], quantity=4)

    assert _quote_codes(api, buyer, wine["id"], 2) == ["out_of_stock"]
    assert _quote_codes(api, buyer, wine["id"], 1) == []
