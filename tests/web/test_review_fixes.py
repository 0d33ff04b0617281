"""Bad input and awkward paths found by review of the pages, each answered with a page and a
reason, never a 500 and never a half-written change."""

import uuid

import httpx

from tests.auth.factories import buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal
from tests.web.test_buying import ADDRESS, _at_checkout, _browser, _csrf, _register


def _as(api, account) -> httpx.Client:
    return httpx.Client(base_url=str(api.base_url), timeout=30, cookies={"kj_session": account.token})


def test_a_singles_day_winner_adds_an_address_and_pays_on_the_order_page(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    campaign = create_campaign(api, operator_token)
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=2, per_buyer_limit=1)
    with _as(api, buyer_with_identity(api)) as browser:
        page = browser.get(f"/singles-day?campaign={campaign['id']}")
        won = browser.post(
            f"/singles-day/deals/{deal['id']}/buy",
            data={"csrf_token": _csrf(page), "campaign": campaign["id"], "risk_notice_accepted": "yes"},
        )
        order_path = won.headers["location"]
        order = browser.get(order_path)
        assert 'name="address_street"' in order.text  # a reservation has no address yet

        bad = browser.post(
            f"{order_path}/pay", data={**ADDRESS, "address_phone": "123", "csrf_token": _csrf(order)}
        )
        assert bad.status_code == 422 and 'value="123"' in bad.text
        assert 'data-status="pending_payment"' in bad.text

        paid = browser.post(f"{order_path}/pay", data={**ADDRESS, "csrf_token": _csrf(order)})
        assert paid.status_code == 303
        assert 'data-status="paid"' in browser.get(order_path).text


def test_a_payer_who_is_not_the_orderer_is_told_so_and_the_order_stays_unpaid(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    id_number = new_id_number()
    buyer = buyer_with_identity(api, id_number=id_number)
    with _as(api, buyer) as browser:
        checkout = _at_checkout(browser, seller, wine["id"])
        placed = browser.post(
            "/checkout",
            data={
                **ADDRESS,
                "seller": seller.id,
                "risk_notice_accepted": "yes",
                "csrf_token": _csrf(checkout),
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
        refused = browser.post(f"{order_path}/pay", data={"csrf_token": _csrf(order)})
        assert refused.status_code == 409
        assert "支付人必须是下单人本人" in refused.text
        assert 'data-status="pending_payment"' in browser.get(order_path).text


def test_checkout_refuses_a_blank_real_name_and_saves_no_identity(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with _browser(api) as browser:
        _register(browser)
        checkout = _at_checkout(browser, seller, wine["id"])
        data = {**ADDRESS, "seller": seller.id, "risk_notice_accepted": "yes", "csrf_token": _csrf(checkout)}
        refused = browser.post(
            "/checkout", data={**data, "identity_name": "  ", "identity_id_number": new_id_number()}
        )
        assert refused.status_code == 422
        assert "请填写姓名" in refused.text
        assert 'name="identity_id_number"' in browser.get(f"/checkout?seller={seller.id}").text  # none saved


def test_hostile_form_and_cookie_values_get_pages_not_500s(api):
    seller = seller_with_profile(api)
    tag = uuid.uuid4().hex[:6]
    form = {
        "sku": f"X-{tag}", "title_en": "Sugar", "title_zh": "糖", "category": "other", "hs_code": "1701.99",
        "price": "5.00", "stock": "5", "weight_grams": "500", "attributes": "",
    }  # fmt: skip
    with _as(api, seller) as browser:
        csrf = _csrf(browser.get("/seller/products/new"))
        for field, value in (
            ("price", "Infinity"),
            ("price", "9e999999"),
            ("stock", "²"),
            ("stock", "9" * 4400),
            ("attributes", "[" * 3000),
            ("attributes", '{"a": NaN}'),
        ):
            answer = browser.post("/seller/products/new", data={**form, field: value, "csrf_token": csrf})
            assert answer.status_code == 422, (field, value[:20], answer.status_code)
            assert answer.headers["content-type"].startswith("text/html")
    with _browser(api) as browser:
        csrf = _csrf(browser.get("/register"))
        bad_name = browser.post(
            "/register",
            data={
                "name": "李\x01娜",
                "email": f"x-{tag}@kuajing.test",
                "password": "a long password",
                "csrf_token": csrf,
            },
        )
        assert bad_name.status_code == 422
        nul = browser.post(
            "/login", data={"email": "a\x00@b.cn", "password": "whatever123", "csrf_token": csrf}
        )
        assert nul.status_code == 401
    cart = httpx.get(f"{api.base_url}/cart", headers={"Cookie": "kj_cart=%C2%B2-1.\xb2-1".encode("latin-1")})
    assert cart.status_code == 200 and "购物车是空的" in cart.text


def test_the_language_link_keeps_the_page_and_its_query(api):
    page = api.get("/search", params={"q": "wine", "category": "wine"})
    assert 'href="/search?q=wine&amp;category=wine&amp;lang=en"' in page.text
    off_site = api.get("//evil.example/x")
    assert 'href="//' not in off_site.text.split('class="lang"')[1][:60]
    assert off_site.status_code == 404 and "<h1>页面不存在</h1>" in off_site.text  # a page here, no redirect
