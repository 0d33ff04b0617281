"""Argon2id password hashing (argon2-cffi), run off the event loop, and the password rule."""

import asyncio

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from kuajing.auth.errors import WeakPassword

# argon2-cffi's parameter profiles by the name KUAJING_PASSWORD_HASH_PROFILE gives. A hash carries
# its own parameters, so hashes made under one profile still verify under another.
PROFILES: dict[str, Parameters] = {
    "rfc_9106_low_memory": profiles.RFC_9106_LOW_MEMORY,  # the default: ~0.14 s a hash here
    "rfc_9106_high_memory": profiles.RFC_9106_HIGH_MEMORY,
    "cheapest": profiles.CHEAPEST,  # for test runs only: it protects nothing
}

MIN_LENGTH = 10
MAX_LENGTH = 128
# zxcvbn's estimate, 0-4, must reach this: 3 is "safely unguessable" (about 10^8 guesses or more),
# counted against its shipped lists of common passwords (30,000 of them), names, words and
# keyboard patterns, and against the account's own email.
MIN_SCORE = 3
# The most common passwords of leaked lists, as zxcvbn ships them: refused outright, whatever score
# the rest of a longer password would earn.
COMMON_PASSWORDS = frozenset(FREQUENCY_LISTS["passwords"])


def check_rule(password: str, *, email: str) -> None:
    """Raise WeakPassword unless the password is long enough and hard to guess, saying why."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(message=f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(message=f"Use at most {MAX_LENGTH} characters.")
    lowered, local = password.lower(), email.split("@", 1)[0].lower()
    if lowered in (email.lower(), local):
        raise WeakPassword(message="The password must not be the email address.")
    if lowered in COMMON_PASSWORDS:
        raise WeakPassword(
            message=f"This is one of the {len(COMMON_PASSWORDS):,} passwords people choose most; "
            "choose another."
        )
    estimate = zxcvbn(password, user_inputs=[email, local], max_length=MAX_LENGTH)  # its default is 72
    if estimate["score"] < MIN_SCORE:
        advice = estimate["feedback"]["warning"] or "Add another word or two; uncommon words are better."
        raise WeakPassword(message=f"This password is too easy to guess. {advice}".strip())


class Passwords:
    """Hashing and checking passwords with the process's argon2 parameters."""

    def __init__(self, profile: str = "rfc_9106_low_memory") -> None:
        self._hasher = PasswordHasher.from_parameters(PROFILES[profile])
        self._decoy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        def _verify() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(_verify)

    def outdated(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than this process's (a profile
        changed since): it is made again at the next sign-in."""
        return self._hasher.check_needs_rehash(password_hash)

    async def decoy(self) -> str:
        """A hash to verify against when the account does not exist, so timing reveals nothing."""
        if self._decoy is None:
            self._decoy = await self.hash("decoy-password-never-matches")
        return self._decoy
