"""What buyers do on the Singles' Day page (kuajing/web/singles_day.py), in real browsers
(chromium), click by click, against the live server (the `browser` fixture of
tests/web/conftest.py)."""

import re

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal


def test_two_browsers_race_for_the_last_unit_of_a_deal_and_exactly_one_wins(
    live_api, browser, server, operator_token
):
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=5)
    campaign = create_campaign(live_api, operator_token)
    deal = create_deal(live_api, seller, campaign["id"], wine["id"], quantity=1, per_buyer_limit=1)
    contexts, pages = [], []
    try:
        for buyer in (buyer_with_identity(live_api), buyer_with_identity(live_api)):
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
        after = live_api.get(f"/api/v1/deals/{deal['id']}").json()
        assert (after["remaining"], after["reserved"], after["sold"]) == (0, 1, 0)
    finally:
        for context in contexts:
            context.close()
