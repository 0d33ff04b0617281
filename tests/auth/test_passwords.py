"""Passwords are hashed with argon2id at RFC 9106's low-memory parameters unless a process is told
otherwise, and every hash verifies whatever profile the process runs now."""

import asyncio

import pytest

from kuajing.auth.passwords import Passwords
from kuajing.settings import Settings


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
