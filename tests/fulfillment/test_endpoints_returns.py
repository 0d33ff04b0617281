"""Returns over HTTP: asked for within 30 days of delivery, accepted with a full refund (tax
included) and the yearly room restored, or refused with a reason; every refusal writes nothing."""

from datetime import datetime, timedelta

import pytest

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.helpers import assert_problem, money
from tests.order.factories import place
from tests.order.return_factories import (
    ONE_BOTTLE_DUTIABLE,
    ask_return,
    delivered_order,
    detail,
    payment_status,
    set_delivered_at,
    set_yearly_used,
    snapshot,
    yearly_used,
)

# Two $30.00 bottles with $5.00 freight at 7.1000 (the README's example).
GOODS, FREIGHT, TAX, TOTAL = 42600, 3550, 8255, 54405
DUTIABLE = GOODS + FREIGHT
# One bottle from the same seller: 213.00 goods + the whole 35.50 freight.


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


@pytest.fixture
def shop(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    return seller, wine, buyer_with_identity(api)


def test_an_accepted_return_refunds_everything_and_restores_the_yearly_room(api, app, shop):
    # given a delivered order of two bottles and a second, kept order in the same year
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    kept = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    assert (order["goods"], order["freight"], order["tax"], order["total"]) == (
        money(GOODS),
        money(FREIGHT),
        money(TAX),
        money(TOTAL),
    )
    assert parse(order["return_window_ends_at"]) == parse(order["delivered_at"]) + timedelta(days=30)
    assert order["return_request"] is None
    assert yearly_used(app, order["id"]) == DUTIABLE + ONE_BOTTLE_DUTIABLE
    assert stock_of(api, wine["id"]) == 7

    # when the buyer asks to return it
    asked = ask_return(api, buyer, order["id"], reason="  酒瓶破损，酒液渗漏  ")
    assert asked.status_code == 200, asked.text
    requested = asked.json()
    assert requested["status"] == "return_requested"
    assert requested["return_request"] == {
        "status": "requested",
        "reason": "酒瓶破损，酒液渗漏",
        "requested_at": requested["return_request"]["requested_at"],
        "decided_at": None,
        "rejection_reason": None,
        "restocked": None,
        "refund": None,
    }
    # the seller finds it among the returns waiting for a decision
    waiting = api.get("/api/v1/orders", params={"status": "return_requested"}, headers=seller.headers)
    assert [o["id"] for o in waiting.json()["items"]] == [order["id"]]
    # nothing is given back before the return is accepted
    assert yearly_used(app, order["id"]) == DUTIABLE + ONE_BOTTLE_DUTIABLE
    assert payment_status(app, order["id"]) == "captured"

    # and the seller accepts it without restocking (no body at all)
    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)

    # then the whole paid amount is refunded, the tax inside it is the order's tax to the fen
    assert accepted.status_code == 200, accepted.text
    returned = accepted.json()
    assert returned["status"] == "returned"
    refund = returned["return_request"]["refund"]
    assert refund["amount"] == money(TOTAL) == returned["total"]
    assert refund["tax"] == money(TAX) == returned["tax"]
    assert refund["reference"].startswith("sandbox_refund_")
    assert refund["refunded_at"] == returned["return_request"]["decided_at"]
    assert returned["return_request"]["status"] == "accepted"
    assert returned["return_request"]["restocked"] is False
    assert payment_status(app, order["id"]) == f"captured, refunded {TOTAL}"
    assert payment_status(app, kept["id"]) == "captured"
    # the buyer's yearly room is back by exactly this order's dutiable value; the kept order stays
    assert yearly_used(app, order["id"]) == ONE_BOTTLE_DUTIABLE
    assert yearly_used(app, kept["id"]) == ONE_BOTTLE_DUTIABLE
    # and without restock the stock does not move
    assert stock_of(api, wine["id"]) == 7

    events = detail(api, order["id"], buyer)["events"]
    assert [(e["from_status"], e["to_status"], e["actor_id"], e["reason"]) for e in events] == [
        (None, "pending_payment", buyer.id, "placed"),
        ("pending_payment", "paid", buyer.id, "paid via sandbox"),
        ("paid", "shipped", seller.id, "shipped"),
        ("shipped", "delivered", seller.id, "delivered"),
        ("delivered", "return_requested", buyer.id, "酒瓶破损，酒液渗漏"),
        ("return_requested", "returned", seller.id, "return accepted: refunded 544.05 CNY incl. tax 82.55"),
    ]
    # the operator and the buyer see the same return on the order list
    listed = api.get("/api/v1/orders", params={"status": "returned"}, headers=buyer.headers).json()
    assert [(o["id"], o["return_request"]["refund"]["amount"]) for o in listed["items"]] == [
        (order["id"], money(TOTAL))
    ]


def test_restock_puts_each_line_back_and_an_operator_may_accept(api, app, operator_token):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    red = create_product(api, seller, stock=10)
    white = create_product(api, seller, stock=6)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(red["id"], 2), (white["id"], 3)])
    assert (stock_of(api, red["id"]), stock_of(api, white["id"])) == (8, 3)
    assert ask_return(api, buyer, order["id"]).status_code == 200

    accepted = api.post(
        f"/api/v1/orders/{order['id']}/return/accept",
        json={"restock": True},
        headers=operator_headers(operator_token),
    )

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["return_request"]["restocked"] is True
    assert (stock_of(api, red["id"]), stock_of(api, white["id"])) == (10, 6)
    assert accepted.json()["return_request"]["refund"]["amount"] == order["total"]
    assert accepted.json()["return_request"]["refund"]["tax"] == order["tax"]
    assert yearly_used(app, order["id"]) == 0
    operator_id = api.get("/api/v1/me", headers=operator_headers(operator_token)).json()["id"]
    last = detail(api, order["id"], buyer)["events"][-1]
    assert (last["to_status"], last["actor_id"], last["reason"]) == (
        "returned",
        operator_id,
        f"return accepted: refunded {order['total']['amount'] // 100}.{order['total']['amount'] % 100:02d} "
        f"CNY incl. tax {order['tax']['amount'] // 100}.{order['tax']['amount'] % 100:02d}; restocked",
    )


def test_a_refused_return_keeps_the_sale_and_cannot_be_asked_again(api, app, shop):
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(api, buyer, order["id"], reason="不想要了").status_code == 200

    rejected = api.post(
        f"/api/v1/orders/{order['id']}/return/reject",
        json={"reason": "Opened bottles cannot be returned."},
        headers=seller.headers,
    )

    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["status"] == "return_rejected"
    assert body["return_request"]["status"] == "rejected"
    assert body["return_request"]["rejection_reason"] == "Opened bottles cannot be returned."
    assert body["return_request"]["refund"] is None
    assert body["return_request"]["decided_at"] is not None
    assert yearly_used(app, order["id"]) == DUTIABLE
    assert stock_of(api, wine["id"]) == 8
    last = detail(api, order["id"], buyer)["events"][-1]
    assert (last["from_status"], last["to_status"], last["actor_id"], last["reason"]) == (
        "return_requested",
        "return_rejected",
        seller.id,
        "Opened bottles cannot be returned.",
    )

    # one request per order: asking again, or accepting after the refusal, is refused and writes nothing
    before = snapshot(api, app, order["id"], buyer)
    assert_problem(ask_return(api, buyer, order["id"]), 409, "invalid_status_transition")
    assert_problem(
        api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers),
        409,
        "invalid_status_transition",
    )
    assert snapshot(api, app, order["id"], buyer) == before


def test_the_window_closes_thirty_days_after_delivery(api, app, shop):
    seller, wine, buyer = shop
    late = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    in_time = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    now = datetime.fromisoformat(late["delivered_at"])
    set_delivered_at(app, late["id"], now - timedelta(days=30, seconds=1))
    # a minute of slack for the request's own time; the exact second is tested in test_returns.py
    set_delivered_at(app, in_time["id"], now - timedelta(days=30) + timedelta(minutes=1))

    before = snapshot(api, app, late["id"], buyer)
    assert_problem(ask_return(api, buyer, late["id"]), 409, "return_window_closed")
    assert snapshot(api, app, late["id"], buyer) == before

    assert ask_return(api, buyer, in_time["id"]).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "长" * 201},
        {"reason": 7},
        {"reason": "ok", "refund": 100},
        {"reason": "bad\u0000byte"},
    ],
)
def test_a_bad_reason_is_refused_and_nothing_is_written(api, app, shop, body):
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    before = snapshot(api, app, order["id"], buyer)
    response = api.post(f"/api/v1/orders/{order['id']}/return", json=body, headers=buyer.headers)
    assert_problem(response, 422, "validation_error")
    assert snapshot(api, app, order["id"], buyer) == before


def test_a_reason_of_exactly_200_characters_is_kept(api, shop):
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    reason = "退" * 200
    asked = ask_return(api, buyer, order["id"], reason=reason)
    assert asked.status_code == 200, asked.text
    assert asked.json()["return_request"]["reason"] == reason
    assert detail(api, order["id"], buyer)["events"][-1]["reason"] == reason


def test_who_may_ask_and_decide(api, app, shop):
    seller, wine, buyer = shop
    other_buyer = buyer_with_identity(api)
    other_seller = seller_with_profile(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    before = snapshot(api, app, order["id"], buyer)

    # asking: someone else's order is hidden; a seller may not ask at all
    assert_problem(ask_return(api, other_buyer, order["id"]), 404, "order_not_found")
    assert_problem(ask_return(api, seller, order["id"]), 403, "forbidden")
    assert_problem(ask_return(api, buyer, 10**9), 404, "order_not_found")
    # deciding before anything was asked is an illegal move
    assert_problem(
        api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers),
        409,
        "invalid_status_transition",
    )
    assert snapshot(api, app, order["id"], buyer) == before

    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, app, order["id"], buyer)
    accept = f"/api/v1/orders/{order['id']}/return/accept"
    reject = f"/api/v1/orders/{order['id']}/return/reject"
    no = {"reason": "no"}
    # deciding: the buyer may not, another seller does not see the order
    assert_problem(api.post(accept, headers=buyer.headers), 403, "not_allowed")
    assert_problem(api.post(reject, json=no, headers=buyer.headers), 403, "not_allowed")
    assert_problem(api.post(accept, headers=other_buyer.headers), 403, "not_allowed")
    assert_problem(api.post(accept, headers=other_seller.headers), 404, "order_not_found")
    assert_problem(api.post(reject, json=no, headers=other_seller.headers), 404, "order_not_found")
    # bad decision bodies
    assert_problem(api.post(accept, json={"restock": "yes"}, headers=seller.headers), 422, "validation_error")
    assert_problem(api.post(accept, json={"restock": 1}, headers=seller.headers), 422, "validation_error")
    assert_problem(api.post(reject, json={"reason": " "}, headers=seller.headers), 422, "validation_error")
    assert_problem(api.post(reject, headers=seller.headers), 422, "validation_error")
    assert_problem(api.post(accept, headers={}), 401, "not_authenticated")
    assert snapshot(api, app, order["id"], buyer) == before


def test_only_a_delivered_order_can_be_returned(api, app, shop):
    seller, wine, buyer = shop
    placed = place(api, buyer, [(wine["id"], 1)]).json()
    paid = api.post(f"/api/v1/orders/{placed['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200
    before = snapshot(api, app, placed["id"], buyer)
    assert_problem(ask_return(api, buyer, placed["id"]), 409, "invalid_status_transition")
    assert snapshot(api, app, placed["id"], buyer) == before


def test_the_return_request_honours_idempotency_key(api, shop):
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    headers = {**buyer.headers, "Idempotency-Key": f"return-{order['id']}"}
    path = f"/api/v1/orders/{order['id']}/return"

    first = api.post(path, json={"reason": "尺码不合适"}, headers=headers)
    again = api.post(path, json={"reason": "尺码不合适"}, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert_problem(
        api.post(path, json={"reason": "另一个理由"}, headers=headers), 422, "idempotency_key_reused"
    )
    assert [e["to_status"] for e in detail(api, order["id"], buyer)["events"]][-2:] == [
        "delivered",
        "return_requested",
    ]


def test_accepting_honours_idempotency_key(api, app, shop):
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    headers = {**seller.headers, "Idempotency-Key": f"accept-{order['id']}"}
    path = f"/api/v1/orders/{order['id']}/return/accept"

    first = api.post(path, json={"restock": True}, headers=headers)
    again = api.post(path, json={"restock": True}, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert_problem(api.post(path, json={"restock": False}, headers=headers), 422, "idempotency_key_reused")
    assert [e["to_status"] for e in detail(api, order["id"], buyer)["events"]].count("returned") == 1
    assert stock_of(api, wine["id"]) == 10  # restocked once


def test_a_drifted_yearly_counter_is_restored_to_zero_not_below(api, app, shop):
    seller, wine, buyer = shop
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    set_yearly_used(app, order["id"], 100)  # less than the order's 461.50

    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["return_request"]["refund"]["amount"] == money(TOTAL)
    assert yearly_used(app, order["id"]) == 0


def test_a_return_of_an_order_refunded_already_is_accepted_refunding_nothing_more(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    goodwill = api.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"reason": "goodwill"}, headers=seller.headers
    )
    assert goodwill.status_code == 201, goodwill.text
    assert ask_return(api, buyer, order["id"]).status_code == 200
    accepted = api.post(
        f"/api/v1/orders/{order['id']}/return/accept", json={"restock": True}, headers=seller.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "returned"
    assert accepted.json()["return_request"]["refund"]["amount"] == money(0)
    refunds = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert [r["amount"] for r in refunds] == [order["total"]]
