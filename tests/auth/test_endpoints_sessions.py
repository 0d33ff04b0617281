"""Tokens end (idle and absolute), are listed per device and revoked one by one; emails and
names are compared as people read them (NFKC) and refused with hidden characters."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update

from kuajing.kit.time import utcnow
from kuajing.models import ApiToken, User
from tests.auth.factories import PASSWORD, register
from tests.helpers import assert_problem, in_db


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(api, email: str, agent: str) -> str:
    response = api.post(
        "/api/v1/auth/token", json={"email": email, "password": PASSWORD}, headers={"User-Agent": agent}
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_an_account_lists_its_sessions_and_signs_one_out(api, app):
    buyer = register(api, "buyer")
    phone = sign_in(api, buyer.email, "KuajingPhone/2.1 (iPhone)")
    listed = api.get("/api/v1/auth/tokens", headers=bearer(phone))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [(i["device"], i["current"]) for i in items] == [
        ("api: KuajingPhone/2.1 (iPhone)", True),
        ("api: testclient", False),
    ]
    for item in items:  # unused for 30 days, a token ends; the 90-day end is later
        assert api_time(item["expires_at"]) == api_time(item["last_used_at"]) + timedelta(days=30)

    # the registration's token is signed out by id from the phone; the phone's still works
    assert api.delete(f"/api/v1/auth/tokens/{items[1]['id']}", headers=bearer(phone)).status_code == 204
    assert_problem(api.get("/api/v1/me", headers=buyer.headers), 401, "invalid_token")
    assert api.get("/api/v1/me", headers=bearer(phone)).status_code == 200
    assert [i["id"] for i in api.get("/api/v1/auth/tokens", headers=bearer(phone)).json()["items"]] == [
        items[0]["id"]
    ]
    # signed out twice, or someone else's: not found, nothing changes
    assert_problem(
        api.delete(f"/api/v1/auth/tokens/{items[1]['id']}", headers=bearer(phone)), 404, "session_not_found"
    )
    stranger = register(api, "seller")
    assert_problem(
        api.delete(f"/api/v1/auth/tokens/{items[0]['id']}", headers=stranger.headers),
        404,
        "session_not_found",
    )
    assert api.get("/api/v1/me", headers=bearer(phone)).status_code == 200
    assert_problem(api.get("/api/v1/auth/tokens"), 401, "not_authenticated")


def api_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _age(app, email: str, **values) -> None:
    async def work(session):
        user_id = (await session.execute(User.__table__.select().where(User.email == email))).first().id
        await session.execute(update(ApiToken).where(ApiToken.user_id == user_id).values(**values))

    in_db(app, work)


def test_a_token_unused_for_the_idle_time_no_longer_signs_in(api, app):
    idle, fresh = register(api, "buyer"), register(api, "buyer")
    _age(app, idle.email, last_used_at=utcnow() - timedelta(days=30, seconds=1))
    _age(app, fresh.email, last_used_at=utcnow() - timedelta(days=29, hours=23))
    assert_problem(api.get("/api/v1/me", headers=idle.headers), 401, "invalid_token")
    assert api.get("/api/v1/me", headers=fresh.headers).status_code == 200
    # signing in again gives a working token
    assert api.get("/api/v1/me", headers=bearer(sign_in(api, idle.email, "again"))).status_code == 200


def test_a_token_past_its_absolute_end_no_longer_signs_in_however_used(api, app):
    buyer = register(api, "buyer")
    _age(app, buyer.email, expires_at=utcnow() - timedelta(seconds=1), last_used_at=utcnow())
    response = api.get("/api/v1/me", headers=buyer.headers)
    assert_problem(response, 401, "invalid_token")
    assert "expired" in response.json()["detail"]


def test_look_alike_emails_are_one_address_and_hidden_characters_are_refused(api):
    tag = uuid.uuid4().hex[:8]
    wide = f"ｍｅｉ.{tag}@ｅｘａｍｐｌｅ.test"  # full-width letters: NFKC makes them ASCII
    registered = api.post(
        "/api/v1/auth/register", json={"email": wide, "password": PASSWORD, "role": "buyer", "name": "Ｍｅｉ"}
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["email"] == f"mei.{tag}@example.test"
    assert registered.json()["user"]["name"] == "Mei"
    again = api.post(
        "/api/v1/auth/register",
        json={"email": f"MEI.{tag}@example.test", "password": PASSWORD, "role": "buyer", "name": "Mei"},
    )
    assert_problem(again, 409, "email_taken")
    assert sign_in(api, f"mei.{tag}@example.test", "ascii")

    for email, name in (
        (f"mei.{tag}\u200b@example.test", "Mei"),  # zero-width space
        (f"other.{tag}@example.test", "Mei\u202egnp.exe"),  # right-to-left override
        (f"other.{tag}@example.test", "Mei\u3164"),  # Hangul filler
    ):
        refused = api.post(
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "role": "buyer", "name": name},
        )
        assert_problem(refused, 422, "invisible_characters")
        assert "U+" in refused.json()["detail"]
    # signing in with a hidden character answers as a wrong password does
    hidden = api.post(
        "/api/v1/auth/token", json={"email": f"mei.{tag}\u200b@example.test", "password": PASSWORD}
    )
    assert_problem(hidden, 401, "invalid_credentials")
    assert_problem(
        api.post("/api/v1/auth/token", json={"email": f"other.{tag}@example.test", "password": PASSWORD}),
        401,
        "invalid_credentials",
    )


def test_a_real_name_with_hidden_characters_is_refused(api):
    buyer = register(api, "buyer")
    response = api.put(
        "/api/v1/buyer/identity",
        json={"name": "李\u200d娜", "id_number": "11010519491231002X"},
        headers=buyer.headers,
    )
    assert_problem(response, 422, "invisible_characters")
    assert_problem(api.get("/api/v1/buyer/identity", headers=buyer.headers), 404, "identity_required")
