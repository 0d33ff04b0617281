"""Paying through Alipay, end to end against a local gateway that speaks Alipay's wire format
with keys made for this run: the signed page-pay URL, the RSA2-signed notification that pays
the order (once, however often it comes), the refusals that change nothing and are kept, the
query that settles a payment whose notification never came, and refunds that never give back
more than was paid. The books are checked after every test that moves money."""

from datetime import UTC, datetime, timedelta

import pytest

from kuajing.fulfillment import payments
from kuajing.fulfillment.service import FulfillmentContext
from tests.auth.factories import buyer_with_identity, new_id_number, operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import assert_problem, money
from tests.ledger.invariants import check_books
from tests.order.factories import place
from tests.order.return_factories import set_delivered_at
from tests.payment.gateways import TestKeys, form_body, tamper

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def ops(operator_token):
    return operator_headers(operator_token)


@pytest.fixture
def paying(app, alipay):
    """The in-process app offering Alipay (and no sandbox), and an unpaid two-bottle order:
    2 × $30.00 + $5.00 freight at 7.1000 = 544.05 CNY."""
    app.with_settings(**alipay.settings)
    api = app.client
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    placed = place(api, buyer, [(wine["id"], 2)])
    assert placed.status_code == 201, placed.text
    return api, seller, buyer, wine, placed.json()


def _start(api, buyer, order_id):
    started = api.post(
        f"/api/v1/orders/{order_id}/payments", json={"provider": "alipay"}, headers=buyer.headers
    )
    assert started.status_code == 201, started.text
    return started.json()


def _notify(api, params):
    return api.post("/api/v1/payments/alipay/notify", content=form_body(params), headers=FORM)


def _status(api, buyer, order_id):
    return api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()["status"]


def _ledger(api, ops, order_id):
    lines = api.get(f"/api/v1/ledger/orders/{order_id}", headers=ops).json()["items"]
    return [(x["kind"], x["account"], x["party"], x["currency"], x["debit"], x["credit"]) for x in lines]


def test_a_signed_page_pay_then_alipays_notification_pays_the_order_once(paying, alipay, app, ops):
    api, seller, buyer, _wine, order = paying
    payment = _start(api, buyer, order["id"])
    assert (payment["provider"], payment["status"], payment["amount"]) == ("alipay", "pending", money(54405))
    assert payment["redirect_url"].startswith(alipay.fake.gateway_url + "?")
    assert payment["expires_at"] == order["expires_at"]

    # the buyer's browser lands on Alipay: the request verifies with our app key
    biz = alipay.fake.open(payment["redirect_url"])
    assert biz["out_trade_no"] == str(payment["id"])
    assert biz["total_amount"] == "544.05"
    assert (biz["product_code"], biz["settle_currency"]) == ("NEW_OVERSEAS_SELLER", "USD")
    assert biz["subject"]
    trade = alipay.fake.pay(str(payment["id"]))

    notification = alipay.fake.notification(str(payment["id"]))
    answered = _notify(api, notification)
    assert (answered.status_code, answered.text) == (200, "success")
    assert _status(api, buyer, order["id"]) == "paid"
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert (stored["status"], stored["reference"]) == ("captured", trade["trade_no"])

    # the worked example: 5% commission on $60.00 of wine, shipping passed through
    seller_party = str(seller.id)
    capture = [
        ("capture", "provider_clearing", "alipay", "CNY", 54405, 0),
        ("capture", "cbec_tax_payable", "", "CNY", 0, 8255),
        ("capture", "fx_conversion", "", "CNY", 0, 46150),
        ("capture", "fx_conversion", "", "USD", 6500, 0),
        ("capture", "commission_revenue", "", "USD", 0, 300),
        ("capture", "seller_pending", seller_party, "USD", 0, 6200),
    ]
    assert _ledger(api, ops, order["id"]) == capture

    # Alipay sends it again (it retries until it reads "success"): acknowledged, nothing moves
    for _ in range(3):
        again = _notify(api, notification)
        assert (again.status_code, again.text) == (200, "success")
    assert _ledger(api, ops, order["id"]) == capture
    events = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()["events"]
    assert [e["to_status"] for e in events] == ["pending_payment", "paid"]
    kept = api.get("/api/v1/payments/notifications", headers=ops).json()["items"]
    assert [n["outcome"] for n in kept if n["payment_id"] == payment["id"]] == ["replayed"] * 3 + ["captured"]
    # the payment company's customs message is drafted with Alipay's transaction number
    customs = api.get(f"/api/v1/orders/{order['id']}/customs", headers=ops)
    assert customs.status_code == 200, customs.text
    assert sorted(m["type"] for m in customs.json()["messages"]) == ["CEB311", "CEB411"]
    ceb411 = api.get(f"/api/v1/orders/{order['id']}/customs/CEB411.xml", headers=ops)
    assert f"<ceb:payTransactionId>{trade['trade_no']}</ceb:payTransactionId>" in ceb411.text
    check_books(app)


def test_a_notification_that_is_not_genuine_or_not_ours_is_refused_and_changes_nothing(
    paying, alipay, app, ops
):
    api, _seller, buyer, _wine, order = paying
    payment = _start(api, buyer, order["id"])
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    out_trade_no = str(payment["id"])
    genuine = alipay.fake.notification(out_trade_no)
    stranger, _public = TestKeys.rsa_pair("someone-else")

    refused = [
        (tamper(genuine, total_amount="0.01"), "bad_signature"),  # changed after signing
        (tamper(genuine, sign=None), "bad_signature"),  # not signed at all
        (alipay.fake.notification(out_trade_no, signer_pem=stranger), "bad_signature"),  # the wrong key
        (alipay.fake.notification(out_trade_no, app_id="2021000000009999"), "app_mismatch"),
        (alipay.fake.notification(out_trade_no, total_amount="544.04"), "amount_mismatch"),
        (alipay.fake.sign_notification({**genuine, "out_trade_no": "999999"}), "unknown_trade"),
    ]
    for params, _code in refused:
        answered = _notify(api, params)
        assert (answered.status_code, answered.text) == (200, "failure")
    malformed = api.post("/api/v1/payments/alipay/notify", content=b"\xff\xfe", headers=FORM)
    assert malformed.text == "failure"

    assert _status(api, buyer, order["id"]) == "pending_payment"
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert stored["status"] == "pending"
    assert _ledger(api, ops, order["id"]) == []
    kept = api.get("/api/v1/payments/notifications", params={"outcome": "refused"}, headers=ops).json()[
        "items"
    ]
    assert [n["code"] for n in reversed(kept)][-7:] == [code for _p, code in refused] + ["malformed"]

    # the genuine one still pays it
    assert _notify(api, genuine).text == "success"
    assert _status(api, buyer, order["id"]) == "paid"
    check_books(app)


def test_a_query_settles_a_payment_whose_notification_never_came(paying, alipay, app, ops):
    api, _seller, buyer, _wine, order = paying
    payment = _start(api, buyer, order["id"])
    queried = api.post(f"/api/v1/payments/{payment['id']}/query", headers=buyer.headers)
    assert queried.json()["status"] == "pending"  # the buyer has not even opened Alipay's page

    alipay.fake.open(payment["redirect_url"])
    assert (
        api.post(f"/api/v1/payments/{payment['id']}/query", headers=buyer.headers).json()["status"]
        == "pending"
    )
    alipay.fake.pay(str(payment["id"]))
    settled = api.post(f"/api/v1/payments/{payment['id']}/query", headers=buyer.headers)
    assert settled.status_code == 200, settled.text
    assert settled.json()["status"] == "captured"
    assert _status(api, buyer, order["id"]) == "paid"
    # the notification arriving afterwards is a replay
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"
    assert len([line for line in _ledger(api, ops, order["id"]) if line[0] == "capture"]) == 6
    check_books(app)


def test_asking_twice_answers_the_same_pending_payment_and_unknown_providers_are_refused(paying):
    api, _seller, buyer, _wine, order = paying
    first = _start(api, buyer, order["id"])
    assert _start(api, buyer, order["id"])["id"] == first["id"]
    assert_problem(
        api.post(
            f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"}, headers=buyer.headers
        ),
        422,
        "unknown_provider",
    )
    assert_problem(
        api.post(
            f"/api/v1/orders/{order['id']}/payments", json={"provider": "paypal"}, headers=buyer.headers
        ),
        422,
        "validation_error",
    )
    someone = buyer_with_identity(api)
    assert_problem(
        api.post(
            f"/api/v1/orders/{order['id']}/payments", json={"provider": "alipay"}, headers=someone.headers
        ),
        404,
        "order_not_found",
    )


def test_a_payment_that_comes_for_a_cancelled_order_is_given_back_in_full(paying, alipay, app, ops):
    api, _seller, buyer, _wine, order = paying
    payment = _start(api, buyer, order["id"])
    alipay.fake.open(payment["redirect_url"])
    # the buyer pays at Alipay as the order is cancelled here: the close crosses the payment
    alipay.fake.pay(str(payment["id"]))
    assert (
        api.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers).json()["status"]
        == "cancelled"
    )
    (closed,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert closed["status"] == "closed"

    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"
    assert _status(api, buyer, order["id"]) == "cancelled"
    (refund,) = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert (refund["amount"], refund["status"], refund["lines"]) == (money(54405), "succeeded", None)
    assert alipay.fake.trade(str(payment["id"]))["refunds"] == {refund["request_no"]: "544.05"}
    balances = check_books(app)
    assert balances.get(("cbec_tax_payable", "", "CNY"), 0) == 0


def test_a_partial_refund_then_the_rest_never_gives_back_more_than_was_paid(paying, alipay, app, ops):
    api, seller, buyer, wine, order = paying
    payment = _start(api, buyer, order["id"])
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"

    one = api.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "一瓶破损"},
        headers=seller.headers,
    )
    assert one.status_code == 201, one.text
    # one bottle of two: goods 213.00, half the freight 17.75, half of each tax (17.945 -> 17.95,
    # 23.33): 272.03
    assert (one.json()["goods"], one.json()["freight"], one.json()["tax"]) == (
        money(21300),
        money(1775),
        money(4128),
    )
    assert one.json()["amount"] == money(27203)
    assert one.json()["lines"] == [{"product_id": wine["id"], "quantity": 1}]
    assert _status(api, buyer, order["id"]) == "paid"
    check_books(app)

    rest = api.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"reason": "不要了"}, headers=seller.headers
    )
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount"] == money(54405 - 27203)
    assert (rest.json()["goods"], rest.json()["freight"], rest.json()["tax"]) == (
        money(21300),
        money(1775),
        money(4127),
    )
    # everything refunded before shipping: the order is cancelled
    assert _status(api, buyer, order["id"]) == "cancelled"
    assert alipay.fake.trade(str(payment["id"]))["refunds"] == {
        one.json()["request_no"]: "272.03",
        rest.json()["request_no"]: "272.02",
    }
    assert_problem(
        api.post(f"/api/v1/orders/{order['id']}/refunds", json={"reason": "again"}, headers=seller.headers),
        409,
        "order_not_refundable",
    )
    balances = check_books(app)
    assert balances.get(("seller_pending", str(seller.id), "USD"), 0) == 0
    assert balances.get(("commission_revenue", "", "USD"), 0) == 0


def test_refund_requests_that_cannot_be_met_are_refused_and_change_nothing(paying, alipay, app, ops):
    api, seller, buyer, wine, order = paying
    payment = _start(api, buyer, order["id"])
    unpaid = api.post(f"/api/v1/orders/{order['id']}/refunds", json={"reason": "x"}, headers=seller.headers)
    assert_problem(unpaid, 409, "order_not_refundable")
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"

    def refund(body, headers=seller.headers):
        return api.post(f"/api/v1/orders/{order['id']}/refunds", json=body, headers=headers)

    assert_problem(
        refund({"lines": [{"product_id": wine["id"], "quantity": 3}], "reason": "x"}),
        409,
        "refund_quantity_exceeded",
    )
    assert_problem(
        refund({"lines": [{"product_id": 999999, "quantity": 1}], "reason": "x"}), 422, "refund_line_unknown"
    )
    assert_problem(
        refund({"lines": [{"product_id": wine["id"], "quantity": 1}] * 2, "reason": "x"}),
        422,
        "refund_line_repeated",
    )
    assert_problem(refund({"reason": ""}), 422, "validation_error")
    assert_problem(refund({"reason": "x"}, headers=buyer.headers), 403, "not_allowed")
    other_seller = seller_with_profile(api)
    assert_problem(refund({"reason": "x"}, headers=other_seller.headers), 404, "order_not_found")
    alipay.fake.fail_next(1)
    assert_problem(refund({"reason": "x"}), 503, "payment_provider_unavailable")
    assert api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"] == []
    assert alipay.fake.trade(str(payment["id"]))["refunds"] == {}
    check_books(app)


def test_the_readmes_worked_example_posts_every_line_to_the_cent(paying, alipay, app, ops):
    """README, "A worked example, to the cent": paid through Alipay, delivered, paid out."""
    api, seller, buyer, _wine, order = paying
    payment = _start(api, buyer, order["id"])
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"
    assert (
        api.post(
            f"/api/v1/orders/{order['id']}/ship",
            json={"tracking_number": "SF1234567890"},
            headers=seller.headers,
        ).status_code
        == 200
    )
    assert api.post(f"/api/v1/orders/{order['id']}/deliver", headers=seller.headers).status_code == 200
    set_delivered_at(app, order["id"], datetime.now(UTC) - timedelta(days=31))
    ran = api.post("/api/v1/payouts/run", json={"minimum": {"amount": 5000, "currency": "USD"}}, headers=ops)
    (payout,) = [p for p in ran.json()["payouts"] if p["seller_id"] == seller.id]
    assert payout["amount"] == money(6200, "USD")

    winery = str(seller.id)
    assert _ledger(api, ops, order["id"]) == [
        ("capture", "provider_clearing", "alipay", "CNY", 54405, 0),
        ("capture", "cbec_tax_payable", "", "CNY", 0, 8255),
        ("capture", "fx_conversion", "", "CNY", 0, 46150),
        ("capture", "fx_conversion", "", "USD", 6500, 0),
        ("capture", "commission_revenue", "", "USD", 0, 300),
        ("capture", "seller_pending", winery, "USD", 0, 6200),
        ("delivery", "seller_pending", winery, "USD", 6200, 0),
        ("delivery", "seller_payable", winery, "USD", 0, 6200),
    ]
    paid_out = api.get("/api/v1/ledger/accounts/payout_bank", headers=ops).json()["items"]
    assert [
        (x["kind"], x["account"], x["credit"]) for x in paid_out if x["memo"].endswith(f"seller {winery}")
    ] == [("payout", "payout_bank", 6200)]
    payable = api.get("/api/v1/ledger/accounts/seller_payable", params={"party": winery}, headers=ops).json()
    assert [(x["kind"], x["debit"], x["credit"]) for x in payable["items"]] == [
        ("delivery", 0, 6200),
        ("payout", 6200, 0),
    ]
    check_books(app)


def test_a_late_payment_whose_refund_fails_stays_recorded_and_is_given_back_later(paying, alipay, app, ops):
    """The capture of a payment its order no longer takes commits with its entry even when the
    provider cannot refund it yet; the sweeper gives it back afterwards."""
    api, _seller, buyer, _wine, order = paying
    payment = _start(api, buyer, order["id"])
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    assert api.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers).status_code == 200
    alipay.fake.fail_next(1)  # Alipay's refund call fails once
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert (stored["status"], stored["refunded"]) == ("captured", money(0))
    assert api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"] == []
    # the capture alone is posted: the money came in, nothing has gone back yet
    assert [(line[0], line[1], line[4], line[5]) for line in _ledger(api, ops, order["id"])] == [
        ("capture", "provider_clearing", 54405, 0),
        ("capture", "cbec_tax_payable", 0, 8255),
        ("capture", "fx_conversion", 0, 46150),
        ("capture", "fx_conversion", 6500, 0),
        ("capture", "commission_revenue", 0, 300),
        ("capture", "seller_pending", 0, 6200),
    ]
    check_books(app)

    async def sweep(runtime):
        return await payments.return_duplicates(runtime.database, runtime.get(FulfillmentContext))

    assert app.run_with_runtime(sweep) == 1
    (refund,) = api.get(f"/api/v1/orders/{order['id']}/refunds", headers=buyer.headers).json()["items"]
    assert (refund["amount"], refund["status"]) == (money(54405), "succeeded")
    assert app.run_with_runtime(sweep) == 0  # given back once
    balances = check_books(app)
    assert balances.get(("cbec_tax_payable", "", "CNY"), 0) == 0


def test_notifications_too_large_or_for_a_refund_of_another_amount_are_refused(paying, alipay, app, ops):
    api, seller, buyer, wine, order = paying
    payment = _start(api, buyer, order["id"])
    huge = api.post("/api/v1/payments/alipay/notify", content=b"a=" + b"x" * 70_000, headers=FORM)
    assert (huge.status_code, huge.text) == (413, "failure")
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"
    made = api.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "破损"},
        headers=seller.headers,
    ).json()
    claimed = alipay.fake.refund_notification(str(payment["id"]), made["request_no"], refund_fee="544.05")
    assert _notify(api, claimed).text == "failure"
    kept = api.get("/api/v1/payments/notifications", params={"outcome": "refused"}, headers=ops).json()[
        "items"
    ]
    assert kept[0]["code"] == "amount_mismatch"
    check_books(app)


def _declare(app):
    async def sweep(runtime):
        return await payments.declare_paid(runtime.database, runtime.get(FulfillmentContext))

    return app.run_with_runtime(sweep)


def _paid_through_alipay(api, alipay, buyer, order):
    payment = _start(api, buyer, order["id"])
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    assert _notify(api, alipay.fake.notification(str(payment["id"]))).text == "success"
    return payment


def test_alipay_declares_the_payment_to_customs_and_the_orderer_paid(app, alipay, ops):
    app.with_settings(**alipay.settings, alipay_customs_place="ZONGSHU")
    api = app.client
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    number = new_id_number()
    buyer = buyer_with_identity(api, id_number=number)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    payment = _paid_through_alipay(api, alipay, buyer, order)

    assert _declare(app) == 1
    (declared,) = [r for r in alipay.fake.requests if r[0] == "alipay.trade.customs.declare"]
    biz = declared[1]
    assert (biz["amount"], biz["customs_place"], biz["out_request_no"]) == (
        "544.05",
        "ZONGSHU",
        f"declare-{payment['id']:06d}",
    )
    assert biz["buyer_info"] == {"name": "李娜", "cert_type": "IDENTITY_CARD", "cert_no": number}
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert (stored["declaration"], stored["payer_identity"]) == ("accepted", "same")
    assert _declare(app) == 0  # once
    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text


def test_a_payer_who_is_not_the_orderer_holds_the_order_instead_of_shipping_it(app, alipay, ops):
    app.with_settings(**alipay.settings, alipay_customs_place="ZONGSHU")
    api = app.client
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    payment = _paid_through_alipay(api, alipay, buyer, order)
    alipay.fake.payers[str(payment["id"])] = ("王芳", "11010519491231002X")  # someone else's Alipay

    assert _declare(app) == 1
    (stored,) = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"]
    assert (stored["declaration"], stored["payer_identity"]) == ("accepted", "different")
    detail = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()
    assert (detail["status"], detail["held_reason"]) == ("paid", "payer_mismatch")
    assert detail["events"][-1]["reason"] == "held: alipay says the payer is not the orderer"
    assert_problem(
        api.post(
            f"/api/v1/orders/{order['id']}/ship",
            json={"tracking_number": "SF1234567890"},
            headers=seller.headers,
        ),
        409,
        "payer_mismatch",
    )
    # the operator sees it on the CEB411's timeline, and refunds the order
    trail = api.get(
        "/api/v1/audit/events", params={"order_id": order["id"], "kind": "customs"}, headers=ops
    ).json()["items"]
    (declared,) = [e for e in trail if e["subject"] == "CEB411" and "declared" in e["reason"]]
    assert declared["reason"] == (
        f"alipay declared payment {payment['id']} to customs: accepted; payer identity different"
    )
    refunded = api.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"reason": "payer mismatch"}, headers=ops
    )
    assert refunded.status_code == 201, refunded.text
    assert api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()["status"] == "cancelled"
    check_books(app)
