"""What every page shares (kuajing/web/pages.py): an address that is not a page answers an HTML
page in the page's language while the API stays problem+json, every asset is served by the app,
and hostile form and cookie values get a page and a reason, never a 500."""

import re
import uuid

from tests.auth.factories import register, seller_with_profile
from tests.web.factories import another_browser, csrf_of, listed_wine, signed_in


def test_pages_that_are_not_there_are_html_in_the_pages_language_and_the_api_stays_json(api):
    for path, status in (("/products/2000000000", 404), ("/products/abc", 404), ("/no-such-page", 404)):
        page = api.get(path)
        assert page.status_code == status, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<h1>页面不存在</h1>" in page.text, path
    with another_browser(api) as browser:
        assert "<h1>Page not found</h1>" in browser.get("/no-such-page?lang=en").text

    long_query = api.get("/search", params={"q": "x" * 101})
    assert (long_query.status_code, long_query.headers["content-type"][:9]) == (400, "text/html")

    api_miss = api.get("/api/v1/no-such-thing")
    assert api_miss.status_code == 404
    assert api_miss.headers["content-type"] == "application/problem+json"
    assert api_miss.json()["code"] == "not_found"


def test_every_asset_is_served_by_the_app(api):
    css = api.get("/static/kuajing.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    wine, _tag = listed_wine(api)
    for path in ("/", "/search?q=wine", f"/products/{wine['id']}"):
        html = api.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path  # nothing from another host


def test_hostile_form_and_cookie_values_get_pages_not_500s(api):
    seller = seller_with_profile(api)
    tag = uuid.uuid4().hex[:6]
    form = {
        "sku": f"X-{tag}", "title_en": "Sugar", "title_zh": "糖", "category": "other", "hs_code": "1701.99",
        "price": "5.00", "stock": "5", "weight_grams": "500", "attributes": "",
    }  # fmt: skip
    with signed_in(api, seller) as browser:
        csrf = csrf_of(browser.get("/seller/products/new"))
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
    with another_browser(api) as browser:
        csrf = csrf_of(browser.get("/register"))
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
    with another_browser(api) as fresh:
        cart = fresh.get("/cart", headers={"Cookie": "kj_cart=%C2%B2-1.\xb2-1".encode("latin-1")})
    assert cart.status_code == 200 and "购物车是空的" in cart.text


def test_every_error_page_and_the_live_screen_say_who_is_signed_in_in_either_language(api):
    buyer = register(api, "buyer", name="李娜")
    with signed_in(api, buyer) as browser:
        for path, status in (
            ("/no-such-page", 404), ("/products/2000000000", 404), ("/sellers/2000000000", 404),
            ("/orders/2000000000", 404), ("/singles-day/live", 200), ("/search?cursor=bad", 400),
        ):  # fmt: skip
            page = browser.get(path)
            assert page.status_code == status, path
            assert '<span class="who">你好，李娜</span>' in page.text, path
            assert ">退出</button>" in page.text and 'href="/login"' not in page.text, path
        english = browser.get("/no-such-page?lang=en")
        assert "<h1>Page not found</h1>" in english.text
        assert '<span class="who">Hello, 李娜</span>' in english.text
    with another_browser(api) as stranger:  # signed out: the way in, and no name
        page = stranger.get("/no-such-page")
        assert 'href="/login"' in page.text and 'class="who"' not in page.text
