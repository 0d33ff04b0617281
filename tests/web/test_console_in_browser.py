"""What an operator does in the console (kuajing/web/console.py), in a real browser (chromium),
click by click, against the live server (the `browser` and `page` fixtures of
tests/web/conftest.py)."""

import re

from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product
from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD


def test_the_operator_changes_the_fx_rate_and_storefront_prices_follow(live_api, browser, server, page):
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller)  # $30.00 + $5.00 shipping
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
