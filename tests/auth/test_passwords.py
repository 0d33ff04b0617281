"""Passwords are hashed with argon2id at RFC 9106's low-memory parameters unless a process is told
otherwise, and every hash verifies whatever profile the process runs now."""

import asyncio

import pytest

from kuajing.auth.errors import WeakPassword
from kuajing.auth.passwords import COMMON_PASSWORDS, Passwords, check_rule
from kuajing.models import User
from kuajing.settings import Settings
from tests.auth.factories import PASSWORD, register


@pytest.mark.once
def test_the_default_is_rfc_9106_low_memory_and_a_hash_says_so():
    assert Settings().password_hash_profile == "rfc_9106_low_memory"
    hashed = asyncio.run(Passwords().hash("correct-horse-battery"))
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.once
def test_a_hash_made_under_one_profile_verifies_under_another_and_a_wrong_password_does_not():
    cheap = asyncio.run(Passwords("cheapest").hash("correct-horse-battery"))
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    default = Passwords()
    assert asyncio.run(default.verify(cheap, "correct-horse-battery")) is True
    assert asyncio.run(default.verify(cheap, "correct-horse-batterz")) is False
    assert asyncio.run(default.verify("not a hash", "correct-horse-battery")) is False


def test_a_hash_made_with_other_parameters_is_made_again_at_the_next_sign_in(api, app, monkeypatch):
    # given an account hashed with the cheapest parameters (as this test app hashes)
    buyer = register(api, "buyer")
    hashed_before = app.run(lambda session: _hash_of(session, buyer.id), write=False)
    assert hashed_before.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # when the process runs with the default profile again (this test's runtime: rolled back after)
    monkeypatch.setitem(app.runtime._parts, Passwords, Passwords())
    signed_in = api.post("/api/v1/auth/token", json={"email": buyer.email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    # then the stored hash is the default profile's, and it still opens the account
    hashed_after = app.run(lambda session: _hash_of(session, buyer.id), write=False)
    assert hashed_after.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    again = api.post("/api/v1/auth/token", json={"email": buyer.email, "password": PASSWORD})
    assert again.status_code == 200
    assert app.run(lambda session: _hash_of(session, buyer.id), write=False) == hashed_after  # current: kept


async def _hash_of(session, user_id):
    return (await session.get(User, user_id, populate_existing=True)).password_hash


@pytest.mark.once
def test_the_shipped_list_of_common_passwords_is_refused_outright():
    assert len(COMMON_PASSWORDS) == 30_000
    for common in ("password123", "Manchester", "q1w2e3r4t5", "1234567890"):
        with pytest.raises(WeakPassword, match="one of the 30,000 passwords people choose most"):
            check_rule(common, email="mei@example.test")
    check_rule("tea kettle on the amber hill", email="mei@example.test")  # long and uncommon: fine
