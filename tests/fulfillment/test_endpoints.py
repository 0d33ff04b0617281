"""Moving orders over HTTP: paid, shipped, delivered or cancelled, and every illegal move refused."""

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.helpers import assert_problem, money
from tests.order.factories import place


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
