"""The storefront in a real browser (chromium): on a phone at 390 px wide no page scrolls
sideways, and the search box has a row of its own, most of the screen wide (beside its label it
was squeezed to half); a buyer's whole way from a search to an order, click by click."""

import re
import uuid

from playwright.sync_api import expect

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, create_sweater, variant_ids
from tests.media.factories import photo
from tests.web.buyer_steps import place_at_checkout

WIDER_THAN_THE_SCREEN = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_the_storefront_fits_a_390_px_phone(live_api, browser, server):
    seller = seller_with_profile(live_api)
    tag = uuid.uuid4().hex[:6]
    wine = create_product(
        live_api, seller, title={"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"}
    )
    sweater = create_sweater(live_api, seller)
    phone = browser.new_context(base_url=server.url, locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = phone.new_page()
        for path in ("/", f"/search?q=葡萄酒 {tag}", f"/products/{wine['id']}", f"/products/{sweater['id']}",
                     f"/sellers/{seller.id}", "/cart", "/singles-day", "/login"):  # fmt: skip
            page.goto(path)
            assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 0, path
            box = page.get_by_label("搜索商品").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, path
            assert box["width"] >= 0.7 * 390, (path, box)
    finally:
        phone.close()


def test_a_buyer_finds_wines_by_pinyin_and_synonym_filters_by_state_shops_and_buys_a_size(
    live_api, browser, server
):
    # two wineries, in California and Oregon; the Californian also sells a sweater in S, M, L
    tag = "zq" + uuid.uuid4().hex[:6]
    california = seller_with_profile(live_api, state="CA", shipping_fee_cents=0)
    oregon = seller_with_profile(live_api, state="OR", shipping_fee_cents=0)
    create_product(
        live_api, california, title={"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"}
    )
    create_product(
        live_api, oregon, title={"en": f"Willamette Pinot Noir {tag}", "zh": f"威拉米特黑皮诺葡萄酒 {tag}"}
    )
    sweater = create_sweater(
        live_api, california, title={"en": f"Cable Sweater {tag}", "zh": f"麻花毛衣 {tag}"}
    )
    uploaded = live_api.post(
        f"/api/v1/products/{sweater['id']}/images",
        files={"file": ("sweater.jpg", photo(800, 800), "image/jpeg")},
        headers=california.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    buyer = buyer_with_identity(live_api)
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "kj_session", "value": buyer.token, "url": server.url}])
    page = context.new_page()
    cards = page.locator("section.found .card h3")
    try:
        # pinyin and a synonym (红酒 for 葡萄酒) both find the two wines
        page.goto("/")
        for typed in (f"putaojiu {tag}", f"红酒 {tag}"):
            page.get_by_label("搜索商品").fill(typed)
            page.get_by_label("搜索商品").press("Enter")
            expect(cards).to_have_count(2)
            expect(cards).to_contain_text([f"纳帕赤霞珠葡萄酒 {tag}", f"威拉米特黑皮诺葡萄酒 {tag}"])
        expect(page.locator("p.total")).to_have_text("找到 2 件商品")

        # the state filter, with its count, leaves the Oregon wine alone, and untick brings both back
        state = page.locator(".facets").get_by_role("link", name="俄勒冈州", exact=True)
        expect(state.locator("xpath=following-sibling::span[1]")).to_have_text("1")
        state.click()
        expect(cards).to_have_text([f"威拉米特黑皮诺葡萄酒 {tag}"])
        expect(page.locator(".facets a.chosen")).to_have_text("俄勒冈州")
        page.locator(".facets a.chosen").click()
        expect(cards).to_have_count(2)
        page.locator(".facets").get_by_role("link", name="加利福尼亚州", exact=True).click()
        expect(cards).to_have_text([f"纳帕赤霞珠葡萄酒 {tag}"])

        # the card names its seller: their shop lists the wine and the sweater
        page.locator("section.found .card .seller-line a").click()
        page.wait_for_url(re.compile(rf"/sellers/{california.id}$"))
        expect(page.locator(".cards .card h3")).to_have_text([f"纳帕赤霞珠葡萄酒 {tag}", f"麻花毛衣 {tag}"])
        page.get_by_role("link", name=f"麻花毛衣 {tag}").click()

        # size M, one in the cart, one more with the stepper, then bought
        page.get_by_role("link", name="M", exact=True).click()
        expect(page.locator(".chip.chosen")).to_have_text("M")
        page.get_by_role("button", name="加入购物车").click()
        page.get_by_role("button", name="增加一件").click()
        expect(page.locator("td.stepper .quantity")).to_have_text("2")
        page.get_by_role("link", name="结算此订单").click()
        place_at_checkout(page)
        page.wait_for_url(re.compile(r"/orders/\d+$"))

        # the order shows its line, with the sweater's photo, its seller and the address
        expect(page.locator(".order-lines tbody tr")).to_have_text(
            [re.compile(rf"麻花毛衣 {tag}（M）\s*× 2")]
        )
        thumb = page.locator(".order-lines img.thumb")
        expect(thumb).to_have_count(1)
        assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0
        expect(page.locator("main")).to_contain_text("世纪大道 100 号")
    finally:
        context.close()
    order_id = int(page.url.rsplit("/", 1)[1])
    order = live_api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()
    assert [(line["variant_id"], line["quantity"]) for line in order["lines"]] == [
        (variant_ids(sweater)["M"], 2)
    ]
