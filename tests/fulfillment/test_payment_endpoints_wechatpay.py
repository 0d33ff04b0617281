"""Paying through WeChat Pay (APIv3, Native), end to end against a local gateway that speaks
its wire format with keys made for this run: the code_url and its QR code, the signed and
encrypted notification that pays the order once, the refusals that change nothing, and a
refund WeChat Pay confirms later by its own notification."""

import pytest

from kuajing.fulfillment import payments
from kuajing.fulfillment.service import FulfillmentContext
from tests.auth.factories import buyer_with_identity, new_id_number, operator_headers, seller_with_profile
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


# the customs declaration (API v2) ---------------------------------------------------------------


def _declare(app):
    async def sweep(runtime):
        return await payments.declare_paid(runtime.database, runtime.get(FulfillmentContext))

    return app.run_with_runtime(sweep)


def _declaring(app, wechatpay, **overrides):
    app.with_settings(
        **wechatpay.settings,
        wechatpay_v2_key=overrides.pop("v2_key", wechatpay.fake.v2_key),
        wechatpay_customs="ZONGSHU",
        customs_platform_code="3301960000",
    )
    api = app.client
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    number = new_id_number()
    buyer = buyer_with_identity(api, id_number=number)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    payment = api.post(
        f"/api/v1/orders/{order['id']}/payments", json={"provider": "wechatpay"}, headers=buyer.headers
    ).json()
    out_trade_no = f"{payment['id']:06d}"
    paid = wechatpay.fake.pay(out_trade_no)
    assert _notify(api, *wechatpay.fake.notification(out_trade_no)).status_code == 204
    return api, seller, buyer, number, order, out_trade_no, paid


def _stored_payment(api, buyer, order_id):
    (stored,) = api.get(f"/api/v1/orders/{order_id}/payments", headers=buyer.headers).json()["items"]
    return stored


def test_wechat_pay_declares_the_payment_to_customs_in_signed_xml(app, wechatpay):
    api, seller, buyer, number, order, out_trade_no, paid = _declaring(app, wechatpay)

    assert _declare(app) == 1
    (request,) = [r[2] for r in wechatpay.fake.requests if r[1] == "/cgi-bin/mch/customs/customdeclareorder"]
    assert {k: v for k, v in request.items() if k != "sign"} == {
        "appid": wechatpay.appid,
        "mch_id": wechatpay.mchid,
        "out_trade_no": out_trade_no,
        "transaction_id": paid["transaction_id"],
        "customs": "ZONGSHU",
        "mch_customs_no": "3301960000",  # the platform's customs registration
        "action_type": "ADD",
        "cert_type": "IDCARD",
        "cert_id": number,
        "name": "李娜",
    }
    stored = _stored_payment(api, buyer, order["id"])
    assert (stored["declaration"], stored["payer_identity"]) == ("accepted", "same")
    assert _declare(app) == 0  # once
    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text


def test_a_wechat_payer_who_is_not_the_orderer_holds_the_order(app, wechatpay):
    api, seller, buyer, _number, order, out_trade_no, _paid = _declaring(app, wechatpay)
    wechatpay.fake.payers[out_trade_no] = ("王芳", "11010519491231002X")

    assert _declare(app) == 1
    stored = _stored_payment(api, buyer, order["id"])
    assert (stored["declaration"], stored["payer_identity"]) == ("accepted", "different")
    detail = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()
    assert (detail["status"], detail["held_reason"]) == ("paid", "payer_mismatch")
    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.status_code == 409


def test_a_declaration_signed_with_the_wrong_v2_key_is_refused_and_recorded(app, wechatpay):
    api, _seller, buyer, _number, order, _out_trade_no, _paid = _declaring(app, wechatpay, v2_key="x" * 32)
    assert _declare(app) == 1
    stored = _stored_payment(api, buyer, order["id"])
    assert (stored["declaration"], stored["payer_identity"]) == ("refused", "unchecked")
    assert not wechatpay.fake.declarations  # WeChat Pay declared nothing
    assert _declare(app) == 0


def test_an_answer_not_signed_with_our_v2_key_records_nothing_and_is_asked_again(app, wechatpay):
    api, _seller, buyer, _number, order, _out_trade_no, _paid = _declaring(app, wechatpay)
    wechatpay.fake.v2_answer_key = "y" * 32
    assert _declare(app) == 0
    stored = _stored_payment(api, buyer, order["id"])
    assert (stored["declaration"], stored["payer_identity"]) == (None, None)
    wechatpay.fake.v2_answer_key = None
    assert _declare(app) == 1
    assert _stored_payment(api, buyer, order["id"])["declaration"] == "accepted"


def test_without_a_v2_key_wechat_payments_are_recorded_not_sent(paying, wechatpay, app):
    api, _seller, buyer, _wine, order, payment = paying
    out_trade_no = f"{payment['id']:06d}"
    wechatpay.fake.pay(out_trade_no)
    assert _notify(api, *wechatpay.fake.notification(out_trade_no)).status_code == 204
    assert _declare(app) == 0
    assert _stored_payment(api, buyer, order["id"])["declaration"] == "not_sent"
    assert not wechatpay.fake.declarations


def test_customs_refusing_the_declaration_is_recorded_and_a_pending_one_asked_again(
    app, wechatpay, operator_token
):
    api, _seller, buyer, _number, order, _out_trade_no, _paid = _declaring(app, wechatpay)

    for waiting in (
        {"state": "UNDECLARED"},
        {"state": "EXCEPT"},
        {"result_code": "FAIL", "err_code": "SYSTEMERROR"},
    ):
        wechatpay.fake.declaration_answer = waiting
        assert _declare(app) == 0, waiting
        assert _stored_payment(api, buyer, order["id"])["declaration"] is None

    wechatpay.fake.declaration_answer = {"state": "FAIL", "cert_check_result": "UNCHECKED"}
    assert _declare(app) == 1
    stored = _stored_payment(api, buyer, order["id"])
    assert (stored["declaration"], stored["payer_identity"]) == ("refused", "unchecked")
    trail = api.get(
        "/api/v1/audit/events",
        params={"order_id": order["id"], "kind": "customs"},
        headers=operator_headers(operator_token),
    ).json()["items"]
    (declared,) = [e for e in trail if e["subject"] == "CEB411" and "declared" in e["reason"]]
    assert declared["reason"] == (
        f"wechatpay declared payment {stored['id']} to customs: refused (customs state FAIL); "
        "payer identity unchecked"
    )
