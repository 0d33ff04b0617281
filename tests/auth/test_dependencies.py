"""Every endpoint refuses the wrong caller without changing anything: another seller's product,
another buyer's order, what only operators may do."""

from tests.auth.factories import buyer_with_identity, register, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import problem_code
from tests.order.factories import place


def test_another_sellers_product_cannot_be_edited(api):
    owner = seller_with_profile(api)
    intruder = seller_with_profile(api)
    wine = create_product(api, owner)
    response = api.patch(
        f"/api/v1/products/{wine['id']}",
        json={"stock_delta": -100, "price": {"amount": 1, "currency": "USD"}},
        headers=intruder.headers,
    )
    assert problem_code(response, 403) == "not_your_product"
    after = api.get(f"/api/v1/products/{wine['id']}").json()
    assert (after["stock"], after["price"]["amount"]) == (100, 3000)

    buyer = register(api, "buyer")
    assert (
        problem_code(
            api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": -100}, headers=buyer.headers),
            403,
        )
        == "forbidden"
    )
    assert api.get(f"/api/v1/products/{wine['id']}").json()["stock"] == 100


def test_another_buyers_order_cannot_be_read_paid_or_cancelled(api):
    wine = create_product(api, seller_with_profile(api))
    owner = buyer_with_identity(api)
    other = buyer_with_identity(api)
    order = place(api, owner, [(wine["id"], 1)]).json()
    assert (
        problem_code(api.get(f"/api/v1/orders/{order['id']}", headers=other.headers), 404)
        == "order_not_found"
    )
    assert (
        problem_code(
            api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=other.headers),
            404,
        )
        == "order_not_found"
    )
    assert (
        problem_code(api.post(f"/api/v1/orders/{order['id']}/cancel", headers=other.headers), 404)
        == "order_not_found"
    )
    assert api.get("/api/v1/orders", headers=other.headers).json()["items"] == []
    assert (
        api.get(f"/api/v1/orders/{order['id']}", headers=owner.headers).json()["status"] == "pending_payment"
    )
    # another seller sees nothing either
    stranger = seller_with_profile(api)
    assert (
        problem_code(api.get(f"/api/v1/orders/{order['id']}", headers=stranger.headers), 404)
        == "order_not_found"
    )


def test_only_operators_change_the_fx_rate(api, operator_token):
    for account in (register(api, "buyer"), seller_with_profile(api)):
        response = api.put("/api/v1/fx-rates/USD-CNY", json={"rate": "9.9999"}, headers=account.headers)
        assert problem_code(response, 403) == "forbidden"
    assert (
        problem_code(api.put("/api/v1/fx-rates/USD-CNY", json={"rate": "9.9999"}), 401) == "not_authenticated"
    )
    assert api.get("/api/v1/fx-rates/USD-CNY").json()["rate"] == "7.1000"


def test_only_operators_read_the_jobs_report(api):
    assert (
        problem_code(api.get("/api/v1/impact/jobs", headers=register(api, "buyer").headers), 403)
        == "forbidden"
    )
    assert (
        problem_code(api.get("/api/v1/impact/jobs", headers=seller_with_profile(api).headers), 403)
        == "forbidden"
    )
