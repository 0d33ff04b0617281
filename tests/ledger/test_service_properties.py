"""A property of the books: whatever sequence of payments, partial refunds, deliveries and
payouts happens, every entry balances, the tax payable is the tax of what was paid and not
refunded, each seller is owed exactly their orders' net less what was paid out, and no refund
ever gives back more than its payment or its lines."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.ledger.invariants import check_books
from tests.order.factories import place
from tests.order.return_factories import set_delivered_at

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(1, 3), st.integers(0, 2)),  # bottles of wine, of gin
        st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 3)),  # an order, units
        st.tuples(st.just("refund_rest"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("deliver"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("age"), st.integers(0, 5), st.just(0)),  # its return window closes
        st.tuples(st.just("payout"), st.just(0), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_any_sequence_of_money_events_keeps_the_books_true(app, operator_token, steps):
    api = app.client
    ops = operator_headers(operator_token)
    seller = seller_with_profile(api, shipping_fee_cents=700)
    wine = create_product(api, seller, stock=1000)
    second = create_product(api, seller, stock=1000, price={"amount": 1299, "currency": "USD"})
    buyer = buyer_with_identity(api)
    orders: list[dict] = []
    for action, which, amount in steps:
        order = orders[which % len(orders)] if orders else None
        if action == "buy":
            lines = [(wine["id"], which)] + ([(second["id"], amount)] if amount else [])
            placed = place(api, buyer, lines)
            assert placed.status_code == 201, placed.text
            paid = api.post(
                f"/api/v1/orders/{placed.json()['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
            )
            assert paid.status_code == 200, paid.text
            orders.append(paid.json())
        elif action == "refund" and order is not None:
            line = order["lines"][amount % len(order["lines"])]
            answer = api.post(
                f"/api/v1/orders/{order['id']}/refunds",
                json={
                    "lines": [{"product_id": line["product_id"], "quantity": amount}],
                    "reason": "property",
                },
                headers=seller.headers,
            )
            assert answer.status_code in (201, 409), answer.text
        elif action == "refund_rest" and order is not None:
            answer = api.post(
                f"/api/v1/orders/{order['id']}/refunds", json={"reason": "all"}, headers=seller.headers
            )
            assert answer.status_code in (201, 409), answer.text
        elif action == "deliver" and order is not None:
            api.post(
                f"/api/v1/orders/{order['id']}/ship",
                json={"tracking_number": "SF1234567890"},
                headers=seller.headers,
            )
            api.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller.headers)
        elif action == "age" and order is not None:
            if api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()["delivered_at"]:
                set_delivered_at(app, order["id"], datetime.now(UTC) - timedelta(days=31))
        elif action == "payout":
            ran = api.post(
                "/api/v1/payouts/run", json={"minimum": {"amount": 1, "currency": "USD"}}, headers=ops
            )
            assert ran.status_code in (200, 201), ran.text
        check_books(app)

    for order in orders:
        payments = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
        refunds = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
        for payment in payments:
            given_back = sum(r["amount"]["amount"] for r in refunds if r["payment_id"] == payment["id"])
            assert given_back == payment["refunded"]["amount"] <= payment["amount"]["amount"]
        refunded_units: dict[int, int] = {}
        for refund in refunds:
            for line in refund["lines"] or []:
                refunded_units[line["product_id"]] = (
                    refunded_units.get(line["product_id"], 0) + line["quantity"]
                )
        for line in order["lines"]:
            assert refunded_units.get(line["product_id"], 0) <= line["quantity"]
        if all(refunded_units.get(line["product_id"], 0) == line["quantity"] for line in order["lines"]):
            # everything given back: the whole payment, to the fen
            assert sum(r["amount"]["amount"] for r in refunds) == order["total"]["amount"]
    balance = api.get("/api/v1/seller/balance", headers=seller.headers).json()
    owed = check_books(app)
    party = str(seller.id)
    assert balance["pending"]["amount"] + balance["available"]["amount"] == owed.get(
        ("seller_pending", party, "USD"), 0
    ) + owed.get(("seller_payable", party, "USD"), 0)
