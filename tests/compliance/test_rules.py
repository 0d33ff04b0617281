"""The rule book picks the most specific, newest row in force on the Beijing date asked."""

from datetime import date
from decimal import Decimal

import pytest

from kuajing.compliance.rule_files import parse
from kuajing.compliance.rules import Limits, OriginTariffRate, RuleBook
from kuajing.pricing.tax import TaxRate

pytestmark = pytest.mark.once  # pure: no database


def rate(id_, prefix, vat, start, end=None):
    return TaxRate(id_, prefix, Decimal(vat), Decimal(0), Decimal("0.1"), start, end)


BOOK = RuleBook(
    [
        rate(1, "2204", "0.17", date(2016, 4, 8), date(2018, 4, 30)),
        rate(2, "2204", "0.16", date(2018, 5, 1)),  # left open-ended by mistake
        rate(3, "2204", "0.13", date(2019, 4, 1)),
        rate(4, "220421", "0.13", date(2019, 4, 1)),
    ],
    [
        OriginTariffRate("US", "", Decimal("0.10"), date(2025, 5, 14), None),
        OriginTariffRate("US", "2204", Decimal("0.15"), date(2018, 4, 2), date(2019, 12, 31)),
    ],
    [
        (date(2016, 4, 8), None, Limits(200000, 2000000, "CNY")),  # an old row left open-ended
        (date(2019, 1, 1), None, Limits(500000, 2600000, "CNY")),
    ],
)


def test_the_longest_prefix_wins():
    assert BOOK.tax_rate("2204.21", date(2026, 11, 25)).id == 4
    assert BOOK.tax_rate("2204.10", date(2026, 11, 25)).id == 3


def test_the_newest_row_in_force_wins_over_an_older_open_ended_one():
    assert BOOK.tax_rate("2204.10", date(2018, 6, 1)).id == 2
    assert BOOK.tax_rate("2204.10", date(2017, 6, 1)).id == 1
    assert BOOK.tax_rate("2204.10", date(2016, 1, 1)) is None


def test_limits_in_force_by_date():
    assert BOOK.limits(date(2026, 11, 25)) == Limits(500000, 2600000, "CNY")
    assert BOOK.limits(date(2018, 12, 31)) == Limits(200000, 2000000, "CNY")


def test_additional_tariffs_in_force_stack_by_origin_and_prefix():
    assert BOOK.additional_tariff("US", "2204.21", date(2026, 11, 25)) == Decimal("0.10")
    assert BOOK.additional_tariff("US", "2204.21", date(2019, 6, 1)) == Decimal("0.15")
    assert BOOK.additional_tariff("US", "0808.10", date(2019, 6, 1)) == Decimal(0)
    assert BOOK.additional_tariff("FR", "2204.21", date(2026, 11, 25)) == Decimal(0)


def test_unknown_codes_are_off_the_list():
    assert BOOK.tax_rate("9305.10", date(2026, 11, 25)) is None


def test_only_flagged_tariffs_count_within_the_limits():
    book = RuleBook(
        [],
        [
            OriginTariffRate("US", "", Decimal("0.10"), date(2025, 5, 14), None),
            OriginTariffRate("US", "0808", Decimal("0.05"), date(2025, 5, 14), None, within_cbec_limits=True),
        ],
        [],
    )
    on = date(2026, 11, 25)
    assert book.additional_tariff("US", "2204.21", on) == Decimal("0.10")
    assert book.additional_tariff("US", "2204.21", on, within_limits=True) == Decimal(0)
    assert book.additional_tariff("US", "0808.10", on) == Decimal("0.15")
    assert book.additional_tariff("US", "0808.10", on, within_limits=True) == Decimal("0.05")


def test_the_packaged_us_tariff_is_not_levied_within_the_limits():
    from importlib import resources

    text = (
        resources.files("kuajing.compliance")
        .joinpath("data", "origin_tariffs.csv")
        .read_text(encoding="utf-8")
    )
    rows = parse(text).rows
    assert [(r["origin"], r["rate"], r["within_cbec_limits"]) for r in rows] == [
        ("US", Decimal("0.10"), False)
    ]
