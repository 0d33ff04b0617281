"""Who is browsing and whether a form is theirs (kuajing/web/session.py): a form without the
browser's own CSRF token is refused with a page, and the session and CSRF cookies are HttpOnly,
SameSite=Lax, and Secure when the setting says so."""

import uuid

import pytest

from tests.web.factories import another_browser, csrf_of


@pytest.mark.once
def test_forms_without_their_csrf_token_are_refused_with_a_page(api):
    with another_browser(api) as browser:
        browser.get("/login")  # the browser now holds a CSRF cookie
        for path, data, status in (
            ("/login", {"email": "a@b.cn", "password": "x" * 12}, 400),  # no token at all
            ("/cart", {"product_id": 1, "quantity": 1}, 400),
            ("/login", {"email": "a@b.cn", "password": "x" * 12, "csrf_token": "forged-" + "x" * 30}, 403),
        ):
            refused = browser.post(path, data=data)
            assert refused.status_code == status, path
            assert refused.headers["content-type"].startswith("text/html"), path
        forged = browser.post(
            "/cart", data={"product_id": 1, "quantity": 1, "csrf_token": "forged-" + "x" * 30}
        )
        assert forged.status_code == 403
        assert "表单已过期或并非来自本站" in forged.text
        assert "kj_cart" not in browser.cookies


@pytest.mark.once
def test_cookies_are_secure_when_the_setting_says_so(app, api, monkeypatch: pytest.MonkeyPatch):
    # KUAJING_COOKIE_SECURE=true, for this test's runtime only (a fresh one each test)
    monkeypatch.setattr(
        app.runtime, "settings", app.runtime.settings.model_copy(update={"cookie_secure": True})
    )
    page = api.get("/register")
    assert "Secure" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]


def test_session_and_csrf_cookies_are_httponly_and_samesite(api):
    with another_browser(api) as browser:
        page = browser.get("/")
        assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
        form = browser.get("/register")
        email = f"web-{uuid.uuid4().hex[:10]}@kuajing.test"
        answer = browser.post(
            "/register",
            data={
                "name": "王芳",
                "email": email,
                "password": "a long web password",
                "csrf_token": csrf_of(form),
            },
        )
        cookie = answer.headers["set-cookie"]
        assert "kj_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
