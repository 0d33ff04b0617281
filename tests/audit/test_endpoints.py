"""The operator's audit trail over HTTP: every status change with actor and time, newest first."""

import base64

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import WINE, create_product
from tests.helpers import in_db
from tests.order.factories import place


def trail(api, token, **params):
    response = api.get("/api/v1/audit/events", params=params, headers=operator_headers(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_an_orders_changes_are_listed_newest_first_with_their_actors(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)]).json()
    assert api.post(
        f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
    ).is_success
    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text

    body = trail(api, operator_token, order_id=order["id"])
    moves = [
        (e["kind"], e["subject"], e["from_status"], e["to_status"], e["actor"]["email"])
        for e in body["items"]
    ]
    # paying drafts the order and payment messages, shipping drafts the waybill, each at the
    # moment of the order's own change (which a tie lists first)
    assert moves == [
        ("order", None, "paid", "shipped", seller.email),
        ("customs", "CEB511", None, "draft", seller.email),
        ("order", None, "pending_payment", "paid", buyer.email),
        ("customs", "CEB411", None, "draft", buyer.email),
        ("customs", "CEB311", None, "draft", buyer.email),
        ("order", None, None, "pending_payment", buyer.email),
    ]
    assert {e["actor"]["role"] for e in body["items"]} == {"buyer", "seller"}
    times = [e["at"] for e in body["items"]]
    assert times == sorted(times, reverse=True)
    assert body["next_cursor"] is None
    only_orders = trail(api, operator_token, order_id=order["id"], kind="order")["items"]
    assert [e["to_status"] for e in only_orders] == ["shipped", "paid", "pending_payment"]

    # the same six, one page at a time
    seen, cursor = [], None
    while True:
        page = trail(
            api, operator_token, order_id=order["id"], limit=1, **({"cursor": cursor} if cursor else {})
        )
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in body["items"]]

    by_seller = trail(api, operator_token, actor_id=seller.id)
    assert [(e["order_id"], e["to_status"]) for e in by_seller["items"]] == [
        (order["id"], "shipped"),
        (order["id"], "draft"),
    ]


def test_only_operators_read_the_trail_and_bad_queries_are_refused(api, operator_token):
    buyer = buyer_with_identity(api)
    seller = seller_with_profile(api)
    for account in (buyer, seller):
        response = api.get("/api/v1/audit/events", headers=account.headers)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert api.get("/api/v1/audit/events").status_code == 401

    headers = operator_headers(operator_token)
    for forged in (
        "not-a-cursor",
        "0001-01-01T00:00:00+01:00|order|1",
        "2026-11-25T00:00:00|order|1",
        "2026-11-25T00:00:00+00:00|refund|1",
        "2026-11-25T00:00:00+00:00|order|0",
    ):
        cursor = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
        bad = api.get("/api/v1/audit/events", params={"cursor": cursor}, headers=headers)
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor"), forged
    bad_kind = api.get("/api/v1/audit/events", params={"kind": "refund"}, headers=headers)
    assert bad_kind.status_code == 422
    assert api.get("/api/v1/audit/events", params={"limit": 0}, headers=headers).status_code == 422


def test_the_database_refuses_to_change_or_delete_an_event(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)]).json()
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text

    async def tamper(session, statement):
        await session.execute(text(statement), {"order_id": order["id"]})

    customs_rows = "message_id IN (SELECT id FROM customs_messages WHERE order_id = :order_id)"
    postgres = app.settings.database_url.startswith("postgres")
    for table, statement in (
        ("order_events", "UPDATE order_events SET reason = 'edited' WHERE order_id = :order_id"),
        ("order_events", "DELETE FROM order_events WHERE order_id = :order_id"),
        ("customs_events", f"UPDATE customs_events SET reason = 'edited' WHERE {customs_rows}"),
        ("customs_events", f"DELETE FROM customs_events WHERE {customs_rows}"),
        *([("order_events", "TRUNCATE order_events CASCADE")] if postgres else []),
        *([("customs_events", "TRUNCATE customs_events")] if postgres else []),
    ):
        with pytest.raises(DBAPIError, match=f"{table} is append-only"):
            in_db(app, lambda session, s=statement: tamper(session, s))
    events = api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()["events"]
    assert [(e["to_status"], e["reason"]) for e in events] == [
        ("pending_payment", "placed"),
        ("paid", "paid via sandbox"),
    ]
    customs = api.get(f"/api/v1/orders/{order['id']}/customs", headers=seller.headers).json()["messages"]
    assert [len(m["events"]) for m in customs] == [1, 1]
