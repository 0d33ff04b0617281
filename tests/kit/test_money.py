from decimal import Decimal

import pytest

from kuajing.kit.money import Money, convert, minor_text, round_half_up

pytestmark = pytest.mark.once  # pure: no database


def test_conversion_rounds_half_up_to_the_fen():
    assert convert(Money(3000, "USD"), Decimal("7.1000"), "CNY") == Money(21300, "CNY")
    assert convert(Money(317, "USD"), Decimal("7.1"), "CNY") == Money(2251, "CNY")  # 22.507
    assert convert(Money(5, "USD"), Decimal("7.1"), "CNY") == Money(36, "CNY")  # 35.5 rounds up
    assert round_half_up(Decimal("-2.5")) == -3  # halves away from zero


@pytest.mark.parametrize(
    ("amount", "currency", "error"),
    [
        (30.0, "USD", TypeError),
        (True, "USD", TypeError),
        ("3000", "USD", TypeError),
        (3000, "EUR", ValueError),
    ],
)
def test_money_refuses_floats_and_unknown_currencies(amount, currency, error):
    with pytest.raises(error):
        Money(amount, currency)


@pytest.mark.once
def test_minor_units_are_written_as_plain_decimal_text():
    assert [minor_text(amount) for amount in (54405, 7, 0, -3100, -5)] == [
        "544.05",
        "0.07",
        "0.00",
        "-31.00",
        "-0.05",
    ]
