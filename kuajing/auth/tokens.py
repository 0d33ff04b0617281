"""Opaque bearer tokens: random, stored only as a SHA-256 digest, revocable."""

import hashlib
import secrets
from dataclasses import dataclass

from kuajing.kit.ttl_cache import TTLCache

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
    name: str = ""  # as the pages' headers greet them


class TokenCache:
    """A small per-process cache so the hot path does not query the database per request.

    A revoked token is forgotten at once by the process that revoked it and within
    `ttl` seconds by every other worker.
    """

    def __init__(self, ttl: float, max_entries: int = 50_000) -> None:
        self._cache: TTLCache[str, Principal] = TTLCache(ttl, max_entries)

    def get(self, token_hash: str) -> Principal | None:
        return self._cache.get(token_hash)

    def put(self, principal: Principal) -> None:
        self._cache.put(principal.token_hash, principal)

    def forget(self, token_hash: str) -> None:
        self._cache.forget(token_hash)
