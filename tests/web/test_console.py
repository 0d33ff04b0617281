"""The operator console's rate page over HTTP: who may see it, and a bad rate refused in place."""

import re

import httpx

from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.web.test_buying import _csrf, _register


def _signed_in_operator(api: httpx.Client) -> httpx.Client:
    browser = httpx.Client(base_url=str(api.base_url), timeout=30)
    form = browser.get("/login")
    answer = browser.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf_token": _csrf(form)}
    )
    assert answer.status_code == 303
    return browser


def test_the_rate_page_is_for_operators_only(api, operator_token):
    with httpx.Client(base_url=str(api.base_url), timeout=30) as anonymous:
        answer = anonymous.get("/console/fx")
        assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=%2Fconsole%2Ffx")
        _register(anonymous)  # now a buyer
        forbidden = anonymous.get("/console/fx")
        assert forbidden.status_code == 403
        assert "This page is for another kind of account." in forbidden.text


def test_a_bad_rate_is_refused_on_the_form_and_the_rate_stays(api, operator_token):
    operator = _signed_in_operator(api)
    try:
        page = operator.get("/console/fx")
        assert "1 USD = 7.1000 CNY" in page.text
        refused = operator.post("/console/fx", data={"rate": "-3", "csrf_token": _csrf(page)})
        assert refused.status_code == 422
        assert 'value="-3"' in refused.text
        assert "Enter a rate above 0" in refused.text
        assert "1 USD = 7.1000 CNY" in refused.text
        assert api.get("/api/v1/fx-rates/USD-CNY").json()["rate"] == "7.1000"
        history = re.findall(r"<td>(\d+\.\d{4})</td>", refused.text)
        assert history and history[0] == "7.1000"
    finally:
        operator.close()
