"""Refusals a worker already knows (sold out, not started) are answered before the request is
routed or its body read; keyless purchases that parse are bought before routing; keyed and
anonymous requests, and bodies that do not parse, still take the full path."""

from datetime import timedelta

import httpx
import pytest

from kuajing.stock_ledger import fast_path
from tests.auth.factories import buyer_with_identity, register, seller_with_profile
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


def test_a_winner_is_bought_before_routing_and_what_it_cannot_parse_gets_the_routes_answer(
    api, app, operator_token, monkeypatch
):
    # given a deal open now, and a count of the purchases the fast path answers itself
    _seller, _wine, _campaign, deal = wine_deal(api, operator_token, quantity=5)
    path = f"/api/v1/deals/{deal['id']}/purchase"
    bought_here = []
    answer = fast_path.answer_purchase

    async def counted(*args, **kwargs):
        bought_here.append(args[1])
        return await answer(*args, **kwargs)

    monkeypatch.setattr(fast_path, "answer_purchase", counted)
    buyer = buyer_with_identity(api)

    # when a buyer sends a valid keyless purchase, it is bought on the fast path
    won = purchase(api, buyer, deal["id"])
    assert won.status_code == 201, won.text
    assert set(won.json()) == {"order_id", "status", "expires_at"}
    assert bought_here == [deal["id"]]

    # and a body that is not JSON, a field of the wrong type, another media type or a key go to
    # the route, which answers each as it always did
    malformed = api.post(path, content=b"{", headers={**buyer.headers, **NOT_JSON})
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    wrong = api.post(path, json={"quantity": "1", "risk_notice_accepted": True}, headers=buyer.headers)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "validation_error")
    assert [p["field"] for p in wrong.json()["problems"]] == ["quantity"]
    as_text = api.post(
        path,
        content=b'{"quantity": 1, "risk_notice_accepted": true}',
        headers={**buyer.headers, "Content-Type": "text/plain"},
    )
    assert (as_text.status_code, as_text.json()["code"]) == (422, "validation_error")
    keyed = purchase(api, buyer, deal["id"], key="fp-winner-1")
    assert keyed.status_code == 201, keyed.text  # bought on the route (the deal allows 2 each)
    assert bought_here == [deal["id"]]

    # and the fast path's refusals are the app's own problem+json, CBEC problems listed
    no_identity = register(api, "buyer")
    refused = purchase(api, no_identity, deal["id"])
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["code"], [p["code"] for p in body["problems"]]) == (
        "identity_required",
        ["identity_required"],
    )
    seller_said = purchase(api, _seller, deal["id"])
    assert (seller_said.status_code, seller_said.json()["code"]) == (403, "forbidden")
    assert bought_here == [deal["id"]] * 3
    # and only the two purchases took units
    ledger = ledger_of(app, deal["id"])
    assert (ledger.remaining, ledger.orders) == (3, 2)
