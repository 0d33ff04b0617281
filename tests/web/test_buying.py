"""The buying path in pages, as a browser without JavaScript walks it: register, add to the cart,
check out with the real name and the risk notice, pay in the sandbox, see the order paid. And
the bad paths: a form without its CSRF token, a wrong password, a checkout that misses a field
keeps what was typed and writes nothing."""

import re
import uuid

import httpx

from tests.auth.factories import new_id_number, seller_with_profile
from tests.catalog.factories import create_product
from tests.live import start_server

ADDRESS = {
    "address_name": "李娜",
    "address_phone": "13800138000",
    "address_province": "上海市",
    "address_city": "上海市",
    "address_district": "浦东新区",
    "address_street": "世纪大道 100 号",
}


def _browser(api: httpx.Client) -> httpx.Client:
    return httpx.Client(base_url=str(api.base_url), timeout=30)


def _csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _register(browser: httpx.Client) -> str:
    form = browser.get("/register")
    email = f"web-{uuid.uuid4().hex[:10]}@kuajing.test"
    answer = browser.post(
        "/register",
        data={"name": "李娜", "email": email, "password": "a long web password", "csrf_token": _csrf(form)},
    )
    assert answer.status_code == 303, answer.text
    assert browser.cookies.get("kj_session")
    return email


def _at_checkout(browser: httpx.Client, seller, product_id: int) -> httpx.Response:
    """One unit of the product in the browser's cart, and that seller's checkout page."""
    product = browser.get(f"/products/{product_id}")
    added = browser.post(
        "/cart", data={"product_id": product_id, "quantity": 1, "csrf_token": _csrf(product)}
    )
    assert added.status_code == 303
    return browser.get(f"/checkout?seller={seller.id}")


def test_a_buyer_registers_checks_out_with_identity_pays_and_sees_the_order_paid(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)  # $30.00, FX 7.1000: two bottles come to ¥544.05
    with _browser(api) as browser:
        _register(browser)
        product = browser.get(f"/products/{wine['id']}")
        added = browser.post(
            "/cart", data={"product_id": wine["id"], "quantity": 2, "csrf_token": _csrf(product)}
        )
        assert (added.status_code, added.headers["location"]) == (303, "/cart")
        cart = browser.get("/cart")
        assert "= ¥544.05" in _text(cart.text)

        checkout = browser.get(f"/checkout?seller={seller.id}")
        assert checkout.status_code == 200
        assert 'name="identity_id_number"' in checkout.text  # no identity on file yet
        placed = browser.post(
            "/checkout",
            data={
                **ADDRESS,
                "seller": seller.id,
                "identity_name": "李娜",
                "identity_id_number": new_id_number(),
                "risk_notice_accepted": "yes",
                "csrf_token": _csrf(checkout),
            },
        )
        assert placed.status_code == 303, _text(placed.text)
        order_path = placed.headers["location"]
        order = browser.get(order_path)
        assert 'data-status="pending_payment"' in order.text
        assert "合计 ¥544.05" in _text(order.text)
        assert "购物车是空的" in browser.get("/cart").text  # the ordered lines left the cart

        paid = browser.post(f"{order_path}/pay", data={"csrf_token": _csrf(order)})
        assert (paid.status_code, paid.headers["location"]) == (303, order_path)
        order = browser.get(order_path)
        assert 'data-status="paid"' in order.text
        assert "合计 ¥544.05" in _text(order.text)
        assert "已支付" in _text(order.text)

    # the API sees the same order, paid, at the same total
    order_id = int(order_path.rsplit("/", 1)[1])
    rows = api.get(f"/api/v1/orders/{order_id}", headers=seller.headers).json()
    assert (rows["status"], rows["total"]) == ("paid", {"amount": 54405, "currency": "CNY"})


def test_a_checkout_missing_a_field_keeps_what_was_typed_and_writes_nothing(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with _browser(api) as browser:
        _register(browser)
        checkout = _at_checkout(browser, seller, wine["id"])
        id_number = new_id_number()
        typed = {**ADDRESS, "seller": seller.id, "identity_name": "李娜", "identity_id_number": id_number}

        no_notice = browser.post("/checkout", data={**typed, "csrf_token": _csrf(checkout)})
        assert no_notice.status_code == 422
        assert "请阅读并同意风险告知后再下单" in no_notice.text
        assert f'value="{id_number}"' in no_notice.text and 'value="世纪大道 100 号"' in no_notice.text

        bad_phone = browser.post(
            "/checkout",
            data={
                **typed,
                "address_phone": "12345",
                "risk_notice_accepted": "yes",
                "csrf_token": _csrf(checkout),
            },
        )
        assert bad_phone.status_code == 422
        assert 'id="address_phone" name="address_phone" value="12345"' in bad_phone.text

        bad_id = browser.post(
            "/checkout",
            data={
                **typed,
                "identity_id_number": "110105196001010000",
                "risk_notice_accepted": "yes",
                "csrf_token": _csrf(checkout),
            },
        )
        assert bad_id.status_code == 422
        assert "这不是有效的 18 位居民身份证号码" in bad_id.text

        assert "还没有订单" in browser.get("/orders").text  # none of the three placed an order
        assert "= ¥292.96" in _text(browser.get("/cart").text)  # and the cart still holds the wine


def test_forms_without_their_csrf_token_are_refused_with_a_page(api):
    with _browser(api) as browser:
        browser.get("/login")  # the browser now holds a CSRF cookie
        for path, data, status in (
            ("/login", {"email": "a@b.cn", "password": "x" * 12}, 400),  # no token at all
            ("/cart", {"product_id": 1, "quantity": 1}, 400),
            ("/login", {"email": "a@b.cn", "password": "x" * 12, "csrf_token": "forged-" + "x" * 30}, 403),
        ):
            refused = browser.post(path, data=data)
            assert refused.status_code == status, path
            assert refused.headers["content-type"].startswith("text/html"), path
        forged = browser.post(
            "/cart", data={"product_id": 1, "quantity": 1, "csrf_token": "forged-" + "x" * 30}
        )
        assert forged.status_code == 403
        assert "表单已过期或并非来自本站" in forged.text
        assert "kj_cart" not in browser.cookies


def test_a_wrong_password_is_shown_on_the_form_with_the_email_kept(api):
    with _browser(api) as browser:
        email = _register(browser)
        browser.cookies.delete("kj_session")
        form = browser.get("/login?lang=en")
        wrong = browser.post(
            "/login", data={"email": email, "password": "not the password", "csrf_token": _csrf(form)}
        )
        assert wrong.status_code == 401
        assert "The email or the password is wrong." in wrong.text
        assert f'value="{email}"' in wrong.text
        right = browser.post(
            "/login",
            data={
                "email": email,
                "password": "a long web password",
                "csrf_token": _csrf(form),
                "next": "//evil.example/",
            },
        )
        assert (right.status_code, right.headers["location"]) == (303, "/")  # never to another host
        assert "My orders" in browser.get("/").text


def test_cookies_are_secure_when_the_setting_says_so(tmp_path, database_url):
    server = start_server(database_url, tmp_path / "secure.log", cookie_secure="true")
    try:
        page = httpx.get(f"{server.url}/register")
        assert "Secure" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    finally:
        server.stop()


def test_session_and_csrf_cookies_are_httponly_and_samesite(api):
    with _browser(api) as browser:
        page = browser.get("/")
        assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
        form = browser.get("/register")
        email = f"web-{uuid.uuid4().hex[:10]}@kuajing.test"
        answer = browser.post(
            "/register",
            data={
                "name": "王芳",
                "email": email,
                "password": "a long web password",
                "csrf_token": _csrf(form),
            },
        )
        cookie = answer.headers["set-cookie"]
        assert "kj_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
