"""The storefront on a phone, in a real browser (chromium): at 390 px wide no page scrolls
sideways, and the search box has a row of its own, most of the screen wide (beside its label it
was squeezed to half)."""

import uuid

from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product, create_sweater

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
