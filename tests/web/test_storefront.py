"""The storefront's pages (kuajing/web/storefront.py) over HTTP: Chinese by default and English
on request, search in both, the product page's yuan breakdown to the fen (or none, for goods off
the positive list), the seller's story in the buyer's language, and the featured sellers of every
state."""

import re
import uuid
from datetime import datetime, timedelta

from sqlalchemy import update

from kuajing.flash_sale.board import BoardSnapshots
from kuajing.kit.time import BEIJING, utcnow
from kuajing.models import Campaign
from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product, create_sweater
from tests.flash_sale.factories import create_campaign, create_deal
from tests.helpers import visitor
from tests.web.factories import another_browser, listed_wine, page_text

ONE_WINE = {
    "goods": "¥213.00",
    "consumption_tax": "¥19.33",
    "vat": "¥25.13",
    "freight": "¥35.50",
    "total": "¥292.96",
}


def test_home_is_in_chinese_by_default_and_in_english_on_request(api):
    orchard = seller_with_profile(api, state="WA")
    for _ in range(9):  # more than the home page shows
        create_product(api, orchard)

    chinese = api.get("/")
    assert chinese.status_code == 200
    assert chinese.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in chinese.text
    assert "葡萄酒" in chinese.text and "服装" in chinese.text and "水果" in chinese.text
    assert '<a href="/search?category=wine">葡萄酒</a>' in chinese.text
    assert "<dt>华盛顿州</dt>" in chinese.text  # sellers by state, the state named in Chinese
    # the catalog's first products as cards, eight of them, each linking to its page
    assert '<h2 id="products">精选商品</h2>' in chinese.text
    assert len(re.findall(r'<h3><a href="/products/\d+">', chinese.text)) == 8

    with another_browser(api) as browser:
        english = browser.get("/?lang=en")
        assert '<html lang="en">' in english.text
        assert '<a href="/search?category=wine">Wine</a>' in english.text
        # the choice sticks: the next page without ?lang is English too, until changed back
        assert english.cookies.get("lang") == "en"
        assert '<html lang="en">' in browser.get("/search").text
        assert '<html lang="zh-CN">' in browser.get("/search?lang=zh").text
        assert '<html lang="zh-CN">' in browser.get("/search").text


def test_search_finds_a_wine_in_chinese_and_in_english_at_its_yuan_price(api):
    wine, tag = listed_wine(api)
    assert wine["landed"] == {"amount": 29296, "currency": "CNY"}  # the API's own figure

    chinese = api.get("/search", params={"q": f"葡萄酒 {tag}"})
    with another_browser(api) as browser:
        english = browser.get("/search", params={"q": f"cabernet {tag}", "lang": "en"})

    for page, title in ((chinese, f"纳帕赤霞珠葡萄酒 {tag}"), (english, f"Napa Cabernet {tag}")):
        assert page.status_code == 200
        assert f'<a href="/products/{wine["id"]}">{title}</a>' in page.text
        assert '<p class="price">¥292.96</p>' in page.text or '<p class="price">CN¥292.96</p>' in page.text
    assert "含进口税 ¥44.46、运费 ¥35.50" in chinese.text
    assert "没有找到" in api.get("/search", params={"q": "榴莲"}).text  # durian: no word the catalog uses


def test_the_product_page_shows_the_yuan_breakdown_to_the_fen_and_the_risk_notice(api):
    wine, _tag = listed_wine(api)
    quote = api.post("/api/v1/quotes", json={"lines": [{"product_id": wine["id"], "quantity": 1}]}).json()
    assert quote["total"] == {"amount": 29296, "currency": "CNY"}

    page = api.get(f"/products/{wine['id']}")

    assert page.status_code == 200
    text = page_text(page.text)
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

    with another_browser(api) as browser:
        english = page_text(browser.get(f"/products/{wine['id']}?lang=en").text)
    assert "Total CN¥292.96" in english
    assert "Cross-border shopping risk notice" in english
    assert "Sold and shipped by Test Winery LLC , California, USA" in english  # the name is a link


def test_goods_off_the_positive_list_show_no_yuan_price_on_their_page(api):
    seller = seller_with_profile(api)
    firearm_part = create_product(api, seller, hs_code="9305.10", category="other")

    page = api.get(f"/products/{firearm_part['id']}")

    assert page.status_code == 200
    assert "该商品暂时无法以人民币定价。" in page.text
    assert 'class="total"' not in page.text and 'action="/cart"' not in page.text


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
    with visitor(api) as browser:
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
    names = re.findall(r'<a class="seller" href="/sellers/\d+">([^<]+)</a>', shown.group(1))
    assert names == [f"Zz Ranch {tag}"] + [f"{letter} Ranch {tag}" for letter in "ABCDEFG"]


def test_a_sellers_shop_shows_who_they_are_and_what_they_list_reached_from_their_products(api):
    # given a Vermont seller with a story, a wine and a sweater in sizes (no shipping fee)
    seller = seller_with_profile(api, state="VT", shipping_fee_cents=0)
    profile = {
        "legal_name": "Maple <Story> LLC",
        "us_state": "VT",
        "employees": 4,
        "shipping_fee": {"amount": 0, "currency": "USD"},
        "story": {"en": "Knitting since 1952.", "zh": "自1952年起编织。"},
    }
    assert api.put("/api/v1/seller/profile", json=profile, headers=seller.headers).status_code == 200
    wine = create_product(api, seller)
    sweater = create_sweater(api, seller)
    with visitor(api) as browser:
        # the product page names the seller as a link to the shop (the name escaped)
        product = browser.get(f"/products/{wine['id']}")
        assert f'<a href="/sellers/{seller.id}">Maple &lt;Story&gt; LLC</a>' in product.text
        shop = browser.get(f"/sellers/{seller.id}")
        assert shop.status_code == 200
        text = page_text(shop.text)
        assert "Maple &lt;Story&gt; LLC" in text and "佛蒙特州" in text and "自1952年起编织。" in text
        assert re.findall(r'<h3><a href="/products/(\d+)">', shop.text) == [
            str(wine["id"]),
            str(sweater["id"]),
        ]
        # the sweater's card says its lowest size's price, and that sizes cost more
        assert "¥852.07 起" in text  # S: $110.00 = ¥781.00 + VAT ¥71.07
        assert page_text(browser.get(f"/sellers/{seller.id}?lang=en").text).count("Knitting since 1952.") == 1
        missing = browser.get("/sellers/999999999")
        assert missing.status_code == 404 and "There is no shop at this address." in page_text(missing.text)


def test_the_favicon_is_served_and_linked_and_console_leads_to_the_sign_in(api):
    icon = api.get("/favicon.ico")
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/x-icon")
    assert icon.headers["cache-control"] == "public, max-age=604800"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert '<link rel="icon" href="/favicon.ico"' in api.get("/").text
    console = api.get("/console")
    assert (console.status_code, console.headers["location"]) == (303, "/console/orders")
    assert api.get("/console/orders").headers["location"].startswith("/login")


def test_the_home_page_features_the_singles_day_deals_on_now_with_what_is_left(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, title={"en": "Deal Cabernet", "zh": "特惠赤霞珠"})
    campaign = create_campaign(api, operator_token, starts_in=timedelta(seconds=-1), name="双11 主会场")
    deal = create_deal(api, seller, campaign["id"], wine["id"], price_cents=2000, quantity=10)

    page = api.get("/").text

    featured = re.search(r'<section class="featured-deals"(.*?)</section>', page, re.S)
    assert featured is not None
    assert "双11 特惠，正在进行" in featured.group(1)
    assert f'<a href="/singles-day#deal-{deal["id"]}">特惠赤霞珠</a>' in featured.group(1)
    # one bottle as bought: $20.00 = ¥142.00, $5.00 shipping, ¥31.76 tax; ¥292.96 at its $30.00
    assert (
        '<p class="price deal-price"><span class="visually-hidden">特价</span>¥209.26 '
        '<s class="was"><span class="visually-hidden">原价</span>¥292.96</s></p>'
    ) in featured.group(1)
    assert "含进口税 ¥31.76、运费 ¥35.50" in featured.group(1)
    assert "剩余 10 / 10 件" in featured.group(1)


def test_a_sale_yet_to_start_is_featured_with_its_beijing_start_and_none_without_deals(
    app, api, operator_token
):
    async def end_every_sale(session):  # other tests' committed sales, ended in this test alone
        now = utcnow()
        await session.execute(
            update(Campaign).values(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
        )

    app.run(end_every_sale)
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    create_campaign(api, operator_token, starts_in=timedelta(hours=1), name="还没有特惠")
    assert 'class="featured-deals"' not in api.get("/").text  # a sale with no deals is not featured

    later = create_campaign(api, operator_token, starts_in=timedelta(minutes=30), name="双11 预热")
    create_deal(api, seller, later["id"], wine["id"])
    starts = datetime.fromisoformat(later["starts_at"]).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    api.app.state.runtime.get(BoardSnapshots).featured.clear()  # what the page read a moment ago
    page = api.get("/").text
    assert f"双11 特惠，北京时间 {starts} 开抢" in page


def test_a_card_drawn_once_shows_a_new_price_and_title_as_soon_as_they_change(api):
    seller = seller_with_profile(api)
    tag = uuid.uuid4().hex[:6]
    wine = create_product(api, seller, title={"en": f"Card Cabernet {tag}", "zh": f"卡片赤霞珠 {tag}"})
    first = api.get(f"/sellers/{seller.id}").text
    assert f"卡片赤霞珠 {tag}</a>" in first and '<p class="price">¥292.96</p>' in first

    changed = api.patch(
        f"/api/v1/products/{wine['id']}",
        json={
            "price": {"amount": 4000, "currency": "USD"},
            "title": {"en": f"Card Merlot {tag}", "zh": f"卡片梅洛 {tag}"},
        },
        headers=seller.headers,
    )
    assert changed.status_code == 200, changed.text
    landed = changed.json()["landed"]["amount"]
    assert landed == 37666  # $40.00 + $5.00 shipping at 7.1000, tax included (the API's figure)

    again = api.get(f"/sellers/{seller.id}").text
    assert f"卡片梅洛 {tag}</a>" in again and f"卡片赤霞珠 {tag}" not in again
    assert '<p class="price">¥376.66</p>' in again and "¥292.96" not in again
