"""The buyers set in Redis before a campaign opens (compliance.buyer_facts, decision 0013), by
the Redis ledger's upkeep loop, so that the rush at 00:00 reads none of its buyers from the
database even if no operator ran `kuajing flash-sale warm-buyers`.

Each campaign is warmed once in its Beijing year, by whichever process first marks it in Redis
(SET NX, the mark kept until the campaign ends); a flush drops the marks, and the next round
warms again. Warming leaves what Redis holds as it is, so two processes racing do no harm."""

import contextlib
import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from kuajing.compliance import year
from kuajing.compliance.year import Warmed
from kuajing.db import Database
from kuajing.flash_sale import reservations
from kuajing.kit.time import beijing_year
from kuajing.stock_ledger.redis_stock import RedisStock

log = logging.getLogger(__name__)


def mark_key(stock: RedisStock, campaign_id: int, the_year: int) -> str:
    return f"{stock.prefix}:warmed:{campaign_id}:{the_year}"


async def warm_before_opening(
    database: Database, stock: RedisStock, *, ahead: timedelta, now: datetime
) -> list[Warmed]:
    """Warm every buyer for the Beijing year a campaign opens in, if a campaign opening within
    `ahead` (or open) has not been warmed for it; what each year's warming did (none when there
    was nothing to do). A failed warm takes its marks back, for the next round to try again."""
    async with database.transaction(write=False) as session:
        campaigns = await reservations.campaigns_opening(session, now=now, by=now + ahead)
    marked: dict[int, list[str]] = {}  # year -> the marks this round set for it
    for campaign_id, starts_at, ends_at in campaigns:
        # a sale opening at 00:00 on 1 January counts against the new year
        the_year = beijing_year(max(now, starts_at))
        key = mark_key(stock, campaign_id, the_year)
        if await stock.client.set(key, "1", nx=True, pxat=int(ends_at.timestamp() * 1000)):
            marked.setdefault(the_year, []).append(key)
    done = []
    for the_year, keys in sorted(marked.items()):
        try:
            warmed = await year.warm(database, year=the_year)
        except BaseException:  # a failure, or the worker stopping halfway: the next round warms
            for key in keys:
                with contextlib.suppress(RedisError):
                    await stock.client.delete(key)
            raise
        log.info("buyers set in Redis for %d before a campaign opens: %s", the_year, warmed)
        done.append(warmed)
    return done
