"""The seller portal's product form over HTTP: who may use it, and bad input shown in place with
what was typed, listing nothing."""

import uuid

import httpx

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.web.test_buying import _csrf


def _as(api, account) -> httpx.Client:
    return httpx.Client(base_url=str(api.base_url), timeout=30, cookies={"kj_session": account.token})


def _form(tag: str, **changes: str) -> dict[str, str]:
    return {
        "sku": f"SKU-{tag}",
        "title_en": f"Orchard Apples {tag}",
        "title_zh": f"果园苹果 {tag}",
        "category": "fruit",
        "hs_code": "0808.10",
        "price": "25.00",
        "stock": "10",
        "weight_grams": "5500",
        "attributes": "",
        **changes,
    }


def test_only_sellers_use_the_portal(api):
    with httpx.Client(base_url=str(api.base_url), timeout=30) as anonymous:
        assert anonymous.get("/seller/products/new").status_code == 303
    with _as(api, buyer_with_identity(api)) as buyer:
        refused = buyer.get("/seller/products/new")
        assert refused.status_code == 403
        assert "This page is for another kind of account." in refused.text


def test_bad_input_is_shown_in_place_and_nothing_is_listed(api):
    seller = seller_with_profile(api)
    tag = uuid.uuid4().hex[:6]
    with _as(api, seller) as browser:
        page = browser.get("/seller/products/new")
        csrf = _csrf(page)

        bad_price = browser.post(
            "/seller/products/new", data={**_form(tag, price="thirty"), "csrf_token": csrf}
        )
        assert bad_price.status_code == 422
        assert "Enter a price in US dollars, such as 30.00." in bad_price.text
        assert f'value="Orchard Apples {tag}"' in bad_price.text and 'value="thirty"' in bad_price.text

        bad_json = browser.post(
            "/seller/products/new", data={**_form(tag, attributes="[1, 2"), "csrf_token": csrf}
        )
        assert bad_json.status_code == 422
        assert "Attributes must be a JSON object" in bad_json.text

        listed = browser.post("/seller/products/new", data={**_form(tag), "csrf_token": csrf})
        assert listed.status_code == 303
        again = browser.post("/seller/products/new", data={**_form(tag), "csrf_token": csrf})
        assert again.status_code == 409
        assert "You already list a product with this SKU." in again.text

    mine = api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]
    assert [p["sku"] for p in mine] == [f"SKU-{tag}"]  # one product: the refused forms listed nothing
