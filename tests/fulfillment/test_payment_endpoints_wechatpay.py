"""Paying through WeChat Pay (APIv3, Native), end to end against a local gateway that speaks
its wire format with keys made for this run: the code_url and its QR code, the signed and
encrypted notification that pays the order once, the refusals that change nothing, and a
refund WeChat Pay confirms later by its own notification."""

import pytest

from kuajing.fulfillment import payments
from kuajing.fulfillment.service import FulfillmentContext
from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import money
from tests.ledger.invariants import check_books
from tests.order.factories import place
from tests.payment.gateways import TestKeys


@pytest.fixture
def paying(app, wechatpay):
    app.with_settings(**wechatpay.settings)
    api = app.client
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    placed = place(api, buyer, [(wine["id"], 2)])
    assert placed.status_code == 201, placed.text
    started = api.post(
        f"/api/v1/orders/{placed.json()['id']}/payments",
        json={"provider": "wechatpay"},
        headers=buyer.headers,
    )
    assert started.status_code == 201, started.text
    return api, seller, buyer, wine, placed.json(), started.json()


def _notify(api, headers, body):
    return api.post("/api/v1/payments/wechatpay/notify", content=body, headers=headers)


def _status(api, buyer, order_id):
    return api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()["status"]


def test_a_native_code_then_wechats_notification_pays_the_order_once(paying, wechatpay, app, operator_token):
    api, seller, buyer, _wine, order, payment = paying
    assert (payment["status"], payment["amount"], payment["redirect_url"]) == ("pending", money(54405), None)
    assert payment["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    out_trade_no = f"{payment['id']:06d}"
    trade = wechatpay.fake.trade(out_trade_no)
    assert trade["total"] == 54405
    assert trade["notify_url"].endswith("/api/v1/payments/wechatpay/notify")

    qr = api.get(payment["qr_code"], headers=buyer.headers)
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.text.startswith("<svg")
    stranger = buyer_with_identity(api)
    assert api.get(payment["qr_code"], headers=stranger.headers).status_code == 404

    paid = wechatpay.fake.pay(out_trade_no)
    headers, body = wechatpay.fake.notification(out_trade_no)
    answered = _notify(api, headers, body)
    assert answered.status_code == 204, answered.text
    assert _status(api, buyer, order["id"]) == "paid"
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert (stored["status"], stored["reference"]) == ("captured", paid["transaction_id"])
    for _ in range(2):
        assert _notify(api, headers, body).status_code == 204
    lines = api.get(f"/api/v1/ledger/orders/{order['id']}", headers=operator_headers(operator_token)).json()
    assert [(x["account"], x["party"], x["debit"], x["credit"]) for x in lines["items"]] == [
        ("provider_clearing", "wechatpay", 54405, 0),
        ("cbec_tax_payable", "", 0, 8255),
        ("fx_conversion", "", 0, 46150),
        ("fx_conversion", "", 6500, 0),
        ("commission_revenue", "", 0, 300),
        ("seller_pending", str(seller.id), 0, 6200),
    ]
    check_books(app)


def test_a_notification_wechat_did_not_sign_or_we_cannot_decrypt_is_refused(paying, wechatpay, app):
    api, _seller, buyer, _wine, order, payment = paying
    out_trade_no = f"{payment['id']:06d}"
    wechatpay.fake.pay(out_trade_no)
    stranger, _public = TestKeys.rsa_pair("someone-else")
    refused = [
        wechatpay.fake.notification(out_trade_no, signer_pem=stranger),
        wechatpay.fake.notification(out_trade_no, apiv3_key="0" * 32),
        wechatpay.fake.notification(out_trade_no, plaintext_overrides={"mchid": "1900000999"}),
        wechatpay.fake.notification(out_trade_no, plaintext_overrides={"amount": {"total": 100}}),
        wechatpay.fake.notification(out_trade_no, plaintext_overrides={"out_trade_no": "000000999999"}),
    ]
    headers, body = wechatpay.fake.notification(out_trade_no)
    refused.append(({**headers, "Wechatpay-Timestamp": "1700000000"}, body))  # the signed header changed
    refused.append((headers, body.replace(b'"summary"', b'"Summary"')))  # the body changed
    for bad_headers, bad_body in refused:
        answered = _notify(api, bad_headers, bad_body)
        assert answered.status_code == 400, answered.text
        assert answered.json()["code"] == "FAIL"
    assert _status(api, buyer, order["id"]) == "pending_payment"
    assert api.get("/api/v1/ledger/trial-balance", headers={}).status_code == 401

    assert _notify(api, headers, body).status_code == 204
    assert _status(api, buyer, order["id"]) == "paid"
    check_books(app)


def test_a_refund_wechat_confirms_later_by_notification(paying, wechatpay, app):
    api, seller, buyer, wine, order, payment = paying
    out_trade_no = f"{payment['id']:06d}"
    wechatpay.fake.pay(out_trade_no)
    assert _notify(api, *wechatpay.fake.notification(out_trade_no)).status_code == 204
    wechatpay.fake.refunds_processing = True

    made = api.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "一瓶破损"},
        headers=seller.headers,
    )
    assert made.status_code == 201, made.text
    assert (made.json()["status"], made.json()["amount"]) == ("pending", money(27203))
    check_books(app)  # accepted by WeChat Pay: posted already, confirmed later

    wechatpay.fake.settle_refunds()
    answered = _notify(api, *wechatpay.fake.refund_notification(made.json()["request_no"]))
    assert answered.status_code == 204, answered.text
    (refund,) = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert refund["status"] == "succeeded"
    assert refund["reference"] == wechatpay.fake.refund(made.json()["request_no"])["refund_id"]
    check_books(app)


def test_a_refund_wechat_closes_is_undone_and_can_be_made_again(paying, wechatpay, app, operator_token):
    api, seller, buyer, wine, order, payment = paying
    out_trade_no = f"{payment['id']:06d}"
    wechatpay.fake.pay(out_trade_no)
    assert _notify(api, *wechatpay.fake.notification(out_trade_no)).status_code == 204
    wechatpay.fake.refunds_processing = True
    one = {"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "一瓶破损"}
    made = api.post(f"/api/v1/orders/{order['id']}/refunds", json=one, headers=seller.headers).json()
    assert made["status"] == "pending"

    wechatpay.fake.close_refund(made["request_no"])
    closed = wechatpay.fake.refund_notification(made["request_no"], event_type="REFUND.CLOSED")
    assert _notify(api, *closed).status_code == 204
    (refund,) = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert refund["status"] == "failed"
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert stored["refunded"] == money(0)
    lines = api.get(f"/api/v1/ledger/orders/{order['id']}", headers=operator_headers(operator_token)).json()
    assert [x["kind"] for x in lines["items"]].count("refund_failed") == 6  # the refund's six lines, reversed
    check_books(app)

    # the same bottle can be refunded again, and the books still balance
    wechatpay.fake.refunds_processing = False
    again = api.post(f"/api/v1/orders/{order['id']}/refunds", json=one, headers=seller.headers)
    assert again.status_code == 201, again.text
    assert again.json()["status"] == "succeeded"
    check_books(app)


def test_the_sweeper_confirms_a_refund_whose_notification_never_came(paying, wechatpay, app):
    api, seller, buyer, wine, order, payment = paying
    out_trade_no = f"{payment['id']:06d}"
    wechatpay.fake.pay(out_trade_no)
    assert _notify(api, *wechatpay.fake.notification(out_trade_no)).status_code == 204
    wechatpay.fake.refunds_processing = True
    made = api.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"reason": "整单退款"}, headers=seller.headers
    ).json()
    assert made["status"] == "pending"
    wechatpay.fake.settle_refunds()

    async def sweep(runtime):
        return await payments.settle_refunds(
            runtime.database, runtime.get(FulfillmentContext), older_than_seconds=0
        )

    assert app.run_with_runtime(sweep) == 1
    (refund,) = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert refund["status"] == "succeeded"
    assert app.run_with_runtime(sweep) == 0
    check_books(app)
