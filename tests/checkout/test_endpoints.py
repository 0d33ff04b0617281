"""Placing orders over HTTP, with every CBEC refusal and nothing written on refusal."""

import pytest

from tests.auth.factories import (
    account_taking_over,
    buyer_with_identity,
    new_id_number,
    operator_headers,
    register,
    seller_with_profile,
)
from tests.catalog.factories import APPLES, create_product, stock_of
from tests.customs.helpers import seller_with_customs_code
from tests.helpers import assert_problem, money
from tests.order.factories import order_body, order_ids, place


def test_two_lines_over_5000_yuan_are_refused_and_nothing_is_written(api):
    seller = seller_with_profile(api, shipping_fee_cents=0)
    wine = create_product(api, seller, price={"amount": 40000, "currency": "USD"}, stock=10)  # 2,840.00 each
    apples = create_product(api, seller, APPLES, stock=10)
    buyer = buyer_with_identity(api)
    response = place(api, buyer, [(wine["id"], 2), (apples["id"], 1)])
    assert_problem(response, 422, "cbec_order_limit")
    assert stock_of(api, wine["id"]) == 10
    assert stock_of(api, apples["id"]) == 10
    assert order_ids(api, buyer) == []


def test_one_bottle_over_5000_yuan_is_allowed_and_taxed_in_full(api):
    seller = seller_with_profile(api, shipping_fee_cents=0)
    grand_cru = create_product(api, seller, price={"amount": 75000, "currency": "USD"})
    buyer = buyer_with_identity(api)
    response = place(api, buyer, [(grand_cru["id"], 1)])
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["channel"] == "cbec_single_item_full_tax"
    assert (order["goods"], order["tariff"], order["consumption_tax"], order["vat"], order["tax"]) == (
        money(532500),
        money(127800),
        money(73367),
        money(95377),
        money(296544),
    )
    assert order["total"] == money(532500 + 296544)


def test_the_order_that_passes_26000_yuan_in_a_year_is_refused(api):
    seller = seller_with_profile(api, shipping_fee_cents=0)
    wine = create_product(api, seller, price={"amount": 34000, "currency": "USD"}, stock=50)  # 2,414.00
    buyer = buyer_with_identity(api)
    for _ in range(5):  # 5 × 2 × 2,414.00 = 24,140.00 held by pending orders
        assert place(api, buyer, [(wine["id"], 2)]).status_code == 201
    response = place(api, buyer, [(wine["id"], 1)])  # 26,554.00 > 26,000
    assert_problem(response, 422, "cbec_annual_limit")
    assert stock_of(api, wine["id"]) == 40
    assert len(order_ids(api, buyer)) == 5


def test_an_order_needs_a_real_name_identity(api):
    wine = create_product(api, seller_with_profile(api), stock=4)
    buyer = register(api, "buyer")
    assert_problem(place(api, buyer, [(wine["id"], 1)]), 422, "identity_required")
    assert stock_of(api, wine["id"]) == 4


@pytest.mark.parametrize(
    ("accepted", "code"), [(False, "risk_notice_required"), ("true", "validation_error")]
)
def test_the_risk_notice_must_be_accepted(api, accepted, code):
    wine = create_product(api, seller_with_profile(api), stock=4)
    buyer = buyer_with_identity(api)
    assert_problem(place(api, buyer, [(wine["id"], 1)], risk_notice_accepted=accepted), 422, code)
    assert stock_of(api, wine["id"]) == 4
    body = order_body([(wine["id"], 1)])
    del body["risk_notice_accepted"]
    assert_problem(api.post("/api/v1/orders", json=body, headers=buyer.headers), 422, "validation_error")


def test_ordering_more_than_the_stock_is_a_conflict(api):
    wine = create_product(api, seller_with_profile(api), stock=2)
    buyer = buyer_with_identity(api)
    assert_problem(place(api, buyer, [(wine["id"], 3)]), 409, "out_of_stock")
    assert stock_of(api, wine["id"]) == 2


def test_orders_from_two_sellers_are_refused(api):
    one = create_product(api, seller_with_profile(api))
    two = create_product(api, seller_with_profile(api))
    buyer = buyer_with_identity(api)
    assert_problem(place(api, buyer, [(one["id"], 1), (two["id"], 1)]), 422, "mixed_sellers")
    assert order_ids(api, buyer) == []


def test_an_order_keeps_the_rate_it_used(api, operator_token):
    wine = create_product(api, seller_with_profile(api, shipping_fee_cents=0))
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)]).json()
    changed = api.put(
        "/api/v1/fx-rates/USD-CNY", json={"rate": "7.2500"}, headers=operator_headers(operator_token)
    )
    assert changed.status_code == 200
    assert api.get(f"/api/v1/products/{wine['id']}").json()["price_cny"] == money(21750)
    stored = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()
    assert (stored["fx_rate"], stored["goods"]) == ("7.1000", money(21300))


def test_a_persons_second_account_shares_the_yearly_limit(api, operator_token):
    # the CBEC yearly limit belongs to the person, so a second account does not double it
    seller = seller_with_profile(api, shipping_fee_cents=0)
    wine = create_product(api, seller, price={"amount": 34000, "currency": "USD"}, stock=50)  # 2,414.00
    person = new_id_number()
    first = buyer_with_identity(api, id_number=person)
    for _ in range(5):  # 24,140.00 through the first account
        assert place(api, first, [(wine["id"], 2)]).status_code == 201
    second = account_taking_over(api, operator_token, person)
    assert_problem(place(api, second, [(wine["id"], 1)]), 422, "cbec_annual_limit")
    assert order_ids(api, second) == []
    # while another person's account is unaffected
    assert place(api, buyer_with_identity(api), [(wine["id"], 1)]).status_code == 201


def test_an_address_too_long_for_customs_is_refused(api):
    seller, _ = seller_with_customs_code(api)
    wine = create_product(api, seller)
    buyer = buyer_with_identity(api)
    address = {
        "name": "李娜",
        "phone": "13800138000",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "street": "路" * 191,  # 3 + 3 + 4 + 191 = 201 characters
    }
    response = place(api, buyer, [(wine["id"], 1)], shipping_address=address)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert api.get("/api/v1/orders", headers=buyer.headers).json()["items"] == []
