"""A seller brings their Shopify catalog in a real browser (chromium): the example CSV checked,
then imported while the progress page reloads itself, a photo uploaded to one of the new
products, its wine label completed with the glossary's help, and a buyer finding it with its
photo."""

import re
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.auth.factories import seller_with_profile
from tests.media.factories import photo

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "shopify-products.csv"


def test_a_seller_imports_the_example_csv_adds_a_photo_and_completes_a_label(
    live_api, browser, server, page, tmp_path
):
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    tag = uuid.uuid4().hex[:6].upper()
    csv_file = tmp_path / "products_export.csv"
    # this run's own SKUs and Chinese titles, so that the shared database's other runs do not meet them
    csv_file.write_text(
        EXAMPLE.read_text(encoding="utf-8")
        .replace("RIDGE-", f"RIDGE{tag}-")
        .replace("HARBOR-", f"HARBOR{tag}-")
        .replace("山脊 纳帕谷赤霞珠干红葡萄酒 2022", f"山脊{tag} 纳帕谷赤霞珠干红葡萄酒 2022"),
        encoding="utf-8",
    )
    page.context.add_cookies([{"name": "kj_session", "value": seller.token, "url": server.url}])

    page.goto("/seller/imports")
    page.get_by_label("Product CSV (up to 15 MB, 5,000 rows)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-status")).to_have_text("Checked: nothing listed yet", timeout=30_000)
    expect(page.get_by_text("3 to list, 0 to update, 0 cannot be imported yet.")).to_be_visible()
    page.get_by_role("button", name="Import these products").click()
    expect(page.locator("#import-status")).to_have_text("Imported", timeout=30_000)
    expect(page.get_by_text("3 listed, 0 updated, 0 not imported.")).to_be_visible()

    # the imported wine lacks its Chinese label: the seller adds a photo and fills the label
    page.get_by_role("link", name="See your products").click()
    page.get_by_role(
        "link", name=re.compile("Edit.*Ridgeline Napa Valley Cabernet Sauvignon 2022")
    ).first.click()
    picture = tmp_path / "bottle.jpg"
    picture.write_bytes(photo(1200, 900))
    page.get_by_label("Add a photo").set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Main photo")).to_be_visible()
    page.get_by_label("Alcohol by volume, in percent").fill("14.5")
    page.get_by_label("Bottle volume in ml").fill("750")
    page.get_by_role("button", name="Suggest Chinese from the English title").click()
    expect(page.get_by_label("Country and region of origin (原产地)")).to_have_value("美国加利福尼亚州纳帕谷")
    page.get_by_label("Importer (进口商)").fill("上海跨境测试进出口有限公司")
    page.get_by_label("Bottling date (灌装日期)").fill("2024-03-01")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/seller\?saved=\d+$"))
    assert "Saved." in page.locator("main").inner_text()

    # a buyer finds it with its photo
    shopper = browser.new_context(base_url=server.url, locale="zh-CN")
    try:
        search = shopper.new_page()
        search.goto(f"/search?q=山脊{tag}")
        card = search.locator("article.card", has_text=f"山脊{tag}")
        expect(card.locator("img")).to_have_count(1)
        card.locator("h3 a").click()
        expect(search.locator(".gallery img").first).to_be_visible()
        assert (
            search.locator(".gallery img").first.evaluate("img => img.naturalWidth") > 0
        )  # the photo loaded
        # and the sweater, one product in three sizes, offers them
        sweaters = live_api.get("/api/v1/products", params={"seller_id": seller.id, "q": "港湾"}).json()[
            "items"
        ]
        (sweater,) = sweaters
        search.goto(f"/products/{sweater['id']}")
        expect(search.locator(".variants .chip")).to_have_text(["M", "L", "XL"])
        expect(search.locator(".variants h3")).to_have_text("尺码")
    finally:
        shopper.close()
