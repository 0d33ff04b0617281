"""What a buyer does in the pages of kuajing/web/buying.py, in a real browser (chromium), click by
click, against the live server (the `page` fixture of tests/web/conftest.py)."""

import re
import uuid
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.auth.factories import buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import create_product, create_sweater, variant_ids
from tests.flash_sale.factories import create_campaign, create_deal, deal_body, purchase
from tests.web.buyer_steps import place_at_checkout


def test_a_buyer_searches_for_wine_checks_out_with_identity_pays_and_sees_the_order_paid(live_api, page):
    # given a $30.00 wine with $5.00 shipping at FX 7.1000: ¥292.96 a bottle, tax included
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    tag = uuid.uuid4().hex[:6]
    create_product(live_api, seller, title={"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"})

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
    place_at_checkout(page)

    # pays in the sandbox and sees the order paid, at the right yuan total
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert page.locator("[data-status]").get_attribute("data-status") == "pending_payment"
    page.get_by_role("button", name=re.compile("支付 ¥292.96")).click()
    page.wait_for_selector('[data-status="paid"]')
    assert page.locator("[data-status]").inner_text() == "已支付"
    assert page.locator("td.total").inner_text() == "¥292.96"
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_a_buyer_picks_size_l_of_a_sweater_and_a_deal_on_size_m_sells_only_m(
    live_api, browser, server, operator_token
):
    # given a sweater in S ($110), M and L ($118) with no shipping, at FX 7.1000, and a deal on M only
    seller = seller_with_profile(live_api, shipping_fee_cents=0)
    tag = uuid.uuid4().hex[:6]
    sweater = create_sweater(live_api, seller, title={"en": f"Cable Sweater {tag}", "zh": f"麻花毛衣 {tag}"})
    size = variant_ids(sweater)
    campaign = create_campaign(live_api, operator_token, name=f"双11 {tag}")
    made = live_api.post(
        f"/api/v1/campaigns/{campaign['id']}/deals",
        json={
            **deal_body(sweater["id"], price_cents=9900, quantity=3, per_buyer_limit=1),
            "variant_id": size["M"],
        },
        headers=seller.headers,
    )
    assert made.status_code == 201, made.text
    deal = made.json()
    buyer = buyer_with_identity(live_api)
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    context.add_cookies([{"name": "kj_session", "value": buyer.token, "url": server.url}])
    page = context.new_page()
    try:
        # the product page offers the sizes; the first in stock (S) is priced until another is picked
        page.goto(f"/products/{sweater['id']}")
        chips = page.locator(".variants .chip")
        expect(chips).to_have_text(["S", "M", "L"])
        expect(page.locator(".chip.chosen")).to_have_text("S")
        # S: $110.00 = ¥781.00, VAT 781.00 × 13% × 70% = ¥71.07; no shipping
        expect(page.locator("td.total")).to_have_text("¥852.07")
        page.get_by_role("link", name="L", exact=True).click()
        expect(page.locator(".chip.chosen")).to_have_text("L")
        expect(page.locator(".variants .size")).to_have_text("中国尺码 175/92A")
        # L: $118.00 = ¥837.80, VAT ¥76.24
        expect(page.locator("td.total")).to_have_text("¥914.04")
        page.get_by_label("数量").fill("2")
        page.get_by_role("button", name="加入购物车").click()

        # the cart names the size; the order is placed for L
        expect(page.locator("table.lines .variant")).to_have_text("L")
        page.get_by_role("link", name="结算此订单").click()
        place_at_checkout(page)
        page.wait_for_url(re.compile(r"/orders/\d+$"))
        expect(page.locator(".order-lines tbody tr")).to_have_text(
            [re.compile(rf"麻花毛衣 {tag}（L）\s*× 2")]
        )
        order_id = int(page.url.rsplit("/", 1)[1])
        order = live_api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()
        assert [(line["variant_id"], line["quantity"]) for line in order["lines"]] == [(size["L"], 2)]
        # the seller's orders page says L too
        shop = browser.new_context(base_url=server.url)
        try:
            shop.add_cookies([{"name": "kj_session", "value": seller.token, "url": server.url}])
            orders = shop.new_page()
            orders.goto("/seller/orders?view=all")
            expect(orders.locator("main")).to_contain_text(f"Cable Sweater {tag} (L) × 2")
        finally:
            shop.close()

        # the Singles' Day deal is on size M alone, and buying it takes from M's deal units only
        page.goto(f"/singles-day?campaign={campaign['id']}")
        expect(page.locator(f"#deal-{deal['id']} h3 .variant")).to_have_text("M")
        page.locator(f"#notice-{deal['id']}").check()
        page.locator(f"#deal-{deal['id']} button").click()
        page.wait_for_url(re.compile(r"/orders/\d+$"))
        expect(page.locator(".order-lines tbody tr")).to_have_text(
            [re.compile(rf"麻花毛衣 {tag}（M）\s*× 1")]
        )
    finally:
        context.close()
    shown = live_api.get(f"/api/v1/products/{sweater['id']}").json()
    assert [v["stock"] for v in shown["variants"]] == [10, 17, 28]  # M gave 3 to the deal; L sold 2
    after = live_api.get(f"/api/v1/deals/{deal['id']}").json()
    assert (after["remaining"], after["reserved"], after["variant_id"]) == (2, 1, size["M"])


def test_an_unpaid_deal_order_counts_down_minutes_and_seconds_then_says_the_time_ran_out(
    live_api, page, server, operator_token
):
    # given a unit of a deal won and not paid
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=5)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=2, per_buyer_limit=1)
    buyer = buyer_with_identity(live_api)
    won = purchase(live_api, buyer, deal["id"])
    assert won.status_code == 201, won.text
    page.context.add_cookies([{"name": "kj_session", "value": buyer.token, "url": server.url}])
    # the page's clock stands still until the test moves it
    page.clock.install()
    page.clock.pause_at(datetime.now() + timedelta(seconds=5))

    page.goto(f"/orders/{won.json()['order_id']}")

    # then it counts down from the seconds the server said were left, minute by minute to zero
    deadline = page.locator("p.deadline")
    left = int(deadline.get_attribute("data-left") or "")
    expect(deadline.locator(".left")).to_have_text(f"剩余支付时间：{left // 60:02d}:{left % 60:02d}")
    page.clock.run_for(61_000)
    expect(deadline.locator(".left")).to_have_text(
        f"剩余支付时间：{(left - 61) // 60:02d}:{(left - 61) % 60:02d}"
    )
    page.clock.run_for((left - 61) * 1000)
    expect(deadline).to_have_text("支付已超时，订单将自动取消，抢到的名额将释放给其他买家。")
    expect(page.locator('form[action$="/pay"] button[type="submit"]')).to_be_disabled()
