"""What a seller does in the portal (kuajing/web/seller_portal.py), in a real browser (chromium),
click by click, against the live server (the `browser` and `page` fixtures of
tests/web/conftest.py)."""

import re
import uuid

from playwright.sync_api import expect

from tests.auth.factories import seller_with_profile


def test_a_seller_lists_a_product_that_buyers_then_find_at_its_yuan_price(live_api, browser, server, page):
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    tag = uuid.uuid4().hex[:6]
    page.context.add_cookies([{"name": "kj_session", "value": seller.token, "url": server.url}])
    page.goto("/seller/products/new")
    assert page.locator("html").get_attribute("lang") == "en"  # the portal is English first
    page.get_by_label("SKU").fill(f"CAB-{tag}")
    page.get_by_label("Title in English").fill(f"Ridge Napa Valley Cabernet Sauvignon {tag}")
    page.get_by_label("Title in Chinese").fill(f"山脊赤霞珠葡萄酒 {tag}")
    page.get_by_label("Category").select_option("wine")
    page.get_by_label("HS code").fill("2204.21")
    page.get_by_label("Price in US dollars").fill("45.00")
    page.get_by_label("Stock").fill("40")
    page.get_by_label("Shipping weight in grams").fill("1400")
    # choosing wine shows the wine's own fields: no JSON to write
    expect(page.get_by_label("Alcohol by volume, in percent")).to_be_visible()
    page.get_by_label("Alcohol by volume, in percent").fill("14.5")
    page.get_by_label("Bottle volume in ml").fill("750")

    # as the seller types, the preview follows without a page load
    live = page.locator("#preview-price")
    expect(live).to_have_text(re.compile(r"^CN¥\d"))
    at_45 = live.inner_text()
    page.get_by_label("Price in US dollars").fill("30.00")
    expect(live).to_have_text("CN¥292.96")
    assert at_45 != "CN¥292.96"

    # the button does the same without scripts: the price as buyers will see it, and what is
    # missing before listing
    page.get_by_role("button", name="Preview the yuan price").click()
    assert page.locator(".preview .price").inner_text() == "CN¥292.96"
    assert "Chinese electronic label" in page.locator(".preview .problems").inner_text()

    # the glossary drafts the label's Chinese items, marked until saved; the seller adds the rest
    page.get_by_role("button", name="Suggest Chinese from the English title").click()
    expect(page.get_by_label("Chinese name on the label (中文名称)")).to_have_value(
        "Ridge 纳帕谷赤霞珠干红葡萄酒"
    )
    expect(page.get_by_label("Wine type (类型)")).to_have_value("干红葡萄酒")
    expect(page.get_by_label("Alcohol content as printed (酒精度)")).to_have_value("14.5%vol")
    expect(page.get_by_label("Net volume as printed (净含量)")).to_have_value("750毫升")
    expect(page.get_by_label("Country and region of origin (原产地)")).to_have_value("美国加利福尼亚州纳帕谷")
    assert page.locator("input.suggested").count() == 5
    expect(page.get_by_label("Title in Chinese")).to_have_value(f"山脊赤霞珠葡萄酒 {tag}")  # typed: kept
    page.get_by_label("Importer (进口商)").fill("上海跨境测试进出口有限公司")
    page.get_by_label("Bottling date (灌装日期)").fill("2023-04-18")

    page.get_by_role("button", name="List the product").click()
    page.wait_for_url(re.compile(r"/seller\?created=\d+$"))
    assert "Listed. Buyers in China can find it now." in page.locator("main").inner_text()
    assert f"Ridge Napa Valley Cabernet Sauvignon {tag}" in page.locator("table.lines").inner_text()

    # a buyer in another browser finds it in Chinese, at the yuan price the seller previewed
    shopper = browser.new_context(base_url=server.url, locale="zh-CN")
    try:
        search = shopper.new_page()
        search.goto("/")
        search.get_by_label("搜索商品").fill(f"赤霞珠 {tag}")
        search.get_by_label("搜索商品").press("Enter")
        card = search.locator("article.card", has_text=f"山脊赤霞珠葡萄酒 {tag}")
        assert card.locator(".price").inner_text() == "¥292.96"
    finally:
        shopper.close()
