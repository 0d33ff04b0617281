"""The buying path in pages (kuajing/web/buying.py), as a browser without JavaScript walks it:
register, add to the cart, check out with the real name and the risk notice, pay in the sandbox,
see the order paid. And the bad paths: a checkout that misses a field keeps what was typed and
writes nothing, a wrong password, a blank real name, a payer who is not the orderer; and a
Singles' Day winner who adds the address on the order page."""

import re
from datetime import datetime, timedelta
from urllib.parse import urljoin

from sqlalchemy import update

from kuajing.kit.time import BEIJING, utcnow
from kuajing.models import Order
from tests.auth.factories import buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import APPLES, create_product
from tests.flash_sale.factories import create_campaign, create_deal, purchase
from tests.media.factories import photo
from tests.order.factories import place
from tests.web.factories import ADDRESS, another_browser, at_checkout, csrf_of, page_text, sign_up, signed_in


def test_a_buyer_registers_checks_out_with_identity_pays_and_sees_the_order_paid(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)  # $30.00, FX 7.1000: two bottles come to ¥544.05
    with another_browser(api) as browser:
        sign_up(browser)
        product = browser.get(f"/products/{wine['id']}")
        added = browser.post(
            "/cart", data={"product_id": wine["id"], "quantity": 2, "csrf_token": csrf_of(product)}
        )
        assert (added.status_code, added.headers["location"]) == (303, "/cart")
        cart = browser.get("/cart")
        assert "= ¥544.05" in page_text(cart.text)

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
                "csrf_token": csrf_of(checkout),
            },
        )
        assert placed.status_code == 303, page_text(placed.text)
        order_path = placed.headers["location"]
        order = browser.get(order_path)
        assert 'data-status="pending_payment"' in order.text
        assert "合计 ¥544.05" in page_text(order.text)
        assert "购物车是空的" in browser.get("/cart").text  # the ordered lines left the cart

        paid = browser.post(f"{order_path}/pay", data={"csrf_token": csrf_of(order)})
        assert (paid.status_code, paid.headers["location"]) == (303, order_path)
        order = browser.get(order_path)
        assert 'data-status="paid"' in order.text
        assert "合计 ¥544.05" in page_text(order.text)
        assert "已支付" in page_text(order.text)

    # the API sees the same order, paid, at the same total
    order_id = int(order_path.rsplit("/", 1)[1])
    rows = api.get(f"/api/v1/orders/{order_id}", headers=seller.headers).json()
    assert (rows["status"], rows["total"]) == ("paid", {"amount": 54405, "currency": "CNY"})


def test_a_checkout_missing_a_field_keeps_what_was_typed_and_writes_nothing(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with another_browser(api) as browser:
        sign_up(browser)
        checkout = at_checkout(browser, seller, wine["id"])
        id_number = new_id_number()
        typed = {**ADDRESS, "seller": seller.id, "identity_name": "李娜", "identity_id_number": id_number}

        def noticed(**changed: str):
            """The checkout posted again, the risk notice accepted, with `changed` fields."""
            data = {**typed, "risk_notice_accepted": "yes", "csrf_token": csrf_of(checkout), **changed}
            return browser.post("/checkout", data=data)

        no_notice = browser.post("/checkout", data={**typed, "csrf_token": csrf_of(checkout)})
        assert no_notice.status_code == 422
        assert "请阅读并同意风险告知后再下单" in no_notice.text
        assert f'value="{id_number}"' in no_notice.text and 'value="世纪大道 100 号"' in no_notice.text

        bad_phone = noticed(address_phone="12345")
        assert bad_phone.status_code == 422
        assert 'id="address_phone" name="address_phone" value="12345"' in bad_phone.text
        # the refusal names the field in words, above the form and beside it, and keeps the tick
        assert (
            '<a href="#address_phone">手机号码</a>: 手机号码应为以 1 开头的 11 位数字，例如 13800138000。'
            in (bad_phone.text)
        )
        assert "下单前请修改以下 1 项：" in bad_phone.text
        assert re.search(r'id="risk_notice_accepted"[^>]* checked', bad_phone.text)
        assert "请检查此项" not in bad_phone.text

        no_street = noticed(address_street=" ")
        assert no_street.status_code == 422
        assert (
            '<p class="error" id="address_street-error" role="alert">请填写详细地址。</p>' in no_street.text
        )

        bad_id = noticed(identity_id_number="110105196001010000")
        assert bad_id.status_code == 422
        assert "这不是有效的 18 位居民身份证号码" in bad_id.text

        assert "还没有订单" in browser.get("/orders").text  # none of the four placed an order
        assert "= ¥292.96" in page_text(browser.get("/cart").text)  # and the cart still holds the wine


def test_a_wrong_password_is_shown_on_the_form_with_the_email_kept(api):
    with another_browser(api) as browser:
        email = sign_up(browser)
        browser.cookies.delete("kj_session")
        form = browser.get("/login?lang=en")
        wrong = browser.post(
            "/login", data={"email": email, "password": "not the password", "csrf_token": csrf_of(form)}
        )
        assert wrong.status_code == 401
        assert "The email or the password is wrong." in wrong.text
        assert f'value="{email}"' in wrong.text
        right = browser.post(
            "/login",
            data={
                "email": email,
                "password": "a long web password",
                "csrf_token": csrf_of(form),
                "next": "//evil.example/",
            },
        )
        assert (right.status_code, right.headers["location"]) == (303, "/")  # never to another host
        assert "My orders" in browser.get("/").text


def test_checkout_refuses_a_blank_real_name_and_saves_no_identity(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with another_browser(api) as browser:
        sign_up(browser)
        checkout = at_checkout(browser, seller, wine["id"])
        data = {
            **ADDRESS,
            "seller": seller.id,
            "risk_notice_accepted": "yes",
            "csrf_token": csrf_of(checkout),
        }
        refused = browser.post(
            "/checkout", data={**data, "identity_name": "  ", "identity_id_number": new_id_number()}
        )
        assert refused.status_code == 422
        assert "请填写真实姓名。" in refused.text
        assert 'name="identity_id_number"' in browser.get(f"/checkout?seller={seller.id}").text  # none saved


def test_a_payer_who_is_not_the_orderer_is_told_so_and_the_order_stays_unpaid(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    id_number = new_id_number()
    buyer = buyer_with_identity(api, id_number=id_number)
    with signed_in(api, buyer) as browser:
        checkout = at_checkout(browser, seller, wine["id"])
        placed = browser.post(
            "/checkout",
            data={
                **ADDRESS,
                "seller": seller.id,
                "risk_notice_accepted": "yes",
                "csrf_token": csrf_of(checkout),
            },
        )
        order_path = placed.headers["location"]
        # the identity on file now names someone else than the order does
        renamed = api.put(
            "/api/v1/buyer/identity",
            json={"name": "王芳", "id_number": id_number},
            headers=buyer.headers,
        )
        assert renamed.status_code == 200, renamed.text
        order = browser.get(order_path)
        refused = browser.post(f"{order_path}/pay", data={"csrf_token": csrf_of(order)})
        assert refused.status_code == 409
        assert "支付人必须是下单人本人" in refused.text
        assert 'data-status="pending_payment"' in browser.get(order_path).text


def test_a_singles_day_winner_adds_an_address_and_pays_on_the_order_page(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    campaign = create_campaign(api, operator_token)
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=2, per_buyer_limit=1)
    with signed_in(api, buyer_with_identity(api)) as browser:
        page = browser.get(f"/singles-day?campaign={campaign['id']}")
        won = browser.post(
            f"/singles-day/deals/{deal['id']}/buy",
            data={"csrf_token": csrf_of(page), "campaign": campaign["id"], "risk_notice_accepted": "yes"},
        )
        order_path = won.headers["location"]
        order = browser.get(order_path)
        assert 'name="address_street"' in order.text  # a reservation has no address yet

        bad = browser.post(
            f"{order_path}/pay", data={**ADDRESS, "address_phone": "123", "csrf_token": csrf_of(order)}
        )
        assert bad.status_code == 422 and 'value="123"' in bad.text
        assert 'data-status="pending_payment"' in bad.text

        paid = browser.post(f"{order_path}/pay", data={**ADDRESS, "csrf_token": csrf_of(order)})
        assert paid.status_code == 303
        assert 'data-status="paid"' in browser.get(order_path).text


def test_an_unpaid_singles_day_order_shows_its_payment_deadline_in_beijing_time_counting_down(
    app, api, operator_token
):
    # given a unit of a deal won, its order unpaid, and an order placed at checkout
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    campaign = create_campaign(api, operator_token)
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=2, per_buyer_limit=1)
    buyer = buyer_with_identity(api)
    won = purchase(api, buyer, deal["id"])
    assert won.status_code == 201, won.text
    order_id = won.json()["order_id"]
    expires_at = datetime.fromisoformat(won.json()["expires_at"])
    checkout_order = place(api, buyer, [(wine["id"], 1)]).json()

    with signed_in(api, buyer) as browser:
        page = browser.get(f"/orders/{order_id}").text
        checkout_page = browser.get(f"/orders/{checkout_order['id']}").text

    # then the deadline, to the second in Beijing time, with the script that counts it down
    deadline = re.search(
        r'<p class="deadline" data-deadline data-left="\d+" data-expired="([^"]+)">(.*?)</p>', page, re.S
    )
    assert deadline is not None
    stamp = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', deadline.group(2))
    assert stamp is not None
    assert datetime.fromisoformat(stamp.group(1)) == expires_at
    assert stamp.group(2) == expires_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    left = int(re.search(r'data-left="(\d+)"', page).group(1))  # seconds, as the server counted them
    assert page_text(deadline.group(2)).strip() == (
        f"请在北京时间 {stamp.group(2)} 前完成支付，超时未付，抢到的名额将释放给其他买家。 "
        f"剩余支付时间： {left // 60:02d}:{left % 60:02d}"
    )
    assert deadline.group(1) == "支付已超时，订单将自动取消，抢到的名额将释放给其他买家。"
    assert '<script src="/static/order_deadline.js" defer></script>' in page
    script = api.get("/static/order_deadline.js")
    assert (script.status_code, script.headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    # an order placed at checkout holds no deal units: no countdown
    assert "data-deadline" not in checkout_page and "order_deadline.js" not in checkout_page

    # past its deadline, before the sweeper has cancelled it, the page says the time ran out
    async def run_out(session):
        await session.execute(
            update(Order).where(Order.id == order_id).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    app.run(run_out)
    with signed_in(api, buyer) as browser:
        late = browser.get(f"/orders/{order_id}").text
    assert '<p class="deadline expired">支付已超时，订单将自动取消，抢到的名额将释放给其他买家。</p>' in late
    assert "data-deadline" not in late


def test_the_risk_notice_box_at_checkout_links_to_the_notice_above_it(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with signed_in(api, buyer_with_identity(api)) as browser:
        page = at_checkout(browser, seller, wine["id"])
    address = f"http://testserver/checkout?seller={seller.id}"

    label = re.search(r'<label for="risk_notice_accepted" class="inline">(.*?)</label>', page.text)

    assert label is not None
    assert label.group(1) == '我已阅读并同意<a href="#notice">《跨境电商消费风险告知》</a>。'
    target, _, anchor = urljoin(address, re.search(r'href="([^"]+)"', label.group(1)).group(1)).partition("#")
    assert (target, anchor, page.status_code) == (address, "notice", 200)
    assert re.findall(r'<[^>]+ id="notice">\s*<legend>[^<]*', page.text) == [
        '<fieldset class="notice" id="notice">\n    <legend>跨境电商消费风险告知'
    ]


def test_the_cart_names_each_seller_and_steps_quantities_one_at_a_time(api):
    # given two sellers' goods in the cart
    winery = seller_with_profile(api, shipping_fee_cents=500)
    orchard = seller_with_profile(api, state="WA")
    renamed = {
        "legal_name": "Kettle Orchard LLC",
        "us_state": "WA",
        "employees": 9,
        "shipping_fee": {"amount": 500, "currency": "USD"},
    }
    assert api.put("/api/v1/seller/profile", json=renamed, headers=orchard.headers).status_code == 200
    wine = create_product(api, winery)
    apples = create_product(api, orchard, template=APPLES)
    with another_browser(api) as browser:
        csrf = csrf_of(browser.get(f"/products/{wine['id']}"))
        for product in (wine, apples):
            browser.post("/cart", data={"product_id": product["id"], "quantity": 1, "csrf_token": csrf})
        cart = browser.get("/cart")
        # each seller's group is headed by their name, a link to their shop
        assert f'<a href="/sellers/{orchard.id}">Kettle Orchard LLC</a>' in cart.text
        assert f'<a href="/sellers/{winery.id}">Test Winery LLC</a>' in cart.text
        # the + button asks for one more, the − one for one fewer; − at 1 takes the line out
        steps = re.findall(rf'name="product_id" value="{wine["id"]}">\s*<button[^>]*value="(\d+)"', cart.text)
        assert steps == ["0"]
        assert 'value="2" class="step" aria-label="增加一件"' in cart.text
        browser.post("/cart", data={"product_id": wine["id"], "quantity": 2, "csrf_token": csrf})
        text = page_text(browser.get("/cart").text)
        # two bottles: ¥426.00 goods + ¥82.55 tax + ¥35.50 shipping (DESIGN's worked example)
        assert "= ¥544.05" in text
        browser.post("/cart", data={"product_id": wine["id"], "quantity": 0, "csrf_token": csrf})
        after = browser.get("/cart").text
        assert "Test Winery LLC" not in after and "Kettle Orchard LLC" in after


def test_an_order_shows_what_was_bought_with_its_photo_who_sells_it_and_where_it_goes(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    added = api.post(
        f"/api/v1/products/{wine['id']}/images",
        files={"file": ("bottle.jpg", photo(900, 1200), "image/jpeg")},
        headers=seller.headers,
    )
    assert added.status_code == 201, added.text
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    with signed_in(api, buyer) as browser:
        page = browser.get(f"/orders/{order['id']}")
    assert page.status_code == 200
    # the line: its photo's 240 px JPEG shown 64 px wide, its name linking to its page, its goods
    thumb = added.json()["sizes"][0]
    assert f'<img class="thumb" src="{thumb["jpg"]}" width="64" height="85"' in page.text
    assert f'<a href="/products/{wine["id"]}">纳帕谷赤霞珠干红葡萄酒 2021</a>' in page.text
    text = page_text(page.text)
    assert "× 2 ¥426.00" in text
    assert f'<a href="/sellers/{seller.id}">Test Winery LLC</a>' in page.text
    assert "收货：李娜，13800138000，上海市上海市浦东新区世纪大道 100 号" in text

    # the orders list shows the same photo, smaller, what was bought, from whom, when (Beijing)
    with signed_in(api, buyer) as browser:
        listed = browser.get("/orders")
    row = re.search(rf'<tr data-order="{order["id"]}">(.*?)</tr>', listed.text, re.S)
    assert row is not None
    assert f'<img class="thumb" src="{thumb["jpg"]}" width="48" height="64"' in row.group(1)
    placed_at = datetime.fromisoformat(order["created_at"]).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    assert page_text(row.group(1)).strip() == (
        f"#{order['id']} 纳帕谷赤霞珠干红葡萄酒 2021 × 2 Test Winery LLC {placed_at} 待支付 ¥544.05"
    )


def test_a_returning_buyer_is_offered_the_address_of_their_last_order(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with another_browser(api) as browser:
        sign_up(browser)
        first = at_checkout(browser, seller, wine["id"])
        assert "上一笔订单的收货地址" not in first.text and 'value="世纪大道 100 号"' not in first.text
        placed = browser.post(
            "/checkout",
            data={
                **ADDRESS,
                "seller": seller.id,
                "identity_name": "李娜",
                "identity_id_number": new_id_number(),
                "risk_notice_accepted": "yes",
                "csrf_token": csrf_of(first),
            },
        )
        assert placed.status_code == 303, placed.text

        again = at_checkout(browser, seller, wine["id"])
        assert "已填入您上一笔订单的收货地址" in again.text
        for name, value in ADDRESS.items():
            assert f'id="{name}" name="{name}" value="{value}"' in again.text, name
        assert not re.search(r'id="risk_notice_accepted"[^>]* checked', again.text)  # ticked each time
