"""Opaque bearer tokens: random, stored only as a SHA-256 digest, revocable."""

import hashlib
import secrets
import time
from dataclasses import dataclass

PREFIX = "kj_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: enough to authorise without touching the database."""

    user_id: int
    role: str
    token_hash: str


class TokenCache:
    """A small per-process cache so the hot path does not query the database per request.

    A revoked token is forgotten at once by the process that revoked it and within
    `ttl` seconds by every other worker.
    """

    def __init__(self, ttl: float, max_entries: int = 50_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token_hash: str) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        expires, principal = entry
        if expires < time.monotonic():
            self._entries.pop(token_hash, None)
            return None
        return principal

    def put(self, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[principal.token_hash] = (time.monotonic() + self.ttl, principal)

    def forget(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)
