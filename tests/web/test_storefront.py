"""The storefront's pages over HTTP: Chinese by default and English on request, search in both,
the product page's yuan breakdown to the fen, and HTML (not JSON) for a page that is not there."""

import re
import uuid

import httpx

from kuajing.seller.states import US_STATES
from kuajing.web.us_states import NAMES, state_name
from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product

# DESIGN's wine, one bottle: $30.00 and $5.00 shipping at 7.1000 is ¥213.00 + ¥35.50. Wine's
# consumption tax is 10% of (248.50 / 0.9) = 27.61, VAT 13% of (248.50 + 27.61) = 35.89, each
# at 70% inside the CBEC limits: ¥19.33 and ¥25.13, so ¥44.46 of tax and ¥292.96 in all.
ONE_WINE = {
    "goods": "¥213.00",
    "consumption_tax": "¥19.33",
    "vat": "¥25.13",
    "freight": "¥35.50",
    "total": "¥292.96",
}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _browser(api):
    """A client with its own cookie jar: a language chosen here does not follow other tests."""
    return httpx.Client(base_url=str(api.base_url), timeout=30)


def _wine(api, **overrides):
    seller = seller_with_profile(api, shipping_fee_cents=500, state="CA")
    tag = uuid.uuid4().hex[:6]
    title = {"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"}
    return create_product(api, seller, title=title, **overrides), tag


def test_home_is_in_chinese_by_default_and_in_english_on_request(api):
    create_product(api, seller_with_profile(api, state="WA"))

    chinese = api.get("/")
    assert chinese.status_code == 200
    assert chinese.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in chinese.text
    assert "葡萄酒" in chinese.text and "服装" in chinese.text and "水果" in chinese.text
    assert '<a href="/search?category=wine">葡萄酒</a>' in chinese.text
    assert "<dt>华盛顿州</dt>" in chinese.text  # sellers by state, the state named in Chinese

    with _browser(api) as browser:
        english = browser.get("/?lang=en")
        assert '<html lang="en">' in english.text
        assert '<a href="/search?category=wine">Wine</a>' in english.text
        # the choice sticks: the next page without ?lang is English too, until changed back
        assert english.cookies.get("lang") == "en"
        assert '<html lang="en">' in browser.get("/search").text
        assert '<html lang="zh-CN">' in browser.get("/search?lang=zh").text
        assert '<html lang="zh-CN">' in browser.get("/search").text


def test_search_finds_a_wine_in_chinese_and_in_english_at_its_yuan_price(api):
    wine, tag = _wine(api)
    assert wine["landed"] == {"amount": 29296, "currency": "CNY"}  # the API's own figure

    chinese = api.get("/search", params={"q": f"葡萄酒 {tag}"})
    with _browser(api) as browser:
        english = browser.get("/search", params={"q": f"cabernet {tag}", "lang": "en"})

    for page, title in ((chinese, f"纳帕赤霞珠葡萄酒 {tag}"), (english, f"Napa Cabernet {tag}")):
        assert page.status_code == 200
        assert f'<a href="/products/{wine["id"]}">{title}</a>' in page.text
        assert '<p class="price">¥292.96</p>' in page.text or '<p class="price">CN¥292.96</p>' in page.text
    assert "含进口税 ¥44.46、运费 ¥35.50" in chinese.text
    assert "没有找到" in api.get("/search", params={"q": f"nothing-{tag}"}).text


def test_the_product_page_shows_the_yuan_breakdown_to_the_fen_and_the_risk_notice(api):
    wine, _tag = _wine(api)
    quote = api.post("/api/v1/quotes", json={"lines": [{"product_id": wine["id"], "quantity": 1}]}).json()
    assert quote["total"] == {"amount": 29296, "currency": "CNY"}

    page = api.get(f"/products/{wine['id']}")

    assert page.status_code == 200
    text = _text(page.text)
    assert f"商品 {ONE_WINE['goods']}" in text
    assert f"消费税 {ONE_WINE['consumption_tax']}" in text
    assert f"进口增值税 {ONE_WINE['vat']}" in text
    assert f"运费 {ONE_WINE['freight']}" in text
    assert f"合计 {ONE_WINE['total']}" in text
    assert "关税" not in text  # no customs duty inside the CBEC limits
    assert "已含进口税 ¥44.46。美元价格：US$30.00。" in text
    assert "由美国加利福尼亚州的 Test Winery LLC 销售并发货" in text
    assert "品名 纳帕谷赤霞珠干红葡萄酒" in text  # the Chinese electronic label
    assert "跨境电商消费风险告知" in text

    with _browser(api) as browser:
        english = _text(browser.get(f"/products/{wine['id']}?lang=en").text)
    assert "Total CN¥292.96" in english
    assert "Cross-border shopping risk notice" in english
    assert "Sold and shipped by Test Winery LLC, California, USA" in english


def test_pages_that_are_not_there_are_html_in_the_pages_language_and_the_api_stays_json(api):
    for path, status in (("/products/2000000000", 404), ("/products/abc", 404), ("/no-such-page", 404)):
        page = api.get(path)
        assert page.status_code == status, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<h1>页面不存在</h1>" in page.text, path
    with _browser(api) as browser:
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
    wine, _tag = _wine(api)
    for path in ("/", "/search?q=wine", f"/products/{wine['id']}"):
        html = api.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path  # nothing from another host


def test_every_state_a_seller_may_name_has_a_name_in_both_languages():
    assert set(NAMES) == set(US_STATES)
    assert (state_name("WA", "zh_CN"), state_name("WA", "en")) == ("华盛顿州", "Washington")


def test_the_home_page_features_the_sellers_of_every_state_those_listing_most_first(api):
    """However many sellers other states have, each state shows its own, at most eight: the ones
    that list the most products. A seller with nothing listed is not featured."""
    tag = uuid.uuid4().hex[:4]

    def wyoming_seller(name: str, products: int):
        seller = seller_with_profile(api, state="WY")
        body = {
            "legal_name": name,
            "us_state": "WY",
            "employees": 2,
            "shipping_fee": {"amount": 500, "currency": "USD"},
        }
        assert api.put("/api/v1/seller/profile", json=body, headers=seller.headers).status_code == 200
        for _ in range(products):
            create_product(api, seller)

    wyoming_seller(f"Zz Ranch {tag}", 3)  # last by name, first by products
    for letter in "ABCDEFGH":
        wyoming_seller(f"{letter} Ranch {tag}", 1)
    wyoming_seller(f"Aa Empty {tag}", 0)
    for _ in range(3):  # more sellers elsewhere do not push Wyoming off the page
        create_product(api, seller_with_profile(api, state="CA"))

    page = api.get("/?lang=zh").text
    shown = re.search(r"<dt>怀俄明州</dt>\s*<dd>(.*?)</dd>", page, re.S)
    assert shown, "Wyoming is not on the home page"
    names = re.findall(r'<span class="seller">([^<]+)</span>', shown.group(1))
    assert names == [f"Zz Ranch {tag}"] + [f"{letter} Ranch {tag}" for letter in "ABCDEFG"]
