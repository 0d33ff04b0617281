"""A seller's Shopify CSV through the portal: checked first (nothing listed), the rows and their
problems shown, imported at the button, the problems downloadable; a bad file refused in place."""

from pathlib import Path

from tests.auth.factories import seller_with_profile
from tests.web.factories import csrf_of, page_text, signed_in

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "shopify-products.csv"


def test_a_seller_checks_then_imports_the_example_file(api):
    seller = seller_with_profile(api)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/imports")
        assert page.status_code == 200
        assert browser.get("/static/examples/shopify-products.csv").content == EXAMPLE.read_bytes()
        sent = browser.post(
            "/seller/imports",
            data={"csrf_token": csrf_of(page), "mode": "check"},
            files={"file": ("products_export.csv", EXAMPLE.read_bytes(), "text/csv")},
        )
        assert sent.status_code == 303, sent.text
        checked = browser.get(sent.headers["location"])
        text = page_text(checked.text)
        assert "Checked: nothing listed yet" in text
        assert "3 to list, 0 to update, 0 cannot be imported yet." in text
        assert '<progress id="import-progress" max="100" value="100"' in checked.text
        assert 'http-equiv="refresh"' not in checked.text  # finished: no more reloading
        assert "Not on sale until the wine" in text  # the wines' labels, to finish on their pages
        assert api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"] == []

        imported = browser.post(f"{sent.headers['location']}/run", data={"csrf_token": csrf_of(checked)})
        assert imported.status_code == 303
        done = page_text(browser.get(imported.headers["location"]).text)
        assert "3 listed, 0 updated, 0 not imported." in done
        report = browser.get(f"{sent.headers['location']}/report.csv")
        assert report.status_code == 200 and report.content.startswith(b"\xef\xbb\xbfline,sku,title")
    assert len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == 3


def test_a_file_that_is_not_a_product_csv_is_refused_in_place(api):
    seller = seller_with_profile(api)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/imports")
        refused = browser.post(
            "/seller/imports",
            data={"csrf_token": csrf_of(page), "mode": "check"},
            files={"file": ("photo.csv", b"\x89PNG\r\n\x1a\n\x00", "text/csv")},
        )
        assert refused.status_code == 422
        assert (
            '<p class="error" role="alert" id="import-error">The file is not a CSV: it holds binary data.</p>'
            in (refused.text)
        )
        other = seller_with_profile(api)
        sent = browser.post(
            "/seller/imports",
            data={"csrf_token": csrf_of(page)},
            files={"file": ("p.csv", EXAMPLE.read_bytes(), "text/csv")},
        )
    with signed_in(api, other) as stranger:
        assert stranger.get(sent.headers["location"]).status_code == 404
