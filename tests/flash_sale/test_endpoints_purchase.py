"""Buying a deal: a reservation and a pending order under every CBEC rule, paid the normal way;
losers get a stable 409 or 422 code and nothing is written."""

import time
from datetime import UTC, date, datetime, timedelta

from lxml import etree

from kuajing.customs import messages
from tests.auth.factories import buyer_with_identity, new_id_number, register, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.flash_sale.factories import (
    Ledger,
    create_campaign,
    create_deal,
    deal_of,
    ledger_of,
    purchase,
    wine_deal,
)
from tests.order.factories import ADDRESS, order_ids

CEB = {"ceb": "http://www.chinaport.gov.cn/ceb"}


def test_a_purchase_reserves_a_unit_priced_at_the_deal_price(api, operator_token, app):
    # given a $20.00 deal on a $30.00 wine, 10 units
    _seller, wine, campaign, deal = wine_deal(api, operator_token, price_cents=2000, quantity=10)
    buyer = buyer_with_identity(api)
    # when a buyer buys one bottle with a shipping address
    started = datetime.now(UTC)
    response = purchase(api, buyer, deal["id"], shipping_address=ADDRESS)
    # then a pending order holds it for five minutes, priced at the deal price with CBEC tax
    assert response.status_code == 201, response.text
    body = response.json()
    assert sorted(body) == ["expires_at", "order_id", "status"]
    assert body["status"] == "pending_payment"
    expires = datetime.fromisoformat(body["expires_at"])
    assert started + timedelta(seconds=299) < expires < datetime.now(UTC) + timedelta(seconds=301)

    order = api.get(f"/api/v1/orders/{body['order_id']}", headers=buyer.headers).json()
    assert order["status"] == "pending_payment"
    assert [
        (line["product_id"], line["quantity"], line["unit_price_usd"]["amount"]) for line in order["lines"]
    ] == [(wine["id"], 1, 2000)]
    # 142.00 goods + 35.50 freight; tax = 177.50/0.9 × (10% + 13%) × 0.7 = 13.81 + 17.95
    assert (order["goods"]["amount"], order["freight"]["amount"], order["tax"]["amount"]) == (
        14200,
        3550,
        3176,
    )
    assert order["total"]["amount"] == 20926
    assert order["shipping_address"] == ADDRESS
    assert deal_of(api, deal["id"])["remaining"] == 9
    assert stock_of(api, wine["id"]) == 40  # the product gave its 10 to the deal, no more
    assert ledger_of(app, deal["id"]) == Ledger(
        quantity=10,
        remaining=9,
        reserved=1,
        sold=0,
        held_units=1,
        sold_units=0,
        orders=1,
        order_units=1,
        most_units_per_buyer=1,
        most_orders_per_buyer=1,
        buyers=1,
    )

    # when the buyer pays through the normal payment route
    paid = api.post(
        f"/api/v1/orders/{body['order_id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
    )
    # then the unit is sold and the campaign's stats count it
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    shown = deal_of(api, deal["id"])
    assert (shown["remaining"], shown["reserved"], shown["sold"]) == (9, 0, 1)
    stats = api.get(f"/api/v1/campaigns/{campaign['id']}/stats").json()
    assert stats == {"orders": 1, "units": 1, "gmv": {"amount": 14200, "currency": "CNY"}}


def test_a_reservation_without_an_address_needs_one_to_be_paid(api, operator_token):
    _seller, _wine, _campaign, deal = wine_deal(api, operator_token)
    buyer = buyer_with_identity(api)
    order_id = purchase(api, buyer, deal["id"], quantity=2).json()["order_id"]
    assert api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()["shipping_address"] is None

    refused = api.post(f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "shipping_address_required"
    assert api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()["status"] == "pending_payment"

    paid = api.post(
        f"/api/v1/orders/{order_id}/pay",
        json={"method": "sandbox", "shipping_address": ADDRESS},
        headers=buyer.headers,
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["shipping_address"] == ADDRESS
    shown = deal_of(api, deal["id"])
    assert (shown["remaining"], shown["reserved"], shown["sold"]) == (8, 0, 2)

    # the customs order message carries the address given at payment (masked for the seller)
    xml = api.get(f"/api/v1/orders/{order_id}/customs/CEB311.xml", headers=_seller.headers)
    assert xml.status_code == 200, xml.text
    head = etree.fromstring(xml.content).find(".//ceb:OrderHead", CEB)
    assert (
        (
            head.findtext("ceb:consignee", namespaces=CEB),
            head.findtext("ceb:consigneeTelephone", namespaces=CEB),
        )
        == (messages.mask_name(ADDRESS["name"]), messages.mask_phone(ADDRESS["phone"]))
        == ("李*", "138****8000")
    )


def test_the_last_unit_goes_once_and_the_next_buyer_is_told_sold_out(api, operator_token, app):
    _seller, _wine, campaign, deal = wine_deal(api, operator_token, quantity=1)
    first, second = buyer_with_identity(api), buyer_with_identity(api)
    assert purchase(api, first, deal["id"]).status_code == 201
    for _ in range(2):  # the second answer comes from the worker's memory of the sell-out
        refused = purchase(api, second, deal["id"])
        assert refused.status_code == 409
        assert refused.json()["code"] == "sold_out"
    assert order_ids(api, second) == []
    assert ledger_of(app, deal["id"]).orders == 1
    stats = api.get(f"/api/v1/campaigns/{campaign['id']}/stats").json()
    assert (stats["orders"], stats["units"]) == (1, 1)


def test_a_buyer_stops_at_the_per_buyer_limit(api, operator_token, app):
    _seller, _wine, _campaign, deal = wine_deal(api, operator_token, quantity=10, per_buyer_limit=2)
    buyer = buyer_with_identity(api)
    too_many = purchase(api, buyer, deal["id"], quantity=3)
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "buyer_limit_reached"
    assert purchase(api, buyer, deal["id"], quantity=2).status_code == 201
    again = purchase(api, buyer, deal["id"], quantity=1)
    assert again.status_code == 409
    assert again.json()["code"] == "buyer_limit_reached"
    assert len(order_ids(api, buyer)) == 1
    ledger = ledger_of(app, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.most_units_per_buyer) == (8, 2, 2)


def test_purchases_before_and_after_the_window_are_refused(api, operator_token, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=20)
    soon = create_campaign(api, operator_token, starts_in=timedelta(hours=1))
    closing = create_campaign(
        api, operator_token, starts_in=timedelta(hours=-1), lasts=timedelta(hours=1, seconds=3)
    )
    early = create_deal(api, seller, soon["id"], wine["id"], quantity=5)
    late = create_deal(api, seller, closing["id"], wine["id"], quantity=5)
    buyer = buyer_with_identity(api)

    not_started = purchase(api, buyer, early["id"])
    assert not_started.status_code == 409
    assert not_started.json()["code"] == "not_started"

    time.sleep(
        max(0.0, (datetime.fromisoformat(closing["ends_at"]) - datetime.now(UTC)).total_seconds()) + 0.2
    )
    ended = purchase(api, buyer, late["id"])
    assert ended.status_code == 409
    assert ended.json()["code"] == "ended"

    assert order_ids(api, buyer) == []
    for deal in (early, late):
        assert ledger_of(app, deal["id"]).remaining == 5
        assert ledger_of(app, deal["id"]).most_units_per_buyer == 0


def test_cbec_rules_refuse_with_their_own_codes_and_take_nothing(api, operator_token, app):
    _seller, _wine, _campaign, deal = wine_deal(api, operator_token, quantity=10)
    no_identity = register(api, "buyer")
    refused = purchase(api, no_identity, deal["id"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "identity_required"

    buyer = buyer_with_identity(api)
    no_notice = purchase(api, buyer, deal["id"], risk_notice_accepted=False)
    assert no_notice.status_code == 422
    assert no_notice.json()["code"] == "risk_notice_required"

    young = buyer_with_identity(api, id_number=new_id_number(born=date(datetime.now(UTC).year - 17, 1, 1)))
    underage = purchase(api, young, deal["id"])
    assert underage.status_code == 422
    assert underage.json()["code"] == "buyer_under_18"

    ledger = ledger_of(app, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.most_units_per_buyer) == (10, 0, 0)
    assert order_ids(api, buyer) == [] and order_ids(api, young) == []


def test_sellers_cannot_buy_and_unknown_deals_are_404(api, operator_token):
    seller, _wine, _campaign, deal = wine_deal(api, operator_token)
    as_seller = purchase(api, seller, deal["id"])
    assert as_seller.status_code == 403
    anonymous = api.post(
        f"/api/v1/deals/{deal['id']}/purchase", json={"quantity": 1, "risk_notice_accepted": True}
    )
    assert anonymous.status_code == 401
    missing = purchase(api, buyer_with_identity(api), 2_000_000_000)
    assert missing.status_code == 404
    assert missing.json()["code"] == "deal_not_found"
    assert deal_of(api, deal["id"])["remaining"] == 10


def test_a_replayed_idempotency_key_returns_the_same_order(api, operator_token, app):
    _seller, _wine, _campaign, deal = wine_deal(api, operator_token, quantity=10, per_buyer_limit=5)
    buyer = buyer_with_identity(api)
    first = purchase(api, buyer, deal["id"], key="flash-7f3a")
    second = purchase(api, buyer, deal["id"], key="flash-7f3a")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    reused = purchase(api, buyer, deal["id"], quantity=2, key="flash-7f3a")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert order_ids(api, buyer) == [first.json()["order_id"]]
    assert ledger_of(app, deal["id"]).reserved == 1


def test_a_returned_deal_order_leaves_the_campaign_stats(api, operator_token):
    seller, _wine, campaign, deal = wine_deal(api, operator_token, price_cents=2000, quantity=10)
    buyer = buyer_with_identity(api)
    order_id = purchase(api, buyer, deal["id"], shipping_address=ADDRESS).json()["order_id"]
    paid = api.post(f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    for step, who in (("ship", seller), ("deliver", seller)):
        body = {"tracking_number": "SF7000000001"} if step == "ship" else None
        moved = api.post(f"/api/v1/orders/{order_id}/{step}", json=body, headers=who.headers)
        assert moved.status_code == 200, moved.text
    stats = f"/api/v1/campaigns/{campaign['id']}/stats"
    assert api.get(stats).json() == {"orders": 1, "units": 1, "gmv": {"amount": 14200, "currency": "CNY"}}

    asked = api.post(f"/api/v1/orders/{order_id}/return", json={"reason": "破损"}, headers=buyer.headers)
    assert asked.status_code == 200, asked.text
    assert api.get(stats).json()["orders"] == 1  # asked for, not yet refunded: still a sale
    accepted = api.post(f"/api/v1/orders/{order_id}/return/accept", headers=seller.headers)
    assert accepted.status_code == 200, accepted.text

    assert api.get(stats).json() == {"orders": 0, "units": 0, "gmv": {"amount": 0, "currency": "CNY"}}
    # a refund does not reopen the deal: its ledger keeps the unit as sold
    shown = deal_of(api, deal["id"])
    assert (shown["remaining"], shown["reserved"], shown["sold"]) == (9, 0, 1)
