"""The jobs report counts paid orders' US-dollar goods value, by the seller's state."""

from decimal import Decimal

from kuajing.impact.jobs import jobs_supported
from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import APPLES, create_product
from tests.order.factories import place
from tests.order.return_factories import ask_return, delivered_order


def report(api, token):
    response = api.get("/api/v1/impact/jobs", headers=operator_headers(token))
    assert response.status_code == 200, response.text
    return response.json()


def state_sales(body, state):
    return next((s["export_sales"]["amount"] for s in body["by_state"] if s["state"] == state), 0)


def test_paid_orders_count_and_unpaid_ones_do_not(api, operator_token):
    before = report(api, operator_token)
    orchard = seller_with_profile(api, shipping_fee_cents=900, state="MI")
    apples = create_product(api, orchard, APPLES)  # $25.00
    buyer = buyer_with_identity(api)

    paid = place(api, buyer, [(apples["id"], 3)]).json()  # $75.00 of goods; freight is not exports
    api.post(f"/api/v1/orders/{paid['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    place(api, buyer, [(apples["id"], 1)])  # left unpaid

    after = report(api, operator_token)
    assert after["export_sales"]["amount"] - before["export_sales"]["amount"] == 7500
    assert state_sales(after, "MI") - state_sales(before, "MI") == 7500
    assert after["sellers"] == before["sellers"] + 1
    assert after["seller_reported_employees"] == before["seller_reported_employees"] + 12
    assert after["jobs_per_billion_usd"] == 5744
    assert after["ratio_year"] == 2016
    assert Decimal(str(after["jobs_supported"])) == jobs_supported(after["export_sales"]["amount"], 5744)
    assert "ITA" in after["source"] and "2016" in after["source"]
    assert "÷ US$1 billion" in after["method"]


def test_a_returned_order_stops_counting_and_a_refused_return_keeps_counting(api, operator_token):
    orchard = seller_with_profile(api, shipping_fee_cents=900, state="WA")
    apples = create_product(api, orchard, APPLES)  # $25.00
    buyer = buyer_with_identity(api)
    start = report(api, operator_token)
    returned = delivered_order(api, buyer, orchard, [(apples["id"], 2)])  # $50.00
    refused = delivered_order(api, buyer, orchard, [(apples["id"], 1)])  # $25.00
    assert report(api, operator_token)["export_sales"]["amount"] - start["export_sales"]["amount"] == 7500

    # a return asked for still counts: the goods are sold until the return is accepted
    for order in (returned, refused):
        assert ask_return(api, buyer, order["id"]).status_code == 200
    asked = report(api, operator_token)
    assert asked["export_sales"]["amount"] - start["export_sales"]["amount"] == 7500
    assert state_sales(asked, "WA") - state_sales(start, "WA") == 7500

    accepted = api.post(f"/api/v1/orders/{returned['id']}/return/accept", headers=orchard.headers)
    rejected = api.post(
        f"/api/v1/orders/{refused['id']}/return/reject", json={"reason": "已拆封"}, headers=orchard.headers
    )
    assert (accepted.status_code, rejected.status_code) == (200, 200)

    after = report(api, operator_token)
    assert after["export_sales"]["amount"] - start["export_sales"]["amount"] == 2500
    assert state_sales(after, "WA") - state_sales(start, "WA") == 2500
    assert Decimal(str(after["jobs_supported"])) == jobs_supported(after["export_sales"]["amount"], 5744)
    assert "returned and refunded order does not count" in after["method"]
