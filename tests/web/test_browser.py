"""The pages in a real browser (chromium): what a buyer does, click by click."""

import re
import uuid

from playwright.sync_api import expect

from tests.auth.factories import buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import create_product
from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.flash_sale.factories import create_campaign, create_deal


def test_a_buyer_searches_for_wine_checks_out_with_identity_pays_and_sees_the_order_paid(api, page):
    # given a $30.00 wine with $5.00 shipping at FX 7.1000: ¥292.96 a bottle, tax included
    seller = seller_with_profile(api, shipping_fee_cents=500)
    tag = uuid.uuid4().hex[:6]
    create_product(api, seller, title={"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"})

    # a new buyer registers
    page.goto("/register")
    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("邮箱").fill(f"browser-{tag}@kuajing.test")
    page.get_by_label("密码").fill("a long browser password")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(re.compile(r"/$"))

    # searches 葡萄酒, opens the wine and adds it to the cart
    page.get_by_label("搜索商品").fill(f"葡萄酒 {tag}")
    page.get_by_label("搜索商品").press("Enter")
    page.get_by_role("link", name=f"纳帕赤霞珠葡萄酒 {tag}").click()
    assert page.locator("td.total").inner_text() == "¥292.96"
    page.get_by_role("button", name="加入购物车").click()
    page.get_by_role("link", name="结算此订单").click()

    # the ID number is checked as it is typed: a wrong check digit is flagged before sending
    id_number = new_id_number()
    wrong = id_number[:17] + ("0" if id_number[17] != "0" else "1")
    id_box = page.get_by_label("居民身份证号码")
    id_box.fill(wrong)
    expect(id_box).to_have_attribute("aria-invalid", "true")
    assert id_box.evaluate("input => input.validity.valid") is False
    expect(page.locator("#identity_id_number-live")).to_contain_text("不是有效的")
    id_box.fill(id_number)
    expect(id_box).to_have_attribute("aria-invalid", "false")
    assert id_box.evaluate("input => input.validity.valid") is True

    page.get_by_label("真实姓名").fill("李娜")
    page.get_by_label("收货人").fill("李娜")
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_label("省份").fill("上海市")
    page.get_by_label("城市").fill("上海市")
    page.get_by_label("区县").fill("浦东新区")
    page.get_by_label("详细地址").fill("世纪大道 100 号")
    page.get_by_label("我已阅读并同意以上风险告知。").check()
    page.get_by_role("button", name="提交订单").click()

    # pays in the sandbox and sees the order paid, at the right yuan total
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert page.locator("[data-status]").get_attribute("data-status") == "pending_payment"
    page.get_by_role("button", name=re.compile("支付 ¥292.96")).click()
    page.wait_for_selector('[data-status="paid"]')
    assert page.locator("[data-status]").inner_text() == "已支付"
    assert page.locator("td.total").inner_text() == "¥292.96"
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_the_operator_changes_the_fx_rate_and_storefront_prices_follow(api, browser, server, page):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)  # $30.00 + $5.00 shipping
    buyer = browser.new_context(base_url=server.url, locale="zh-CN")
    shopper = buyer.new_page()
    try:
        shopper.goto(f"/products/{wine['id']}")
        assert shopper.locator("td.total").inner_text() == "¥292.96"  # at 7.1000

        page.goto("/login?lang=en&next=/console/fx")
        page.get_by_label("Email").fill(OPERATOR_EMAIL)
        page.get_by_label("Password").fill(OPERATOR_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/console/fx$"))
        page.get_by_label(re.compile("New rate")).fill("7.2000")
        page.get_by_role("button", name="Set the rate").click()
        page.wait_for_url(re.compile(r"/console/fx$"))
        assert "1 USD = 7.2000 CNY" in page.locator("p.current").inner_text()

        # at 7.2000: 216.00 + 36.00 = 252.00 dutiable; consumption tax 19.60, VAT 25.48
        shopper.reload()
        assert shopper.locator("td.total").inner_text() == "¥297.08"
    finally:
        buyer.close()


def test_two_browsers_race_for_the_last_unit_of_a_deal_and_exactly_one_wins(
    api, browser, server, operator_token
):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    campaign = create_campaign(api, operator_token)
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=1, per_buyer_limit=1)
    contexts, pages = [], []
    try:
        for buyer in (buyer_with_identity(api), buyer_with_identity(api)):
            context = browser.new_context(base_url=server.url, locale="zh-CN")
            # signed in as that buyer: the page session is the same token the API handed out
            context.add_cookies([{"name": "kj_session", "value": buyer.token, "url": server.url}])
            page = context.new_page()
            page.goto(f"/singles-day?campaign={campaign['id']}")
            page.locator(f"#notice-{deal['id']}").check()
            contexts.append(context)
            pages.append(page)
        assert [p.locator(f'[data-remaining="{deal["id"]}"]').inner_text() for p in pages] == ["1", "1"]

        # both press the button at once
        for page in pages:
            page.locator(f"#deal-{deal['id']} button").click(no_wait_after=True)
        for page in pages:
            page.wait_for_load_state("load")
            page.wait_for_function(
                "() => !location.pathname.endsWith('/buy') || document.querySelector('.error')"
            )

        won = [p for p in pages if re.search(r"/orders/\d+$", p.url)]
        lost = [p for p in pages if p not in won]
        assert (len(won), len(lost)) == (1, 1)
        assert won[0].locator("[data-status]").get_attribute("data-status") == "pending_payment"
        assert "已售罄" in lost[0].locator(f"#deal-{deal['id']} .error").inner_text()
        after = api.get(f"/api/v1/deals/{deal['id']}").json()
        assert (after["remaining"], after["reserved"], after["sold"]) == (0, 1, 0)
    finally:
        for context in contexts:
            context.close()


def test_a_seller_lists_a_product_that_buyers_then_find_at_its_yuan_price(api, browser, server, page):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    tag = uuid.uuid4().hex[:6]
    page.context.add_cookies([{"name": "kj_session", "value": seller.token, "url": server.url}])
    page.goto("/seller/products/new")
    assert page.locator("html").get_attribute("lang") == "en"  # the portal is English first
    page.get_by_label("SKU").fill(f"CAB-{tag}")
    page.get_by_label("Title in English").fill(f"Ridge Cabernet {tag}")
    page.get_by_label("Title in Chinese").fill(f"山脊赤霞珠葡萄酒 {tag}")
    page.get_by_label("Category").select_option("wine")
    page.get_by_label("HS code").fill("2204.21")
    page.get_by_label("Price in US dollars").fill("45.00")
    page.get_by_label("Stock").fill("40")
    page.get_by_label("Shipping weight in grams").fill("1400")
    page.get_by_label(re.compile("Attributes")).fill('{"abv": 14.5, "volume_ml": 750}')

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

    page.get_by_role("button", name="List the product").click()
    page.wait_for_url(re.compile(r"/seller\?created=\d+$"))
    assert f"Ridge Cabernet {tag}" in page.locator("table.lines").inner_text()

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
