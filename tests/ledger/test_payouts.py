"""Paying sellers: an order's dollars are pending until delivered, payable through its return
window, then available; a payout run pays each seller above the minimum once, posts it, and
writes the bank file and the seller's statement to the cent."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.auth.factories import (
    EXAMPLE_EIN,
    approve_seller,
    buyer_with_identity,
    operator_headers,
    register,
    seller_with_profile,
)
from tests.catalog.factories import create_product
from tests.helpers import assert_problem, money
from tests.ledger.invariants import check_books
from tests.order.factories import place
from tests.order.return_factories import delivered_order, set_delivered_at


@pytest.fixture
def ops(operator_token):
    return operator_headers(operator_token)


def _balance(api, seller):
    body = api.get("/api/v1/seller/balance", headers=seller.headers).json()
    return body["pending"]["amount"], body["available"]["amount"], body["paid"]["amount"]


def test_a_winery_is_paid_its_net_once_the_return_window_closes(api, app, ops):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=20)
    buyer = buyer_with_identity(api)
    assert _balance(api, seller) == (0, 0, 0)

    placed = place(api, buyer, [(wine["id"], 2)]).json()
    assert (
        api.post(
            f"/api/v1/orders/{placed['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
        ).status_code
        == 200
    )
    # paid, not delivered: $60.00 + $5.00 - 5% of $60.00 = $62.00 pending
    assert _balance(api, seller) == (6200, 0, 0)

    delivered = delivered_order(api, buyer, seller, [(wine["id"], 1)])  # $30 + $5 - $1.50 = $33.50
    assert _balance(api, seller) == (6200 + 3350, 0, 0)
    nothing = api.post("/api/v1/payouts/run", json={}, headers=ops)
    assert nothing.status_code == 200, nothing.text  # no batch written when nobody is due
    assert (nothing.json()["id"], nothing.json()["payouts"], nothing.json()["bank_file"]) == (None, [], None)

    # thirty-one days after delivery its return window has closed
    set_delivered_at(app, delivered["id"], datetime.now(UTC) - timedelta(days=31))
    assert _balance(api, seller) == (6200, 3350, 0)
    ran = api.post("/api/v1/payouts/run", json={"minimum": {"amount": 1000, "currency": "USD"}}, headers=ops)
    assert ran.status_code == 201, ran.text
    batch = ran.json()
    (payout,) = [p for p in batch["payouts"] if p["seller_id"] == seller.id]
    assert payout["amount"] == money(3350, "USD")
    assert _balance(api, seller) == (6200, 0, 3350)

    bank = api.get(batch["bank_file"], headers=ops)
    assert bank.status_code == 200
    assert bank.headers["content-type"].startswith("text/csv")
    rows = bank.text.splitlines()
    assert rows[0] == "payout_id,seller_id,beneficiary,amount,currency,reference"
    reference = f"KUAJING PAYOUT {payout['id']} BATCH {batch['id']}"
    assert f"{payout['id']},{seller.id},Test Winery LLC,33.50,USD,{reference}" in rows

    statement = api.get(f"/api/v1/seller/payouts/{payout['id']}", headers=seller.headers).json()
    assert [
        (
            line["order_id"],
            line["goods"]["amount"],
            line["freight"]["amount"],
            line["commission"]["amount"],
            line["refunded"]["amount"],
            line["amount"]["amount"],
        )
        for line in statement["lines"]
    ] == [(delivered["id"], 3000, 500, 150, 0, 3350)]
    assert statement["total"] == money(3350, "USD")
    csv_text = api.get(f"/api/v1/seller/payouts/{payout['id']}/statement.csv", headers=seller.headers).text
    assert csv_text.splitlines()[-1] == "total,,,,,,,33.50"
    # the second run pays nothing twice
    again = api.post(
        "/api/v1/payouts/run", json={"minimum": {"amount": 1, "currency": "USD"}}, headers=ops
    ).json()
    assert [p for p in again["payouts"] if p["seller_id"] == seller.id] == []
    check_books(app)


def test_a_refund_after_a_payout_is_netted_from_the_next_one(api, app, ops):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=20)
    buyer = buyer_with_identity(api)
    first = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    set_delivered_at(app, first["id"], datetime.now(UTC) - timedelta(days=40))
    paid = api.post(
        "/api/v1/payouts/run", json={"minimum": {"amount": 1, "currency": "USD"}}, headers=ops
    ).json()
    assert [p["amount"]["amount"] for p in paid["payouts"] if p["seller_id"] == seller.id] == [6200]

    # a goodwill refund of one bottle after the money went out: $30 + $2.50 - $1.50 back
    refunded = api.post(
        f"/api/v1/orders/{first['id']}/refunds",
        json={"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "late damage claim"},
        headers=seller.headers,
    )
    assert refunded.status_code == 201, refunded.text
    assert _balance(api, seller) == (0, -3100, 6200)
    second = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    set_delivered_at(app, second["id"], datetime.now(UTC) - timedelta(days=35))
    netted = api.post(
        "/api/v1/payouts/run", json={"minimum": {"amount": 1, "currency": "USD"}}, headers=ops
    ).json()
    (payout,) = [p for p in netted["payouts"] if p["seller_id"] == seller.id]
    assert payout["amount"] == money(6200 - 3100, "USD")
    statement = api.get(f"/api/v1/seller/payouts/{payout['id']}", headers=seller.headers).json()
    assert [
        (
            line["order_id"],
            line["refunded"]["amount"],
            line["paid_before"]["amount"],
            line["amount"]["amount"],
        )
        for line in statement["lines"]
    ] == [(first["id"], 3100, 6200, -3100), (second["id"], 0, 0, 6200)]
    assert _balance(api, seller) == (0, 0, 6200 + 3100)
    check_books(app)


def test_payout_requests_that_make_no_sense_are_refused(api, ops):
    seller = seller_with_profile(api)
    buyer = buyer_with_identity(api)
    assert_problem(api.post("/api/v1/payouts/run", json={}, headers=seller.headers), 403, "forbidden")
    assert_problem(
        api.post("/api/v1/payouts/run", json={"minimum": {"amount": 100, "currency": "CNY"}}, headers=ops),
        422,
        "currency_not_usd",
    )
    assert_problem(
        api.post(
            "/api/v1/payouts/run", json={"minimum": {"amount": "50.00", "currency": "USD"}}, headers=ops
        ),
        422,
        "validation_error",
    )
    assert_problem(api.get("/api/v1/seller/payouts/999999", headers=seller.headers), 404, "payout_not_found")
    assert_problem(api.get("/api/v1/seller/balance", headers=buyer.headers), 403, "forbidden")
    assert_problem(api.get("/api/v1/payouts/batches/999999/bank-file", headers=ops), 404, "batch_not_found")


def test_a_sellers_name_a_spreadsheet_would_run_is_written_as_text_in_the_bank_file(api, app, ops):
    seller = register(api, "seller", name="=HYPERLINK shop")
    profile = api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": '=HYPERLINK("http://x")',
            "us_state": "CA",
            "employees": 3,
            "shipping_fee": {"amount": 500, "currency": "USD"},
            "ein": EXAMPLE_EIN,
        },
        headers=seller.headers,
    )
    assert profile.status_code == 200, profile.text
    approve_seller(api, seller)
    wine = create_product(api, seller, stock=5)
    order = delivered_order(api, buyer_with_identity(api), seller, [(wine["id"], 2)])
    set_delivered_at(app, order["id"], datetime.now(UTC) - timedelta(days=31))
    minimum = {"minimum": {"amount": 1, "currency": "USD"}}
    batch = api.post("/api/v1/payouts/run", json=minimum, headers=ops).json()
    rows = list(csv.reader(io.StringIO(api.get(batch["bank_file"], headers=ops).text)))
    (row,) = [row for row in rows[1:] if row[1] == str(seller.id)]
    assert row[2] == '\'=HYPERLINK("http://x")'
    assert_problem(
        api.get("/api/v1/ledger/accounts/seller_payable", params={"after": 2**40}, headers=ops),
        422,
        "validation_error",
    )
