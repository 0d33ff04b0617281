"""The sellers' own door (kuajing/web/seller_account.py) over HTTP: signing up, the profile form
and its refusals shown with what was typed, signing in again; and a buyer kept out of the portal,
a form without its token changing nothing."""

import uuid

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.helpers import visitor
from tests.web.factories import csrf_of, signed_in

PROFILE = {
    "legal_name": "Cascade Orchards LLC",
    "us_state": "WA",
    "employees": "12",
    "shipping_fee": "18.50",
    "customs_code": "3301960ABC",
    "customs_name": "",
    "story_en": "Three generations of apple growers in the Yakima Valley.",
    "story_zh": "亚基马谷三代果农。",
}


def test_a_seller_signs_up_sets_up_the_profile_and_signs_in_again(api):
    email = f"orchard-{uuid.uuid4().hex[:8]}@kuajing.test"
    with visitor(api) as browser:
        form = browser.get("/seller/register")
        assert '<html lang="en">' in form.text and "Sell to China with kuajing" in form.text
        signed_up = browser.post(
            "/seller/register",
            data={
                "name": "Ana Ruiz",
                "email": email,
                "password": "a long seller password",
                "csrf_token": csrf_of(form),
            },
        )
        assert (signed_up.status_code, signed_up.headers["location"]) == (303, "/seller/profile")
        token = browser.cookies["kj_session"]
        me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert (me["email"], me["role"]) == (email, "seller")

        first = browser.get("/seller/profile")
        assert "Tell buyers and China customs who you are" in first.text
        csrf = csrf_of(first)
        bad = {**PROFILE, "employees": "a dozen", "shipping_fee": "free", "csrf_token": csrf, "new": "1"}
        refused = browser.post("/seller/profile", data=bad)
        assert refused.status_code == 422
        assert 'value="a dozen"' in refused.text and 'value="free"' in refused.text
        assert 'value="Cascade Orchards LLC"' in refused.text  # what was typed stays
        assert "Enter a price in US dollars, such as 30.00." in refused.text
        assert "Check this field." in refused.text
        assert "Tell buyers and China customs who you are" in refused.text  # still the first time
        bad_code = browser.post(
            "/seller/profile", data={**PROFILE, "customs_code": "12-34", "csrf_token": csrf}
        )
        assert bad_code.status_code == 422
        assert "The customs code is 10 or 18 letters and digits" in bad_code.text
        nothing = api.get("/api/v1/seller/profile", headers={"Authorization": f"Bearer {token}"})
        assert (nothing.status_code, nothing.json()["code"]) == (409, "seller_profile_required")

        saved = browser.post("/seller/profile", data={**PROFILE, "csrf_token": csrf})
        assert (saved.status_code, saved.headers["location"]) == (303, "/seller/profile?saved=1")
        profile = api.get("/api/v1/seller/profile", headers={"Authorization": f"Bearer {token}"}).json()
        assert {
            key: profile[key]
            for key in ("legal_name", "us_state", "employees", "customs_code", "customs_name")
        } == {
            "legal_name": "Cascade Orchards LLC",
            "us_state": "WA",
            "employees": 12,
            "customs_code": "3301960ABC",
            "customs_name": None,
        }
        assert profile["shipping_fee"] == {"amount": 1850, "currency": "USD"}
        assert profile["story"] == {"en": PROFILE["story_en"], "zh": PROFILE["story_zh"]}
        again = browser.get("/seller/profile?saved=1")
        assert "Profile saved." in again.text and 'value="18.50"' in again.text
        assert '<a href="/seller">Seller portal</a>' in again.text and "My orders" not in again.text
        assert '<option value="WA" selected>Washington</option>' in again.text

    with visitor(api) as browser:
        anonymous = browser.get("/seller/orders")
        assert (anonymous.status_code, anonymous.headers["location"]) == (
            303,
            "/seller/login?next=%2Fseller%2Forders",
        )
        form = browser.get("/seller/login?next=%2Fseller%2Forders")
        assert '<html lang="en">' in form.text and 'action="/seller/login"' in form.text
        wrong = browser.post(
            "/seller/login",
            data={
                "email": email,
                "password": "not the password",
                "next": "/seller/orders",
                "csrf_token": csrf_of(form),
            },
        )
        assert wrong.status_code == 401 and "The email or the password is wrong." in wrong.text
        assert f'value="{email}"' in wrong.text
        right = browser.post(
            "/seller/login",
            data={
                "email": email,
                "password": "a long seller password",
                "next": "/seller/orders",
                "csrf_token": csrf_of(form),
            },
        )
        assert (right.status_code, right.headers["location"]) == (303, "/seller/orders")
        # signing in renewed the form token: the one from before is refused, the page's new one goes
        stale = {"email": email, "password": "a long seller password", "next": "//evil.example/"}
        refused = browser.post("/seller/login", data={**stale, "csrf_token": csrf_of(form)})
        assert refused.status_code == 403 and "The form expired" in refused.text
        offsite = browser.post(
            "/seller/login", data={**stale, "csrf_token": csrf_of(browser.get("/seller/login"))}
        )
        assert offsite.headers["location"] == "/seller"


def test_a_buyer_is_not_let_into_the_portal_and_forms_need_their_token(api):
    buyer = buyer_with_identity(api)
    with signed_in(api, buyer) as browser:
        for path in ("/seller/orders", "/seller/deals", "/seller/sales", "/seller/profile"):
            refused = browser.get(path)
            assert refused.status_code == 403, path
            assert "This page is for another kind of account." in refused.text
    seller = seller_with_profile(api)
    with signed_in(api, seller) as browser:
        browser.get("/seller/profile")  # sets the CSRF cookie
        forged = browser.post("/seller/profile", data={**PROFILE, "csrf_token": "x" * 43})
        assert forged.status_code == 403
        assert (
            api.get("/api/v1/seller/profile", headers=seller.headers).json()["legal_name"]
            != PROFILE["legal_name"]
        )
