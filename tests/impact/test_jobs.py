from decimal import Decimal

import pytest

from kuajing.impact.jobs import jobs_supported

pytestmark = pytest.mark.once  # pure: no database


def test_one_billion_dollars_supports_the_ratio():
    assert jobs_supported(100_000_000_000, 5744) == Decimal("5744.0000")


def test_small_sales_keep_four_decimals():
    # $12,345.67 × 5,744 / 1e9 = 0.07091353...
    assert jobs_supported(1_234_567, 5744) == Decimal("0.0709")


def test_no_sales_no_jobs():
    assert jobs_supported(0, 5744) == Decimal("0.0000")
