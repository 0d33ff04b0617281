import pytest

from tests.auth.factories import register, seller_with_profile
from tests.catalog.factories import product_body


def test_profile_round_trip(api):
    seller = seller_with_profile(api, shipping_fee_cents=1250, state="WA")
    profile = api.get("/api/v1/seller/profile", headers=seller.headers).json()
    assert (profile["us_state"], profile["employees"], profile["shipping_fee"]) == (
        "WA",
        12,
        {"amount": 1250, "currency": "USD"},
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"us_state": "ZZ"}, "invalid_us_state"),
        ({"us_state": "Wash"}, "validation_error"),
        ({"shipping_fee": {"amount": 500, "currency": "CNY"}}, "currency_not_allowed"),
        ({"shipping_fee": {"amount": 500, "currency": "EUR"}}, "validation_error"),
        ({"shipping_fee": {"amount": 100_001, "currency": "USD"}}, "shipping_fee_too_high"),
        ({"employees": -1}, "validation_error"),
        ({"story": {"en": "x" * 2001, "zh": ""}}, "validation_error"),
        ({"story": {"en": "ok", "fr": "non"}}, "validation_error"),
    ],
)
def test_bad_profiles_are_refused_and_the_old_one_kept(api, change, code):
    seller = seller_with_profile(api, shipping_fee_cents=700, state="OR")
    body = {
        "legal_name": "Valid LLC",
        "us_state": "CA",
        "employees": 3,
        "shipping_fee": {"amount": 500, "currency": "USD"},
        **change,
    }
    response = api.put("/api/v1/seller/profile", json=body, headers=seller.headers)
    assert response.status_code == 422
    assert response.json()["code"] == code
    kept = api.get("/api/v1/seller/profile", headers=seller.headers).json()
    assert (kept["us_state"], kept["shipping_fee"]["amount"]) == ("OR", 700)


def test_the_story_is_kept_in_both_languages_a_put_without_it_keeps_it_and_an_empty_one_clears_it(api):
    seller = seller_with_profile(api)
    body = {
        "legal_name": "Story LLC",
        "us_state": "VT",
        "employees": 3,
        "shipping_fee": {"amount": 500, "currency": "USD"},
    }
    told = {"en": "  Goat milk lotion from our farm.  ", "zh": "来自我们农场的羊奶乳液。"}
    saved = api.put("/api/v1/seller/profile", json={**body, "story": told}, headers=seller.headers)
    assert saved.json()["story"] == {
        "en": "Goat milk lotion from our farm.",
        "zh": "来自我们农场的羊奶乳液。",
    }
    assert api.get("/api/v1/seller/profile", headers=seller.headers).json()["story"] == saved.json()["story"]
    kept = api.put("/api/v1/seller/profile", json={**body, "employees": 4}, headers=seller.headers)
    assert (kept.json()["employees"], kept.json()["story"]) == (4, saved.json()["story"])
    cleared = api.put(
        "/api/v1/seller/profile", json={**body, "story": {"en": "", "zh": ""}}, headers=seller.headers
    )
    assert cleared.json()["story"] == {"en": "", "zh": ""}
    fresh = register(api, "seller")  # a first profile without a story has an empty one
    first = api.put("/api/v1/seller/profile", json=body, headers=fresh.headers)
    assert first.json()["story"] == {"en": "", "zh": ""}


def test_a_seller_lists_only_after_setting_up_a_profile(api):
    seller = register(api, "seller")
    response = api.post("/api/v1/products", json=product_body(), headers=seller.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "seller_profile_required"
    assert api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"] == []
