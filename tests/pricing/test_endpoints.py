"""The USD-CNY rate over HTTP: set by an operator, with its history of who set what."""

import pytest

from tests.auth.factories import operator_headers
from tests.helpers import problem_code


def test_fx_history_keeps_who_and_when(api, operator_token):
    headers = operator_headers(operator_token)
    api.put("/api/v1/fx-rates/USD-CNY", json={"rate": "7.0500"}, headers=headers)
    response = api.put("/api/v1/fx-rates/USD-CNY", json={"rate": "7.1000"}, headers=headers)
    body = response.json()
    me = api.get("/api/v1/me", headers=headers).json()
    assert body["rate"] == "7.1000"
    assert [(h["rate"], h["set_by"]) for h in body["history"][:2]] == [
        ("7.1000", me["id"]),
        ("7.0500", me["id"]),
    ]


@pytest.mark.parametrize("rate", ["0", "-7.1", "abc", "7.1234567", "100", "NaN", "Infinity"])
def test_bad_fx_rates_are_refused(api, operator_token, rate):
    response = api.put(
        "/api/v1/fx-rates/USD-CNY", json={"rate": rate}, headers=operator_headers(operator_token)
    )
    assert problem_code(response, 422) == "invalid_fx_rate"
    assert api.get("/api/v1/fx-rates/USD-CNY").json()["rate"] == "7.1000"
