"""The return window: thirty days from delivery, to the second."""

from datetime import UTC, datetime, timedelta

import pytest

from kuajing.order import return_window

DELIVERED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.once
@pytest.mark.parametrize(
    ("after", "open_"),
    [
        (timedelta(0), True),
        (timedelta(days=29, hours=23, minutes=59, seconds=59), True),
        (timedelta(days=30), True),
        (timedelta(days=30, microseconds=1), False),
        (timedelta(days=30, seconds=1), False),
        (timedelta(days=400), False),
    ],
)
def test_the_window_is_thirty_days_to_the_second(after, open_):
    assert return_window.window_open(DELIVERED, DELIVERED + after) is open_
    assert return_window.window_ends_at(DELIVERED) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)


@pytest.mark.once
def test_an_order_without_a_delivery_time_has_no_window():
    assert return_window.window_open(None, DELIVERED) is False
    assert return_window.window_ends_at(None) is None
