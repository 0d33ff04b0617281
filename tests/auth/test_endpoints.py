"""Accounts and tokens over HTTP: registering, signing in, who am I, revoking."""

import asyncio
import uuid

import httpx
import pytest

from tests.auth.factories import PASSWORD, register
from tests.helpers import problem_code


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


@pytest.mark.parametrize(
    "password",
    [
        "short1!", "password123", "aaaaaaaaaaaaaa", "x" * 129,
        "1234567891", "qwertyuiop12", "iloveyou2024", "P@ssw0rd2026",
    ],
)  # fmt: skip
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


def test_many_concurrent_logins_all_succeed(live_api):
    # more logins at once than the connection pool holds: none may wait on a second connection
    # (live: concurrent requests need a real server and its connection pool)
    buyer = register(live_api, "buyer")

    async def login_all():
        async with httpx.AsyncClient(base_url=str(live_api.base_url), timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/auth/token", json={"email": buyer.email, "password": PASSWORD})
                    for _ in range(40)
                )
            )

    responses = asyncio.run(login_all())
    assert [r.status_code for r in responses] == [200] * 40
    assert len({r.json()["token"] for r in responses}) == 40


def test_a_long_password_is_judged_whole_up_to_128_characters(api):
    strong = "correct horse battery staple, " * 4  # 120 characters: zxcvbn's own limit is 72
    response = api.post(
        "/api/v1/auth/register",
        json={
            "email": f"long-{uuid.uuid4().hex[:8]}@kuajing.test",
            "password": strong,
            "role": "buyer",
            "name": "L",
        },
    )
    assert response.status_code == 201, response.text
    weak = api.post(
        "/api/v1/auth/register",
        json={
            "email": f"long-{uuid.uuid4().hex[:8]}@kuajing.test",
            "password": "a" * 128,
            "role": "buyer",
            "name": "L",
        },
    )
    assert problem_code(weak, 422) == "weak_password"


def test_a_refused_password_says_why_and_the_email_is_no_password(api):
    email = f"chen.jing.{uuid.uuid4().hex[:6]}@kuajing.test"
    for password, detail in (
        (
            "Password2024",
            "This password is too easy to guess. This is similar to a commonly used password.",
        ),
        ("qwertyuiop12", "This is one of the 30,000 passwords people choose most; choose another."),
        (email, "The password must not be the email address."),
        (email.split("@")[0], "The password must not be the email address."),
    ):
        response = api.post(
            "/api/v1/auth/register",
            json={"email": email, "password": password, "role": "buyer", "name": "陈静"},
        )
        assert problem_code(response, 422) == "weak_password", password
        assert response.json()["detail"] == detail, password
