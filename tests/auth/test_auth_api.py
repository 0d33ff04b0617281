"""Accounts, tokens, and every endpoint refusing the wrong caller without changing anything."""

import asyncio
import uuid

import httpx
import pytest

from tests.auth.factories import (
    PASSWORD,
    buyer_with_identity,
    operator_headers,
    register,
    seller_with_profile,
)
from tests.catalog.factories import create_product
from tests.order.factories import place


def problem_code(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["code"]


def test_register_login_me_and_revoke(api):
    email = f"Mei.{uuid.uuid4().hex[:8]}@Example.test"
    registered = api.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "role": "buyer", "name": "Mei"}
    )
    assert registered.status_code == 201
    assert registered.json()["user"]["email"] == email.lower()
    assert registered.json()["user"]["role"] == "buyer"

    token = api.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).json()["token"]
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {
        "id": registered.json()["user"]["id"],
        "email": email.lower(),
        "role": "buyer",
        "name": "Mei",
    }

    assert api.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert (
        problem_code(api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
        == "invalid_token"
    )
    # the registration token is a different token and still works
    other = registered.json()["token"]
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(api):
    buyer = register(api, "buyer")
    wrong = api.post("/api/v1/auth/token", json={"email": buyer.email, "password": "not-the-password"})
    unknown = api.post("/api/v1/auth/token", json={"email": "nobody@kuajing.test", "password": PASSWORD})
    assert problem_code(wrong, 401) == problem_code(unknown, 401) == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


@pytest.mark.parametrize("password", ["short1!", "password123", "aaaaaaaaaaaaaa", "x" * 129])
def test_weak_passwords_are_refused(api, password):
    email = f"weak-{uuid.uuid4().hex[:8]}@kuajing.test"
    response = api.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "role": "buyer", "name": "W"}
    )
    assert problem_code(response, 422) == "weak_password"
    assert problem_code(api.post("/api/v1/auth/token", json={"email": email, "password": password}), 401) == (
        "invalid_credentials"
    )


def test_an_email_registers_once(api):
    buyer = register(api, "buyer")
    again = api.post(
        "/api/v1/auth/register",
        json={"email": buyer.email.upper(), "password": PASSWORD, "role": "seller", "name": "X"},
    )
    assert problem_code(again, 409) == "email_taken"


def test_nobody_registers_as_operator(api):
    response = api.post(
        "/api/v1/auth/register",
        json={
            "email": f"op-{uuid.uuid4().hex[:8]}@kuajing.test",
            "password": PASSWORD,
            "role": "operator",
            "name": "X",
        },
    )
    assert problem_code(response, 422) == "validation_error"


def test_registration_replay_returns_the_same_user(api):
    email = f"replay-{uuid.uuid4().hex[:8]}@kuajing.test"
    body = {"email": email, "password": PASSWORD, "role": "buyer", "name": "R"}
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/api/v1/auth/register", json=body, headers=key)
    second = api.post("/api/v1/auth/register", json=body, headers=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["user"] == second.json()["user"]
    assert first.json()["token"] != second.json()["token"]  # tokens are never stored in the clear
    other_password = api.post(
        "/api/v1/auth/register", json={**body, "password": "another-password-1"}, headers=key
    )
    assert problem_code(other_password, 422) == "idempotency_key_reused"


def test_missing_or_garbage_tokens_are_refused(api):
    assert problem_code(api.get("/api/v1/me"), 401) == "not_authenticated"
    assert (
        problem_code(api.get("/api/v1/me", headers={"Authorization": "Bearer kj_nope"}), 401)
        == "invalid_token"
    )
    assert problem_code(api.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401) == (
        "not_authenticated"
    )


def test_another_sellers_product_cannot_be_edited(api):
    owner = seller_with_profile(api)
    intruder = seller_with_profile(api)
    wine = create_product(api, owner)
    response = api.patch(
        f"/api/v1/products/{wine['id']}",
        json={"stock_delta": -100, "price": {"amount": 1, "currency": "USD"}},
        headers=intruder.headers,
    )
    assert problem_code(response, 403) == "not_your_product"
    after = api.get(f"/api/v1/products/{wine['id']}").json()
    assert (after["stock"], after["price"]["amount"]) == (100, 3000)

    buyer = register(api, "buyer")
    assert (
        problem_code(
            api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": -100}, headers=buyer.headers),
            403,
        )
        == "forbidden"
    )
    assert api.get(f"/api/v1/products/{wine['id']}").json()["stock"] == 100


def test_another_buyers_order_cannot_be_read_paid_or_cancelled(api):
    wine = create_product(api, seller_with_profile(api))
    owner = buyer_with_identity(api)
    other = buyer_with_identity(api)
    order = place(api, owner, [(wine["id"], 1)]).json()
    assert (
        problem_code(api.get(f"/api/v1/orders/{order['id']}", headers=other.headers), 404)
        == "order_not_found"
    )
    assert (
        problem_code(
            api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=other.headers),
            404,
        )
        == "order_not_found"
    )
    assert (
        problem_code(api.post(f"/api/v1/orders/{order['id']}/cancel", headers=other.headers), 404)
        == "order_not_found"
    )
    assert api.get("/api/v1/orders", headers=other.headers).json()["items"] == []
    assert (
        api.get(f"/api/v1/orders/{order['id']}", headers=owner.headers).json()["status"] == "pending_payment"
    )
    # another seller sees nothing either
    stranger = seller_with_profile(api)
    assert (
        problem_code(api.get(f"/api/v1/orders/{order['id']}", headers=stranger.headers), 404)
        == "order_not_found"
    )


def test_only_operators_change_the_fx_rate(api, operator_token):
    for account in (register(api, "buyer"), seller_with_profile(api)):
        response = api.put("/api/v1/fx-rates/USD-CNY", json={"rate": "9.9999"}, headers=account.headers)
        assert problem_code(response, 403) == "forbidden"
    assert (
        problem_code(api.put("/api/v1/fx-rates/USD-CNY", json={"rate": "9.9999"}), 401) == "not_authenticated"
    )
    assert api.get("/api/v1/fx-rates/USD-CNY").json()["rate"] == "7.1000"


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


def test_only_operators_read_the_jobs_report(api):
    assert (
        problem_code(api.get("/api/v1/impact/jobs", headers=register(api, "buyer").headers), 403)
        == "forbidden"
    )
    assert (
        problem_code(api.get("/api/v1/impact/jobs", headers=seller_with_profile(api).headers), 403)
        == "forbidden"
    )


def test_many_concurrent_logins_all_succeed(api):
    # more logins at once than the connection pool holds: none may wait on a second connection
    buyer = register(api, "buyer")

    async def login_all():
        async with httpx.AsyncClient(base_url=str(api.base_url), timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/auth/token", json={"email": buyer.email, "password": PASSWORD})
                    for _ in range(40)
                )
            )

    responses = asyncio.run(login_all())
    assert [r.status_code for r in responses] == [200] * 40
    assert len({r.json()["token"] for r in responses}) == 40
