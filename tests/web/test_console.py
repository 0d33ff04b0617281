"""The operator console's rate page over HTTP: who may see it, and a bad rate refused in place."""

import csv
import io
import re

import httpx

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.order.factories import place
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


def test_the_jobs_report_page_and_its_csv_say_what_the_api_says(api, operator_token):
    seller = seller_with_profile(api, state="WA")
    buyer = buyer_with_identity(api)
    wine = create_product(api, seller)
    order = place(api, buyer, [(wine["id"], 1)]).json()  # paid, so Washington has export sales
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.json()["status"] == "paid"
    expected = api.get("/api/v1/impact/jobs", headers={"Authorization": f"Bearer {operator_token}"}).json()

    operator = _signed_in_operator(api)
    try:
        page = operator.get("/console/jobs")
        assert page.status_code == 200
        assert f'<strong id="jobs">{expected["jobs_supported"]:,.4f}</strong>' in page.text
        washington = next(line for line in expected["by_state"] if line["state"] == "WA")
        assert '<tr data-state="WA"><td>Washington</td>' in page.text
        assert f"{washington['jobs_supported']:,.4f}</td></tr>" in page.text
        assert "International Trade Administration" in page.text  # the method, in words

        sheet = operator.get("/console/jobs.csv")
        assert sheet.headers["content-type"].startswith("text/csv")
        assert "attachment" in sheet.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(sheet.text)))
        assert rows[0] == ["state", "export_sales_usd", "jobs_supported"]
        by_state = {row[0]: row for row in rows[1 : 1 + len(expected["by_state"])]}
        assert by_state["WA"] == [
            "WA",
            f"{washington['export_sales']['amount'] / 100:.2f}",
            f"{washington['jobs_supported']:.4f}",
        ]
        total = rows[1 + len(expected["by_state"])]
        assert total == [
            "total",
            f"{expected['export_sales']['amount'] / 100:.2f}",
            f"{expected['jobs_supported']:.4f}",
        ]
    finally:
        operator.close()

    with httpx.Client(base_url=str(api.base_url), timeout=30, cookies={"kj_session": buyer.token}) as browser:
        assert browser.get("/console/jobs.csv").status_code == 403
