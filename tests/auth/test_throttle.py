"""Guessing is slowed (kuajing/auth/throttle.py): the 11th wrong password in a minute is refused
429 with Retry-After, for an account that exists or not alike, the right password included
while the account is locked; sign-ups per address and identities per account are bounded too."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from kuajing.app import create_app
from kuajing.auth.throttle import delay_after
from tests.auth.factories import PASSWORD, buyer_with_identity, new_id_number, register
from tests.in_process import settings_for
from tests.web.factories import another_browser, csrf_of


def sign_in(api, email, password):
    return api.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_the_eleventh_wrong_password_in_a_minute_is_refused_and_locks_the_account(api):
    buyer = register(api, "buyer")
    other = register(api, "buyer")
    for attempt in range(10):
        assert sign_in(api, buyer.email, f"wrong password {attempt}").status_code == 401, attempt
    locked = sign_in(api, buyer.email, "wrong password 10")
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    assert sign_in(api, buyer.email, PASSWORD).status_code == 429  # locked: the right one waits too
    assert sign_in(api, other.email, PASSWORD).status_code == 200  # another account is not


def test_an_email_without_an_account_is_counted_the_same_so_the_answer_tells_nothing(api):
    nobody = "nobody-here@kuajing.test"
    answers = [sign_in(api, nobody, f"guess {n}").status_code for n in range(11)]
    assert answers == [401] * 10 + [429]
    assert sign_in(api, nobody.upper(), "guess").status_code == 429  # however it is capitalised


def test_sign_ups_per_address_and_sign_ins_per_address_are_bounded(test_database_url):
    settings = settings_for(
        test_database_url, rate_limit_register_per_ip="2/minute", rate_limit_sign_in_per_ip="3/minute"
    )
    run = uuid.uuid4().hex[:8]  # this app commits: its accounts are new to the database
    with TestClient(create_app(settings)) as client:
        bodies = [
            {"email": f"flood-{run}-{n}@kuajing.test", "password": PASSWORD, "role": "buyer", "name": "F"}
            for n in range(3)
        ]
        codes = [client.post("/api/v1/auth/register", json=body).status_code for body in bodies]
        assert codes == [201, 201, 429]
        tries = [sign_in(client, f"flood-{run}-{n}@kuajing.test", PASSWORD).status_code for n in range(4)]
        assert tries == [200, 200, 401, 429]  # the third has no account; the fourth is one too many


def test_identities_per_account_are_bounded(api):
    buyer = buyer_with_identity(api)  # one identity set
    codes = [
        api.put(
            "/api/v1/buyer/identity",
            json={"name": "李娜", "id_number": new_id_number()},
            headers=buyer.headers,
        ).status_code
        for _ in range(10)
    ]
    assert codes == [200] * 9 + [429]


def test_the_sign_in_page_says_to_wait_after_too_many_wrong_passwords(api):
    buyer = register(api, "buyer")
    with another_browser(api) as browser:
        form = browser.get("/login")
        answers = [
            browser.post(
                "/login", data={"email": buyer.email, "password": f"wrong {n}", "csrf_token": csrf_of(form)}
            )
            for n in range(11)
        ]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert "尝试次数过多，请稍等一分钟后再试。" in answers[-1].text
    assert re.fullmatch(r"\d+", answers[-1].headers["retry-after"])


@pytest.mark.once
def test_each_wrong_password_past_the_third_is_answered_later_up_to_two_seconds():
    assert [delay_after(n) for n in range(1, 10)] == [0, 0, 0, 0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


def test_every_sign_in_attempt_counts_against_the_account_before_its_password_is_checked(test_database_url):
    # guesses sent together all pass the failure window before any of them is counted as a
    # failure: the attempts window, counted first, bounds them anyway
    settings = settings_for(test_database_url, rate_limit_sign_in_per_account="4/minute")
    with TestClient(create_app(settings)) as client:
        email = f"busy-{uuid.uuid4().hex[:8]}@kuajing.test"
        body = {"email": email, "password": PASSWORD, "role": "buyer", "name": "B"}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
        tries = [
            sign_in(client, email, PASSWORD if n % 2 else "wrong password").status_code for n in range(5)
        ]
        assert tries == [401, 200, 401, 200, 429]
        refused = sign_in(client, email, PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
