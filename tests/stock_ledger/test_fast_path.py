"""Refusals a worker already knows (sold out, not started) are answered before the request is
routed or its body read; keyed and anonymous requests still take the full path."""

from datetime import timedelta

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import (
    create_campaign,
    create_deal,
    ledger_of,
    purchase,
    purchase_body,
    wine_deal,
)
from tests.live import start_server

NOT_JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def patient_api(database_url, tmp_path_factory):
    """A server that trusts a sell-out for a minute, so a slow machine cannot turn the loser's
    request into the worker's re-check probe."""
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("fast-path") / "server.log",
        flash_sale_sold_out_recheck_seconds="60",
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


# Live: the loser must meet the sell-out the worker learned, and only a worker that trusts it for
# a minute guarantees that on a loaded machine (the in-process app re-checks after 0.5 s).
def test_a_sold_out_deal_is_refused_before_the_body_is_read(
    live_api, patient_api, operator_token, database_url
):
    # given a one-unit deal this (single-worker) server saw sell out
    _seller, _wine, _campaign, deal = wine_deal(live_api, operator_token, quantity=1)
    winner, loser = buyer_with_identity(live_api), buyer_with_identity(live_api)
    assert purchase(patient_api, winner, deal["id"]).status_code == 201
    live_api = patient_api
    path = f"/api/v1/deals/{deal['id']}/purchase"

    # when a loser sends a body the endpoint would refuse as malformed
    refused = live_api.post(path, content=b"not json", headers={**loser.headers, **NOT_JSON})

    # then the fast path answers sold_out, in the endpoint's own problem+json
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "/problems/sold_out",
        "title": "Sold out",
        "status": 409,
        "detail": f"Deal {deal['id']} is sold out.",
        "code": "sold_out",
    }
    # a keyed request may be a replay, so it takes the full path and its body is checked
    keyed = live_api.post(
        path, content=b"not json", headers={**loser.headers, **NOT_JSON, "Idempotency-Key": "fp-1"}
    )
    assert (keyed.status_code, keyed.json()["code"]) == (400, "malformed_json")
    # without a token the answer is still 401
    anonymous = live_api.post(path, json=purchase_body())
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    # and nothing more was taken
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (0, 1, 1)


def test_a_deal_not_started_is_refused_before_the_body_is_read(api, app, operator_token):
    # given a deal whose campaign opens in an hour, already asked about once (facts in memory)
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    campaign = create_campaign(api, operator_token, starts_in=timedelta(hours=1))
    deal = create_deal(api, seller, campaign["id"], wine["id"], quantity=5)
    buyer = buyer_with_identity(api)
    assert purchase(api, buyer, deal["id"]).json()["code"] == "not_started"

    # when the buyer keeps pressing, with a body that is not even JSON
    early = api.post(
        f"/api/v1/deals/{deal['id']}/purchase", content=b"{", headers={**buyer.headers, **NOT_JSON}
    )

    # then they are told not_started, and the deal is untouched
    assert (early.status_code, early.json()["code"]) == (409, "not_started")
    assert ledger_of(app, deal["id"]).remaining == 5
