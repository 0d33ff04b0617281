"""Paying on the pages: the order page offers the configured providers; WeChat Pay shows its
code on a page that waits (reloading itself, no script) and turns into the paid order; Alipay
sends the buyer to its cashier and back to the same waiting page; "I have paid" asks the
provider when its notification is late."""

import re

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.order.factories import place
from tests.payment.gateways import form_body
from tests.web.factories import csrf_of, page_text, signed_in


def _order(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    placed = place(api, buyer, [(wine["id"], 2)])
    assert placed.status_code == 201, placed.text
    return buyer, placed.json()


def test_wechat_pay_shows_its_code_then_the_paid_order(app, wechatpay):
    app.with_settings(**wechatpay.settings)
    buyer, order = _order(app.client)
    order_path = f"/orders/{order['id']}"
    with signed_in(app.client, buyer) as browser:
        page = browser.get(order_path)
        assert 'value="wechatpay"' in page.text and 'value="sandbox"' not in page.text
        assert "微信支付" in page_text(page.text)
        chosen = browser.post(
            f"{order_path}/pay", data={"provider": "wechatpay", "csrf_token": csrf_of(page)}
        )
        assert chosen.status_code == 303, chosen.text
        waiting_path = chosen.headers["location"]
        assert waiting_path.startswith(f"{order_path}/payments/")
        waiting = browser.get(waiting_path)
        assert waiting.status_code == 200
        assert '<meta http-equiv="refresh" content="3">' in waiting.text
        qr = re.search(r'<figure class="qr">\s*(<svg.*?</svg>)', waiting.text, re.S)
        assert qr is not None and "<path" in qr.group(1)  # the QR code drawn in the page
        assert "请用微信扫码支付" in waiting.text
        assert "¥544.05" in page_text(waiting.text)

        # the buyer scans and pays; the notification is late, so "I have paid" asks WeChat Pay
        payment_id = int(waiting_path.rsplit("/", 1)[1])
        wechatpay.fake.pay(f"{payment_id:06d}")
        checked = browser.post(f"{waiting_path}/check", data={"csrf_token": csrf_of(waiting)})
        assert (checked.status_code, checked.headers["location"]) == (303, waiting_path)
        done = browser.get(waiting_path)
        assert (done.status_code, done.headers["location"]) == (303, order_path)
        paid = browser.get(order_path)
        assert 'data-status="paid"' in paid.text
        assert 'data-payment-status="captured"' in paid.text


def test_alipay_sends_the_buyer_to_its_cashier_and_back_to_wait(app, alipay):
    app.with_settings(**alipay.settings)
    buyer, order = _order(app.client)
    order_path = f"/orders/{order['id']}"
    with signed_in(app.client, buyer) as browser:
        page = browser.get(order_path)
        chosen = browser.post(f"{order_path}/pay", data={"provider": "alipay", "csrf_token": csrf_of(page)})
        assert chosen.status_code == 303
        cashier = chosen.headers["location"]
        assert cashier.startswith(alipay.fake.gateway_url + "?")
        biz = alipay.fake.open(cashier)
        payment_id = int(biz["out_trade_no"])
        waiting_path = f"{order_path}/payments/{payment_id}"
        # back from Alipay before its notification: the page waits and offers the cashier again
        waiting = browser.get(waiting_path)
        assert "前往支付宝付款" in page_text(waiting.text)
        alipay.fake.pay(biz["out_trade_no"])
        notified = app.client.post(
            "/api/v1/payments/alipay/notify",
            content=form_body(alipay.fake.notification(biz["out_trade_no"])),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert notified.text == "success"
        assert browser.get(waiting_path).headers["location"] == order_path


def test_an_unoffered_provider_is_refused_on_the_page_and_nothing_is_started(app):
    buyer, order = _order(app.client)
    order_path = f"/orders/{order['id']}"
    with signed_in(app.client, buyer) as browser:
        page = browser.get(order_path)
        refused = browser.post(f"{order_path}/pay", data={"provider": "alipay", "csrf_token": csrf_of(page)})
        assert refused.status_code == 409
        assert "此处不提供这种支付方式" in page_text(refused.text)
        assert 'data-status="pending_payment"' in refused.text
        assert "data-payment-status" not in browser.get(order_path).text
        # a payment that exists, seen by someone else: the same 404 as none
        started = app.client.post(
            f"/api/v1/orders/{order['id']}/payments", json={"provider": "sandbox"}, headers=buyer.headers
        )
        assert started.status_code == 201, started.text
        waiting_path = f"{order_path}/payments/{started.json()['id']}"
        assert browser.get(waiting_path).status_code == 200
        stranger = buyer_with_identity(app.client)
        with signed_in(app.client, stranger) as other:
            assert other.get(waiting_path).status_code == 404
        seller = seller_with_profile(app.client)
        with signed_in(app.client, seller) as shop:
            checked = shop.post(f"{waiting_path}/check", data={"csrf_token": csrf_of(shop.get("/seller"))})
            assert checked.status_code == 403
