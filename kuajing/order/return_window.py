"""The 30 days after delivery in which a buyer may ask to return an order."""

from datetime import datetime, timedelta

# Counted from the delivered transition; a request at exactly 30 days is still in time.
RETURN_WINDOW = timedelta(days=30)


def window_ends_at(delivered_at: datetime | None) -> datetime | None:
    return None if delivered_at is None else delivered_at + RETURN_WINDOW


def window_open(delivered_at: datetime | None, now: datetime) -> bool:
    ends = window_ends_at(delivered_at)
    return ends is not None and now <= ends
