"""Who is browsing and whether a form is theirs (kuajing/web/session.py): a form without the
browser's own CSRF token is refused with a page, and the session and CSRF cookies are HttpOnly,
SameSite=Lax, and Secure when the setting says so."""

import uuid

import pytest

from tests.web.factories import another_browser, csrf_of, sign_up


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


def put_cookie(browser, name: str, value: str) -> None:
    """Replace the cookie the server set (for its own domain) with `value`, as a script would."""
    domains = {cookie.domain for cookie in browser.cookies.jar if cookie.name == name}
    for domain in domains:
        browser.cookies.delete(name, domain=domain)
    browser.cookies.set(name, value, domain=next(iter(domains), ""))


@pytest.mark.once
def test_a_csrf_token_is_bound_to_its_session_and_renewed_at_sign_in_and_out(api):
    with another_browser(api) as browser:
        signed_out = csrf_of(browser.get("/login"))
        # a token that matches the cookie but was not made for this session (planted by a
        # neighbouring site, say): refused, though cookie and form agree
        planted = "x" * 32 + "." + "y" * 43
        put_cookie(browser, "kj_csrf", planted)
        refused = browser.post("/cart", data={"product_id": 1, "quantity": 1, "csrf_token": planted})
        assert refused.status_code == 403 and "kj_cart" not in browser.cookies
        put_cookie(browser, "kj_csrf", signed_out)

        email = sign_up(browser)  # signing up signs in: a new session, a new token
        assert email
        signed_in = csrf_of(browser.get("/"))
        assert signed_in != signed_out
        assert browser.cookies["kj_csrf"] == signed_in
        # the signed-out token, put back in the cookie, no longer passes for this session
        put_cookie(browser, "kj_csrf", signed_out)
        stale = browser.post("/logout", data={"csrf_token": signed_out})
        assert stale.status_code == 403
        put_cookie(browser, "kj_csrf", signed_in)
        out = browser.post("/logout", data={"csrf_token": signed_in})
        assert out.status_code == 303 and browser.cookies["kj_csrf"] not in (signed_in, signed_out)
