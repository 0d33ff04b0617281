"""Clocks: UTC for storage, Beijing time for the CBEC calendar year."""

from datetime import UTC, date, datetime, timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact
# and needs no tz database on the host.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def beijing_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def beijing_year(moment: datetime) -> int:
    return beijing_date(moment).year
