"""A seller's photos through the portal's forms: uploaded, made main, removed; a bad file
refused in place saying why, with nothing kept; and the photos shown to buyers on the product
page and its search card."""

import re
import uuid

from tests.auth.factories import seller_with_profile
from tests.catalog.factories import create_product
from tests.media.factories import photo
from tests.web.factories import csrf_of, page_text, signed_in


def _photo_ids(page_html: str, product_id: int) -> list[int]:
    return [int(n) for n in re.findall(rf"/seller/products/{product_id}/photos/(\d+)/remove", page_html)]


def test_a_seller_adds_orders_and_removes_photos_and_buyers_see_them(api):
    seller = seller_with_profile(api)
    tag = uuid.uuid4().hex[:8]
    wine = create_product(
        api, seller, title={"en": f"Napa Cabernet {tag}", "zh": f"纳帕谷赤霞珠干红葡萄酒 {tag}"}
    )
    edit = f"/seller/products/{wine['id']}/edit"
    with signed_in(api, seller) as browser:
        page = browser.get(edit)
        assert "No photos yet." in page_text(page.text)
        for width in (1200, 900):
            sent = browser.post(
                f"/seller/products/{wine['id']}/photos",
                data={"csrf_token": csrf_of(page)},
                files={"photo": ("bottle.jpg", photo(width, 800), "image/jpeg")},
            )
            assert sent.status_code == 303, sent.text
            assert sent.headers["location"] == f"{edit}#photos"
            page = browser.get(edit)
        first, second = _photo_ids(page.text, wine["id"])
        assert "Main photo" in page_text(page.text)

        made_main = browser.post(
            f"/seller/products/{wine['id']}/photos/{second}/main", data={"csrf_token": csrf_of(page)}
        )
        assert made_main.status_code == 303
        page = browser.get(edit)
        assert _photo_ids(page.text, wine["id"]) == [second, first]

        shown = browser.get(f"/products/{wine['id']}").text
        assert shown.count("<picture>") == 1 and 'class="thumbs"' in shown
        main = api.get(f"/api/v1/products/{wine['id']}").json()["images"][0]
        assert main["id"] == second
        assert f'<img src="{main["sizes"][1]["jpg"]}"' in shown  # the 480-pixel JPEG, WebP beside it
        card = browser.get("/search", params={"q": f"赤霞珠 {tag}"}).text
        assert f'srcset="{main["sizes"][1]["webp"]}"' in card

        removed = browser.post(
            f"/seller/products/{wine['id']}/photos/{second}/remove", data={"csrf_token": csrf_of(page)}
        )
        assert removed.status_code == 303
        assert _photo_ids(browser.get(edit).text, wine["id"]) == [first]
        assert api.get(main["url"]).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_in_place_and_nothing_is_kept(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    with signed_in(api, seller) as browser:
        page = browser.get(f"/seller/products/{wine['id']}/edit")
        refused = browser.post(
            f"/seller/products/{wine['id']}/photos",
            data={"csrf_token": csrf_of(page)},
            files={"photo": ("label.jpg", b"%PDF-1.7 not a photo", "image/jpeg")},
        )
        assert refused.status_code == 422
        assert (
            '<p class="error" role="alert" id="photo-error">This file is not a photo that can be read; '
            "photos must be JPEG, PNG or WebP.</p>"
        ) in refused.text
        assert "No photos yet." in page_text(refused.text)
        forged = browser.post(
            f"/seller/products/{wine['id']}/photos",
            data={"csrf_token": "forged"},
            files={"photo": ("bottle.jpg", photo(), "image/jpeg")},
        )
        assert forged.status_code == 403
    assert api.get(f"/api/v1/products/{wine['id']}").json()["images"] == []


def test_the_edit_page_drawn_again_keeps_its_photos(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    image = api.post(
        f"/api/v1/products/{wine['id']}/images",
        files={"file": ("bottle.jpg", photo(), "image/jpeg")},
        headers=seller.headers,
    ).json()
    with signed_in(api, seller) as browser:
        page = browser.get(f"/seller/products/{wine['id']}/edit")
        fields = {
            "title_en": "Napa", "title_zh": "纳帕", "category": "wine", "hs_code": "2204.21",
            "price": "thirty", "stock": "100", "stock_was": "100", "weight_grams": "1400",
            "attributes": "", "csrf_token": csrf_of(page),
        }  # fmt: skip
        # a refused save, and the suggestions (their own route, as the form's button sends them)
        for path, action in (("edit", "save"), ("suggest", "suggest")):
            again = browser.post(f"/seller/products/{wine['id']}/{path}", data={**fields, "action": action})
            assert f"/seller/products/{wine['id']}/photos/{image['id']}/remove" in again.text, action
            assert "No photos yet." not in again.text


def test_buyers_see_a_new_main_photo_at_once_though_the_page_was_just_cached(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    first, second = (
        api.post(
            f"/api/v1/products/{wine['id']}/images",
            files={"file": ("b.jpg", photo(500 + n, 400), "image/jpeg")},
            headers=seller.headers,
        ).json()
        for n in range(2)
    )
    before = api.get(f"/products/{wine['id']}").text  # the worker keeps these photos now
    assert f'<img src="{first["sizes"][1]["jpg"]}"' in before
    reordered = api.put(
        f"/api/v1/products/{wine['id']}/images/order",
        json={"ids": [second["id"], first["id"]]},
        headers=seller.headers,
    )
    assert reordered.status_code == 200
    after = api.get(f"/products/{wine['id']}").text
    assert f'<img src="{second["sizes"][1]["jpg"]}"' in after
    api.delete(f"/api/v1/products/{wine['id']}/images/{second['id']}", headers=seller.headers)
    assert f'<img src="{first["sizes"][1]["jpg"]}"' in api.get(f"/products/{wine['id']}").text
