"""Argon2id password hashing (argon2-cffi), run off the event loop, and the password rule."""

import asyncio

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

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
# A short deny-list of the passwords breach corpora show first; length does the rest.
_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "qwertyuiop",
        "qwerty12345",
        "iloveyou123",
        "abc1234567",
        "a1234567890",
        "1q2w3e4r5t",
        "passw0rd123",
        "welcome123",
        "administrator",
        "changeme123",
        "letmein1234",
        "0123456789",
        "9876543210",
        "woaini1314",
    }
)


def check_rule(password: str, *, email: str) -> None:
    """Raise WeakPassword unless the password is long enough and not trivially guessable."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(message=f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(message=f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 4:
        raise WeakPassword(message="This password is too easy to guess.")
    if lowered == email.lower() or lowered == email.split("@", 1)[0].lower():
        raise WeakPassword(message="The password must not be the email address.")


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
