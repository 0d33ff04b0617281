"""Sign-in, sign-up and identity attempts slowed for whoever guesses: moving windows from the
`limits` library, in Redis when KUAJING_REDIS_URL is set (every worker counts together), else
in the worker's memory.

Wrong passwords are counted per account (the email as typed, normalised, whether or not it has
an account: the answer must not tell) and every attempt per address. A window full refuses the
next attempt with 429 and Retry-After until the window frees: ten wrong passwords in a minute
lock the account for the rest of that minute, thirty in an hour for the rest of the hour, and no
email is needed to unlock it. Before the lock, each wrong password past the third is answered a
little later than the one before (a quarter second, doubling, at most two seconds).
"""

import asyncio
import time
import unicodedata

from limits import RateLimitItem, parse_many, storage
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import MovingWindowRateLimiter

from kuajing.errors import RateLimited
from kuajing.settings import Settings


def _storage(settings: Settings) -> AsyncStorage:
    if not settings.redis_url:
        made = storage.storage_from_string("async+memory://")
    else:
        scheme = "async+redis+cluster" if settings.redis_cluster else "async+redis"
        address = settings.redis_url.split("://", 1)[-1]
        made = storage.storage_from_string(
            f"{scheme}://{address}", implementation="redispy", key_prefix=f"{settings.redis_prefix}:limits"
        )
    assert isinstance(made, AsyncStorage)
    return made


FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 2.0


def delay_after(failures: int) -> float:
    """Seconds to wait before answering the `failures`-th wrong password in the window."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2.0 ** (failures - FREE_FAILURES - 1))


def _account(email: str) -> str:
    """The account an email names as sign-in reads it (NFKC, lower case): a full-width spelling
    of an address counts against the same account."""
    return unicodedata.normalize("NFKC", email).strip().lower()


class Throttle:
    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(_storage(settings))
        self._fails = parse_many(settings.rate_limit_sign_in_failures)
        self._sign_ins = parse_many(settings.rate_limit_sign_in_per_ip)
        self._account_sign_ins = parse_many(settings.rate_limit_sign_in_per_account)
        self._sign_ups = parse_many(settings.rate_limit_register_per_ip)
        self._identities = parse_many(settings.rate_limit_identity_per_account)

    async def _refuse_if_full(self, items: list[RateLimitItem], *key: str) -> None:
        for item in items:
            if not await self._limiter.test(item, *key):
                stats = await self._limiter.get_window_stats(item, *key)
                raise RateLimited(retry_after=max(1, round(stats.reset_time - time.time())))

    async def _take(self, items: list[RateLimitItem], *key: str) -> None:
        """One attempt counted in each window; refused (and not counted) when one is full."""
        await self._refuse_if_full(items, *key)
        for item in items:
            await self._limiter.hit(item, *key)

    async def sign_in(self, *, address: str, email: str) -> None:
        """Before a password is checked: the account not locked, the address not flooding."""
        await self._refuse_if_full(self._fails, "sign-in-failed", _account(email))
        await self._take(self._sign_ins, "sign-in", address)
        # failures are counted once their password is checked, so guesses sent together all pass
        # the test above: every attempt is counted here first
        await self._take(self._account_sign_ins, "sign-in-account", _account(email))

    async def wrong_password(self, *, email: str) -> None:
        """Count a wrong password against the account, and answer it later the more there were."""
        for item in self._fails:
            await self._limiter.hit(item, "sign-in-failed", _account(email))
        first = self._fails[0]
        stats = await self._limiter.get_window_stats(first, "sign-in-failed", _account(email))
        await asyncio.sleep(delay_after(first.amount - stats.remaining))

    async def sign_up(self, *, address: str) -> None:
        await self._take(self._sign_ups, "sign-up", address)

    async def identity(self, *, user_id: int) -> None:
        await self._take(self._identities, "identity", str(user_id))
