"""Placing and moving orders over HTTP, with every CBEC refusal and nothing written on refusal."""

import asyncio

import httpx
import pytest

from tests.auth.factories import (
    VALID_ID_NUMBER,
    buyer_with_identity,
    new_id_number,
    operator_headers,
    register,
    seller_with_profile,
)
from tests.catalog.factories import APPLES, create_product, stock_of
from tests.order.factories import order_body, order_ids, place


def money(amount):
    return {"amount": amount, "currency": "CNY"}


def assert_problem(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_order_lifecycle_placed_paid_shipped_delivered(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)

    placed = place(api, buyer, [(wine["id"], 2)])
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "pending_payment"
    assert order["seller_id"] == seller.id
    assert (order["goods"], order["freight"], order["tax"], order["total"]) == (
        money(42600),
        money(3550),
        money(8255),
        money(54405),
    )
    assert order["fx_rate"] == "7.1000"
    assert stock_of(api, wine["id"]) == 8

    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    again = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert again.json()["status"] == "paid"

    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.json()["status"] == "shipped"
    assert shipped.json()["tracking_number"] == "SF1234567890"
    delivered = api.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller.headers)
    assert delivered.json()["status"] == "delivered"

    detail = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()
    assert [(e["from_status"], e["to_status"]) for e in detail["events"]] == [
        (None, "pending_payment"),
        ("pending_payment", "paid"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
    ]
    # the rate used stays on the order when the operator later changes it
    assert detail["fx_rate"] == "7.1000"


def test_illegal_transitions_are_refused(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)]).json()
    assert_problem(
        api.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller.headers),
        409,
        "invalid_status_transition",
    )
    assert_problem(
        api.post(
            f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF1"}, headers=seller.headers
        ),
        422,
        "validation_error",
    )
    assert_problem(
        api.post(
            f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF12345"}, headers=seller.headers
        ),
        409,
        "invalid_status_transition",
    )
    assert (
        api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()["status"] == "pending_payment"
    )


def test_cancel_gives_the_stock_back(api):
    wine = create_product(api, seller_with_profile(api), stock=5)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 3)]).json()
    assert stock_of(api, wine["id"]) == 2
    cancelled = api.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    assert cancelled.json()["status"] == "cancelled"
    assert stock_of(api, wine["id"]) == 5
    assert_problem(
        api.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers),
        409,
        "invalid_status_transition",
    )
    assert stock_of(api, wine["id"]) == 5
    assert_problem(
        api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers),
        409,
        "order_not_payable",
    )


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


def test_a_bad_check_digit_is_refused_and_not_stored(api):
    buyer = register(api, "buyer")
    response = api.put(
        "/api/v1/buyer/identity",
        json={"name": "李娜", "id_number": "110105194912310021"},
        headers=buyer.headers,
    )
    assert_problem(response, 422, "invalid_id_number")
    assert_problem(api.get("/api/v1/buyer/identity", headers=buyer.headers), 404, "identity_required")


def test_identity_is_stored_masked(api):
    buyer = buyer_with_identity(api, id_number=VALID_ID_NUMBER)
    identity = api.get("/api/v1/buyer/identity", headers=buyer.headers).json()
    assert identity["name"] == "李娜"
    assert identity["id_number_masked"] == "110105********002X"


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


def test_two_accounts_with_one_id_number_share_one_yearly_limit(api):
    # the CBEC yearly limit belongs to the person, so a second account does not double it
    seller = seller_with_profile(api, shipping_fee_cents=0)
    wine = create_product(api, seller, price={"amount": 34000, "currency": "USD"}, stock=50)  # 2,414.00
    person = new_id_number()
    first, second = buyer_with_identity(api, id_number=person), buyer_with_identity(api, id_number=person)
    for _ in range(5):  # 24,140.00 through the first account
        assert place(api, first, [(wine["id"], 2)]).status_code == 201
    assert_problem(place(api, second, [(wine["id"], 1)]), 422, "cbec_annual_limit")
    assert order_ids(api, second) == []
    # while another person's account is unaffected
    assert place(api, buyer_with_identity(api), [(wine["id"], 1)]).status_code == 201


def test_the_id_number_is_fixed_once_the_account_has_ordered(api):
    wine = create_product(api, seller_with_profile(api))
    person = new_id_number()
    buyer = buyer_with_identity(api, id_number=person)
    # before any order the buyer may correct it
    corrected = new_id_number()
    assert (
        api.put(
            "/api/v1/buyer/identity", json={"name": "李娜", "id_number": corrected}, headers=buyer.headers
        ).status_code
        == 200
    )
    assert place(api, buyer, [(wine["id"], 1)]).status_code == 201
    # after, switching to another person's ID (fresh yearly room) is refused; the name may be fixed
    switched = api.put(
        "/api/v1/buyer/identity", json={"name": "王浩", "id_number": new_id_number()}, headers=buyer.headers
    )
    assert_problem(switched, 409, "identity_locked")
    renamed = api.put(
        "/api/v1/buyer/identity", json={"name": "李 娜", "id_number": corrected}, headers=buyer.headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["id_number_masked"] == corrected[:6] + "********" + corrected[14:]


def test_paying_twice_at_once_charges_once(api):
    wine = create_product(api, seller_with_profile(api))
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)]).json()

    async def pay_both():
        async with httpx.AsyncClient(base_url=str(api.base_url), timeout=30) as client:
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
    events = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()["events"]
    assert [e["to_status"] for e in events] == ["pending_payment", "paid"]
