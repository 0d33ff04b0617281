"""A product's variants through the seller portal: each size's price and stock changed in its own
row, a new size added with its measurements, and a refusal said beside the variants with nothing
changed; the product form itself leaves each variant's price and stock alone."""

from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_sweater, variant_ids
from tests.web.factories import csrf_of, page_text, signed_in


def _variants(api, product_id):
    shown = api.get(f"/api/v1/products/{product_id}").json()
    return [(v["options"], v["price"]["amount"], v["stock"], v["zh_size"]) for v in shown["variants"]]


def test_a_seller_changes_a_size_adds_one_and_is_told_why_not_in_words(api):
    seller = seller_with_profile(api)
    sweater = create_sweater(api, seller)
    size = variant_ids(sweater)
    edit = f"/seller/products/{sweater['id']}/edit"
    with signed_in(api, seller) as browser:
        page = browser.get(edit)
        text = page_text(page.text)
        assert "Variants" in text and "175/92A" in text
        assert "Price, stock and weight are each variant's" in text
        # M: a new price, and 5 more units
        changed = browser.post(
            f"/seller/products/{sweater['id']}/variants/{size['M']}",
            data={"csrf_token": csrf_of(page), "price": "120.00", "stock": "25", "stock_was": "20"},
        )
        assert changed.status_code == 303, changed.text
        assert changed.headers["location"] == f"{edit}?variant_saved=1#variants"
        # XL with its measurements: its Chinese size is worked out
        added = browser.post(
            f"/seller/products/{sweater['id']}/variants",
            data={
                "csrf_token": csrf_of(page),
                "values": "XL",
                "sku": sweater["sku"] + "-XL",
                "price": "124.00",
                "stock": "7",
                "weight_grams": "800",
                "fit_height_cm": "180",
                "fit_chest_cm": "96",
            },
        )
        assert added.status_code == 303, added.text
        # L again is refused in words, and nothing changes
        twice = browser.post(
            f"/seller/products/{sweater['id']}/variants",
            data={
                "csrf_token": csrf_of(page),
                "values": "l",
                "sku": sweater["sku"] + "-L2",
                "price": "1.00",
                "stock": "1",
                "weight_grams": "1",
            },
        )
        assert twice.status_code == 422
        assert "Two variants are L; each needs its own values." in page_text(twice.text)
        bad_price = browser.post(
            f"/seller/products/{sweater['id']}/variants/{size['S']}",
            data={"csrf_token": csrf_of(page), "price": "free", "stock": "10", "stock_was": "10"},
        )
        assert bad_price.status_code == 422
        assert "“free” is not a price in US dollars, such as 30.00." in page_text(bad_price.text)
        # saving the product form keeps every variant's price and stock as they are
        form = browser.get(edit)
        saved = browser.post(
            edit,
            data={
                "csrf_token": csrf_of(form),
                "title_en": "Cable-Knit Cotton Sweater",
                "title_zh": "纯棉麻花针织毛衣",
                "description_en": "Combed cotton.",
                "description_zh": "精梳棉纱。",
                "category": "garments",
                "hs_code": "6110.20",
                "price": "110.00",
                "stock": "0",
                "stock_was": "0",
                "weight_grams": "680",
                "attributes": '{"gb18401_category": "B", "material": "100% cotton"}',
                "action": "save",
            },
        )
        assert saved.status_code == 303, page_text(saved.text)
    assert _variants(api, sweater["id"]) == [
        (["S"], 11000, 10, "165/84A"),
        (["M"], 12000, 25, "170/88A"),
        (["L"], 11800, 30, "175/92A"),
        (["XL"], 12400, 7, "180/96A"),
    ]
