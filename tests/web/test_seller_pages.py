"""The seller portal over HTTP: signing up and the profile, editing a product, the live preview,
shipping paid orders, the sales chart and deal enrollment. Each form is tried with bad input
too: shown again with what was typed and the reason, and nothing is changed."""

import json
import re
import uuid
from datetime import datetime, time, timedelta

import httpx
from sqlalchemy import update

from kuajing.kit.time import BEIJING, beijing_date, utcnow
from kuajing.models import Order
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import WINE, create_product, stock_of
from tests.compliance.factories import in_db
from tests.flash_sale.factories import create_campaign
from tests.order.factories import place
from tests.web.test_buying import _csrf, _text


def _as(api: httpx.Client, account) -> httpx.Client:
    return httpx.Client(base_url=str(api.base_url), timeout=30, cookies={"kj_session": account.token})


def _paid_order(api: httpx.Client, seller, product_id: int, quantity: int = 1) -> dict:
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(product_id, quantity)]).json()
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.json()["status"] == "paid", paid.text
    return paid.json()


PROFILE = {
    "legal_name": "Cascade Orchards LLC",
    "us_state": "WA",
    "employees": "12",
    "shipping_fee": "18.50",
    "customs_code": "3301960ABC",
    "customs_name": "",
    "story_en": "Three generations of apple growers in the Yakima Valley.",
    "story_zh": "亚基马谷三代果农。",
}


def test_a_seller_signs_up_sets_up_the_profile_and_signs_in_again(api):
    email = f"orchard-{uuid.uuid4().hex[:8]}@kuajing.test"
    with httpx.Client(base_url=str(api.base_url), timeout=30) as browser:
        form = browser.get("/seller/register")
        assert '<html lang="en">' in form.text and "Sell to China with kuajing" in form.text
        signed_up = browser.post(
            "/seller/register",
            data={
                "name": "Ana Ruiz",
                "email": email,
                "password": "a long seller password",
                "csrf_token": _csrf(form),
            },
        )
        assert (signed_up.status_code, signed_up.headers["location"]) == (303, "/seller/profile")
        token = browser.cookies["kj_session"]
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert (me["email"], me["role"]) == (email, "seller")

        first = browser.get("/seller/profile")
        assert "Tell buyers and China customs who you are" in first.text
        csrf = _csrf(first)
        bad = {**PROFILE, "employees": "a dozen", "shipping_fee": "free", "csrf_token": csrf, "new": "1"}
        refused = browser.post("/seller/profile", data=bad)
        assert refused.status_code == 422
        assert 'value="a dozen"' in refused.text and 'value="free"' in refused.text
        assert 'value="Cascade Orchards LLC"' in refused.text  # what was typed stays
        assert "Enter a price in US dollars, such as 30.00." in refused.text
        assert "Check this field." in refused.text
        assert "Tell buyers and China customs who you are" in refused.text  # still the first time
        bad_code = browser.post(
            "/seller/profile", data={**PROFILE, "customs_code": "12-34", "csrf_token": csrf}
        )
        assert bad_code.status_code == 422
        assert "The customs code is 10 or 18 letters and digits" in bad_code.text
        nothing = api.get("/api/v1/seller/profile", headers={"Authorization": f"Bearer {token}"})
        assert (nothing.status_code, nothing.json()["code"]) == (409, "seller_profile_required")

        saved = browser.post("/seller/profile", data={**PROFILE, "csrf_token": csrf})
        assert (saved.status_code, saved.headers["location"]) == (303, "/seller/profile?saved=1")
        profile = api.get("/api/v1/seller/profile", headers={"Authorization": f"Bearer {token}"}).json()
        assert {
            key: profile[key]
            for key in ("legal_name", "us_state", "employees", "customs_code", "customs_name")
        } == {
            "legal_name": "Cascade Orchards LLC",
            "us_state": "WA",
            "employees": 12,
            "customs_code": "3301960ABC",
            "customs_name": None,
        }
        assert profile["shipping_fee"] == {"amount": 1850, "currency": "USD"}
        assert profile["story"] == {"en": PROFILE["story_en"], "zh": PROFILE["story_zh"]}
        again = browser.get("/seller/profile?saved=1")
        assert "Profile saved." in again.text and 'value="18.50"' in again.text
        assert '<a href="/seller">Seller portal</a>' in again.text and "My orders" not in again.text
        assert '<option value="WA" selected>Washington</option>' in again.text

    with httpx.Client(base_url=str(api.base_url), timeout=30) as browser:
        anonymous = browser.get("/seller/orders")
        assert (anonymous.status_code, anonymous.headers["location"]) == (
            303,
            "/seller/login?next=%2Fseller%2Forders",
        )
        form = browser.get("/seller/login?next=%2Fseller%2Forders")
        assert '<html lang="en">' in form.text and 'action="/seller/login"' in form.text
        wrong = browser.post(
            "/seller/login",
            data={
                "email": email,
                "password": "not the password",
                "next": "/seller/orders",
                "csrf_token": _csrf(form),
            },
        )
        assert wrong.status_code == 401 and "The email or the password is wrong." in wrong.text
        assert f'value="{email}"' in wrong.text
        right = browser.post(
            "/seller/login",
            data={
                "email": email,
                "password": "a long seller password",
                "next": "/seller/orders",
                "csrf_token": _csrf(form),
            },
        )
        assert (right.status_code, right.headers["location"]) == (303, "/seller/orders")
        offsite = browser.post(
            "/seller/login",
            data={
                "email": email,
                "password": "a long seller password",
                "next": "//evil.example/",
                "csrf_token": _csrf(form),
            },
        )
        assert offsite.headers["location"] == "/seller"


def test_a_buyer_is_not_let_into_the_portal_and_forms_need_their_token(api):
    buyer = buyer_with_identity(api)
    with _as(api, buyer) as browser:
        for path in ("/seller/orders", "/seller/deals", "/seller/sales", "/seller/profile"):
            refused = browser.get(path)
            assert refused.status_code == 403, path
            assert "This page is for another kind of account." in refused.text
    seller = seller_with_profile(api)
    with _as(api, seller) as browser:
        browser.get("/seller/profile")  # sets the CSRF cookie
        forged = browser.post("/seller/profile", data={**PROFILE, "csrf_token": "x" * 43})
        assert forged.status_code == 403
        assert (
            api.get("/api/v1/seller/profile", headers=seller.headers).json()["legal_name"]
            != PROFILE["legal_name"]
        )


def test_editing_a_product_keeps_the_units_sold_meanwhile_and_refuses_bad_input(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)  # $30.00, 100 in stock
    with _as(api, seller) as browser:
        form = browser.get(f"/seller/products/{wine['id']}/edit")
        assert form.status_code == 200
        assert 'value="30.00"' in form.text and 'name="stock_was" value="100"' in form.text
        assert 'id="sku" name="sku"' in form.text and "readonly" in form.text
        assert '<p class="price" id="preview-price">CN¥292.96</p>' in form.text  # what buyers pay now
        csrf = _csrf(form)
        fields = {
            "sku": "CHANGED-SKU", "title_en": "Napa Cabernet Reserve", "title_zh": "纳帕赤霞珠珍藏",
            "description_en": "Dark fruit.", "description_zh": "黑色水果。", "category": "wine",
            "hs_code": "2204.21", "price": "32.50", "stock": "90", "weight_grams": "1400",
            "attributes": re.search(r'<textarea id="attributes"[^>]*>([^<]*)</textarea>', form.text).group(1)
            .replace("&#34;", '"'),
            "stock_was": "100", "csrf_token": csrf,
        }  # fmt: skip

        bad = browser.post(f"/seller/products/{wine['id']}/edit", data={**fields, "price": "-1"})
        assert bad.status_code == 422 and 'value="-1"' in bad.text
        assert "Enter a price in US dollars, such as 30.00." in bad.text
        assert api.get(f"/api/v1/products/{wine['id']}").json()["price"]["amount"] == 3000

        _paid_order(api, seller, wine["id"])  # a buyer takes 1 while the form is open: 99 left
        saved = browser.post(f"/seller/products/{wine['id']}/edit", data=fields)
        assert (saved.status_code, saved.headers["location"]) == (303, f"/seller?saved={wine['id']}")
    product = api.get(f"/api/v1/products/{wine['id']}").json()
    assert product["price"] == {"amount": 3250, "currency": "USD"}
    assert product["title"] == {"en": "Napa Cabernet Reserve", "zh": "纳帕赤霞珠珍藏"}
    assert product["sku"] == wine["sku"]  # the SKU does not change
    assert product["attributes"] == wine["attributes"]
    assert stock_of(api, wine["id"]) == 89  # 100 − 1 sold − 10 written off, not 90

    other = seller_with_profile(api)
    with _as(api, other) as browser:
        assert browser.get(f"/seller/products/{wine['id']}/edit").status_code == 404
        page = browser.get("/seller/products/new")
        stolen = browser.post(
            f"/seller/products/{wine['id']}/edit", data={**fields, "csrf_token": _csrf(page)}
        )
        assert stolen.status_code == 404
    assert api.get(f"/api/v1/products/{wine['id']}").json()["price"]["amount"] == 3250


def test_the_live_preview_prices_what_is_typed_and_saves_nothing(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    sku = f"PREVIEW-{uuid.uuid4().hex[:6]}"
    with _as(api, seller) as browser:
        page = browser.get("/seller/products/new")
        assert '<script src="/static/seller_preview.js" defer></script>' in page.text
        typed = {
            "sku": sku, "title_en": "Preview Cabernet", "title_zh": "预览赤霞珠", "category": "wine",
            "hs_code": "2204.21", "price": "30.00", "stock": "5", "weight_grams": "1400",
            "attributes": '{"abv": 14.5, "volume_ml": 750}', "csrf_token": _csrf(page),
        }  # fmt: skip
        shown = browser.post("/seller/products/preview", data=typed)
        assert shown.status_code == 200, shown.text
        assert '<p class="price" id="preview-price">CN¥292.96</p>' in shown.text  # as the API prices it
        assert "<html" not in shown.text  # a fragment for the form's script
        # a wine without its Chinese label is a compliance problem, named in the preview
        assert "label lacks: name, type, abv, volume, origin, importer, bottling_date." in _text(shown.text)
        half = browser.post("/seller/products/preview", data={**typed, "price": "thirty"})
        assert half.status_code == 422
        assert "Price in US dollars: Enter a price in US dollars, such as 30.00." in _text(half.text)
    mine = api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]
    assert mine == []


def test_a_seller_ships_a_paid_order_with_its_tracking_number(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    order = _paid_order(api, seller, wine["id"], quantity=2)
    with _as(api, seller) as browser:
        page = browser.get("/seller/orders")
        row = re.search(rf'<tr data-order="{order["id"]}">(.*?)</tr>', page.text, re.S).group(1)
        assert "Napa Valley Cabernet Sauvignon 2021 × 2" in row and "$60.00" in row
        assert 'data-status="paid"' in row
        bad = browser.post(
            f"/seller/orders/{order['id']}/ship", data={"tracking_number": "SF 12", "csrf_token": _csrf(page)}
        )
        assert bad.status_code == 422
        assert "A tracking number is 4 to 40 letters, digits and dashes." in bad.text
        assert 'value="SF 12"' in bad.text
        assert api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()["status"] == "paid"

        shipped = browser.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF1234567890", "csrf_token": _csrf(page)},
        )
        assert (shipped.status_code, shipped.headers["location"]) == (
            303,
            f"/seller/orders?view=to_ship&shipped={order['id']}",
        )
        after = api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()
        assert (after["status"], after["tracking_number"]) == ("shipped", "SF1234567890")
        assert f'data-order="{order["id"]}"' not in browser.get("/seller/orders").text  # nothing left to ship
        listed = browser.get("/seller/orders?view=shipped").text
        assert "SF1234567890" in listed

        twice = browser.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF999999", "csrf_token": _csrf(page)},
        )
        assert twice.status_code == 409
        assert (
            api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()["tracking_number"]
            == "SF1234567890"
        )
        assert browser.get("/seller/orders?view=everything").status_code == 400

    with _as(api, seller_with_profile(api)) as stranger:
        page = stranger.get("/seller/orders")
        refused = stranger.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF1111", "csrf_token": _csrf(page)},
        )
        assert refused.status_code == 404


def test_the_sales_page_counts_paid_orders_by_beijing_day(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    _paid_order(api, seller, wine["id"], quantity=2)
    _paid_order(api, seller, wine["id"])
    buyer = buyer_with_identity(api)
    place(api, buyer, [(wine["id"], 1)])  # placed, never paid: not a sale
    with _as(api, seller) as browser:
        page = browser.get("/seller/sales")
    assert page.status_code == 200
    assert '<strong id="total-sales">$90.00</strong>' in page.text
    assert '<strong id="total-orders">2</strong>' in page.text
    rows = re.findall(
        r'<tr data-day="(\d{4}-\d\d-\d\d)"><td>[^<]*</td><td>(\d+)</td><td>([^<]*)</td></tr>', page.text
    )
    assert [(orders, goods) for _day, orders, goods in rows] == [("2", "$90.00")]
    assert page.text.count("<rect ") == 30  # one bar a day, the empty days at zero height


def test_a_seller_enrolls_a_product_in_an_open_campaign(api, operator_token):
    campaign = create_campaign(api, operator_token, starts_in=timedelta(days=1), name="双11 enrollment")
    create_campaign(api, operator_token, starts_in=timedelta(days=-3), lasts=timedelta(hours=1), name="Over")
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=20)
    with _as(api, seller) as browser:
        page = browser.get("/seller/deals")
        assert f'<option value="{campaign["id"]}"' in page.text
        assert ">Over (" not in page.text  # an ended campaign takes no deals
        form = {
            "campaign_id": str(campaign["id"]), "product_id": str(wine["id"]), "price": "24.00",
            "quantity": "50", "per_buyer_limit": "2", "csrf_token": _csrf(page),
        }  # fmt: skip
        too_many = browser.post("/seller/deals", data=form)
        assert too_many.status_code == 409 and "Not enough left in stock." in too_many.text
        assert 'value="50"' in too_many.text and 'value="24.00"' in too_many.text
        bad_price = browser.post("/seller/deals", data={**form, "price": "0", "quantity": "5"})
        assert bad_price.status_code == 422
        assert stock_of(api, wine["id"]) == 20

        enrolled = browser.post("/seller/deals", data={**form, "quantity": "5"})
        assert enrolled.status_code == 303
        deal_id = int(enrolled.headers["location"].rsplit("=", 1)[1])
        listed = browser.get("/seller/deals").text
        row = re.search(rf'<tr data-deal="{deal_id}">(.*?)</tr>', listed, re.S).group(1)
        assert "双11 enrollment" in row and "$24.00" in row
        assert re.findall(r"<td>(\d+)</td>", row) == ["5", "0", "5", "2"]  # units, sold, left, per buyer

        twice = browser.post("/seller/deals", data={**form, "quantity": "5"})
        assert twice.status_code == 409 and "This product already has a deal in this campaign." in twice.text
    deal = api.get(f"/api/v1/deals/{deal_id}").json()
    assert (deal["campaign_id"], deal["product_id"], deal["price"]["amount"], deal["quantity"]) == (
        campaign["id"], wine["id"], 2400, 5,
    )  # fmt: skip
    assert stock_of(api, wine["id"]) == 15


def test_buyers_read_the_sellers_story_on_the_product_page_in_their_language(api):
    seller = seller_with_profile(api, state="VT")
    body = {
        "legal_name": "Maple Story LLC",
        "us_state": "VT",
        "employees": 4,
        "shipping_fee": {"amount": 500, "currency": "USD"},
    }
    told = {"en": "Goat milk lotion from our farm.", "zh": "来自我们农场的羊奶乳液。"}
    assert (
        api.put("/api/v1/seller/profile", json={**body, "story": told}, headers=seller.headers).status_code
        == 200
    )
    wine = create_product(api, seller)
    with httpx.Client(base_url=str(api.base_url), timeout=30) as browser:
        chinese = browser.get(f"/products/{wine['id']}")
        assert '<h2 id="story">关于Maple Story LLC</h2>' in chinese.text
        assert "<p>来自我们农场的羊奶乳液。</p>" in chinese.text
        english = browser.get(f"/products/{wine['id']}?lang=en")
        assert '<h2 id="story">About Maple Story LLC</h2>' in english.text
        assert "<p>Goat milk lotion from our farm.</p>" in english.text

        # only an English story: the Chinese page shows it, marked as English for screen readers
        only_en = {**body, "story": {"en": "Goat milk lotion from our farm.", "zh": ""}}
        assert api.put("/api/v1/seller/profile", json=only_en, headers=seller.headers).status_code == 200
        fallback = browser.get(f"/products/{wine['id']}?lang=zh")
        assert '<p lang="en">Goat milk lotion from our farm.</p>' in fallback.text

        cleared = {**body, "story": {"en": "", "zh": ""}}
        none = api.put("/api/v1/seller/profile", json=cleared, headers=seller.headers)
        assert none.status_code == 200
        assert 'id="story"' not in browser.get(f"/products/{wine['id']}").text


def test_a_stock_change_that_orders_overtook_is_refused_in_place_and_the_second_save_sets_it(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=3)
    with _as(api, seller) as browser:
        form = browser.get(f"/seller/products/{wine['id']}/edit")
        assert 'name="stock_was" value="3"' in form.text
        fields = {
            "title_en": wine["title"]["en"], "title_zh": wine["title"]["zh"], "category": "wine",
            "hs_code": "2204.21", "price": "30.00", "weight_grams": "1400",
            "attributes": json.dumps(wine["attributes"]), "csrf_token": _csrf(form),
        }  # fmt: skip
        _paid_order(api, seller, wine["id"], quantity=3)  # while the form is open: none left
        refused = browser.post(
            f"/seller/products/{wine['id']}/edit", data={**fields, "stock": "0", "stock_was": "3"}
        )
        assert refused.status_code == 409
        assert "Orders took some of this stock while you were editing" in refused.text
        assert "0 in stock now." in refused.text
        assert (
            'name="stock_was" value="0"' in refused.text
            and 'id="stock" name="stock" type="number" value="0"' in refused.text
        )
        assert stock_of(api, wine["id"]) == 0  # nothing written: not −3
        restocked = browser.post(
            f"/seller/products/{wine['id']}/edit", data={**fields, "stock": "12", "stock_was": "0"}
        )
        assert restocked.status_code == 303
    assert stock_of(api, wine["id"]) == 12


def test_a_product_with_large_attributes_can_still_be_edited(api):
    seller = seller_with_profile(api)
    notes = {f"note_{i}": "tasting note " * 4 for i in range(100)}  # about 6 KB, under the 8,000 bytes
    wine = create_product(api, seller, attributes={**WINE["attributes"], **notes})
    with _as(api, seller) as browser:
        form = browser.get(f"/seller/products/{wine['id']}/edit")
        shown = re.search(r'<textarea id="attributes"[^>]*>([^<]*)</textarea>', form.text).group(1)
        assert len(shown) > 5_000
        fields = {
            "title_en": wine["title"]["en"], "title_zh": wine["title"]["zh"], "category": "wine",
            "hs_code": "2204.21", "price": "31.00", "stock": "100", "stock_was": "100",
            "weight_grams": "1400",
            "attributes": shown.replace("&#34;", '"'), "csrf_token": _csrf(form),
        }  # fmt: skip
        saved = browser.post(f"/seller/products/{wine['id']}/edit", data=fields)
        assert saved.status_code == 303, saved.text
    product = api.get(f"/api/v1/products/{wine['id']}").json()
    assert product["price"]["amount"] == 3100 and product["attributes"] == wine["attributes"]


def test_shipping_an_order_twice_says_why_even_beside_other_orders(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    first = _paid_order(api, seller, wine["id"])
    waiting = _paid_order(api, seller, wine["id"])
    with _as(api, seller) as browser:
        page = browser.get("/seller/orders")
        ship = {"tracking_number": "SF0000001", "csrf_token": _csrf(page)}
        assert browser.post(f"/seller/orders/{first['id']}/ship", data=ship).status_code == 303
        twice = browser.post(f"/seller/orders/{first['id']}/ship", data=ship)
        assert twice.status_code == 409
        assert f'data-order="{waiting["id"]}"' in twice.text  # the page still lists the other one
        why = "This order is not waiting to ship: it was shipped already, or it is not paid."
        assert f"Order #{first['id']}: {why}" in _text(twice.text)
        missing = browser.post("/seller/orders/999999999/ship", data=ship)
        assert missing.status_code == 404
        assert "Order #999999999: There is no such order among yours." in _text(missing.text)
        assert browser.get("/seller/orders?cursor=not-a-cursor").status_code == 400


def test_deal_enrollment_refuses_another_sellers_product_an_ended_or_unknown_campaign(api, operator_token):
    open_campaign = create_campaign(api, operator_token, starts_in=timedelta(days=2), name="Open for deals")
    ended = create_campaign(
        api, operator_token, starts_in=timedelta(days=-3), lasts=timedelta(hours=1), name="Ended"
    )
    seller = seller_with_profile(api)
    mine = create_product(api, seller, stock=20)
    theirs = create_product(api, seller_with_profile(api), stock=20)
    with _as(api, seller) as browser:
        page = browser.get("/seller/deals")
        form = {
            "campaign_id": str(open_campaign["id"]), "product_id": str(mine["id"]), "price": "20.00",
            "quantity": "5", "per_buyer_limit": "1", "csrf_token": _csrf(page),
        }  # fmt: skip
        stolen = browser.post("/seller/deals", data={**form, "product_id": str(theirs["id"])})
        assert stolen.status_code == 403 and "Choose one of your products." in stolen.text
        late = browser.post("/seller/deals", data={**form, "campaign_id": str(ended["id"])})
        assert late.status_code == 409 and "This campaign has ended." in late.text
        unknown = browser.post("/seller/deals", data={**form, "campaign_id": "999999999"})
        assert unknown.status_code == 404 and "Choose a campaign that is open for deals." in unknown.text
        blank = browser.post("/seller/deals", data={**form, "campaign_id": "", "quantity": "many"})
        assert blank.status_code == 422
        assert 'value="many"' in blank.text and 'aria-describedby="quantity-error"' in blank.text
        assert "No deals yet." in blank.text
    assert (stock_of(api, mine["id"]), stock_of(api, theirs["id"])) == (20, 20)


def test_sales_fall_on_the_beijing_day_the_order_was_placed(api, database_url):
    """Four orders moved to the edges of Beijing days: 00:30 today and 23:30 yesterday (both
    the same UTC day, 16:30 and 15:30), the first second of the 30-day window, and the last
    second before it, which is left out."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    orders = [_paid_order(api, seller, wine["id"], quantity=q) for q in (1, 2, 3, 4)]
    today = beijing_date(utcnow())
    first_day = today - timedelta(days=29)
    moments = [
        datetime.combine(today, time(0, 30), tzinfo=BEIJING),
        datetime.combine(today - timedelta(days=1), time(23, 30), tzinfo=BEIJING),
        datetime.combine(first_day, time(0, 0), tzinfo=BEIJING),
        datetime.combine(first_day, time(0, 0), tzinfo=BEIJING) - timedelta(seconds=1),
    ]

    async def move(session):
        for order, moment in zip(orders, moments, strict=True):
            await session.execute(update(Order).where(Order.id == order["id"]).values(created_at=moment))

    in_db(database_url, move)
    with _as(api, seller) as browser:
        page = browser.get("/seller/sales").text
    rows = re.findall(
        r'<tr data-day="(\d{4}-\d\d-\d\d)"><td>[^<]*</td><td>(\d+)</td><td>([^<]*)</td></tr>', page
    )
    assert rows == [
        (today.isoformat(), "1", "$30.00"),
        ((today - timedelta(days=1)).isoformat(), "1", "$60.00"),
        (first_day.isoformat(), "1", "$90.00"),
    ]
    assert '<strong id="total-sales">$180.00</strong>' in page  # the fourth, $120.00, is outside


def test_a_refusal_other_than_stock_keeps_the_count_the_form_began_with(api):
    """Too many attributes are refused beside the field; the stock count stays the one the form
    showed, so units sold meanwhile are not put back on sale by the next save."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    with _as(api, seller) as browser:
        form = browser.get(f"/seller/products/{wine['id']}/edit")
        fields = {
            "title_en": wine["title"]["en"], "title_zh": wine["title"]["zh"], "category": "wine",
            "hs_code": "2204.21", "price": "30.00", "stock": "10", "stock_was": "10", "weight_grams": "1400",
            "csrf_token": _csrf(form),
        }  # fmt: skip
        _paid_order(api, seller, wine["id"], quantity=3)  # 7 left
        too_big = {**wine["attributes"], "notes": "x" * 9_000}
        refused = browser.post(
            f"/seller/products/{wine['id']}/edit", data={**fields, "attributes": json.dumps(too_big)}
        )
        assert refused.status_code == 422
        assert 'id="attributes-error"' in refused.text and 'name="stock_was" value="10"' in refused.text
        saved = browser.post(
            f"/seller/products/{wine['id']}/edit",
            data={**fields, "attributes": json.dumps(wine["attributes"])},
        )
        assert saved.status_code == 303
    assert stock_of(api, wine["id"]) == 7  # 10 − 3 sold, the form's unchanged 10 adding nothing


def test_shipping_twice_from_the_list_of_all_orders_says_why(api):
    seller = seller_with_profile(api)
    order = _paid_order(api, seller, create_product(api, seller)["id"])
    with _as(api, seller) as browser:
        page = browser.get("/seller/orders?view=all")
        ship = {"tracking_number": "SF0000002", "view": "all", "csrf_token": _csrf(page)}
        assert browser.post(f"/seller/orders/{order['id']}/ship", data=ship).status_code == 303
        twice = browser.post(f"/seller/orders/{order['id']}/ship", data=ship)
    assert twice.status_code == 409
    assert f'data-order="{order["id"]}"' in twice.text  # listed, as shipped, without a form
    assert f"Order #{order['id']}: This order is not waiting to ship" in _text(twice.text)
