"""The rule book: tax rows, additional tariffs and limits in force on a given Beijing date.

Pure: built from rows, answers lookups, never touches the database.
"""

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from kuajing.pricing.amounts import LineInput
from kuajing.pricing.tax import Measures, TaxRate

ORIGIN = "US"  # every seller ships from the United States


def hs_digits(hs_code: str) -> str:
    return "".join(ch for ch in hs_code if ch.isdigit())


def _in_force(start: date, end: date | None, on: date) -> bool:
    return start <= on and (end is None or on <= end)


@dataclass(frozen=True, slots=True)
class OriginTariffRate:
    origin: str
    hs_prefix: str
    rate: Decimal
    effective_from: date
    effective_to: date | None
    within_cbec_limits: bool = False
    id: int = 0


@dataclass(frozen=True, slots=True)
class PositiveEntry:
    """A positive-list line and its remarks."""

    hs_prefix: str
    effective_from: date
    effective_to: date | None
    bonded_only: bool = False
    excluded: bool = False
    yearly_cap: int | None = None
    yearly_cap_unit: str | None = None  # "g" or "piece"
    id: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    per_order: int
    annual: int
    currency: str
    id: int = field(default=0, compare=False)


class RuleBook:
    def __init__(
        self,
        tax_rates: list[TaxRate],
        origin_tariffs: list[OriginTariffRate],
        limits: list[tuple[date, date | None, Limits]],
        positive_list: list[PositiveEntry] | None = None,
    ) -> None:
        # Longest prefix first, then the newest: the first row in force that matches is the most
        # specific and the latest, even when an older row was left open-ended.
        self._tax_rates = sorted(tax_rates, key=lambda r: (-len(r.hs_prefix), -r.effective_from.toordinal()))
        self._origin_tariffs = origin_tariffs
        self._limits = sorted(limits, key=lambda row: row[0], reverse=True)
        self._positive_list = sorted(
            positive_list or [], key=lambda e: (-len(e.hs_prefix), -e.effective_from.toordinal())
        )

    def tax_rate(self, hs_code: str, on: date) -> TaxRate | None:
        digits = hs_digits(hs_code)
        for rate in self._tax_rates:
            if digits.startswith(rate.hs_prefix) and _in_force(rate.effective_from, rate.effective_to, on):
                return rate
        return None

    def positive_entry(self, hs_code: str, on: date) -> PositiveEntry | None:
        """The most specific positive-list line in force that covers the code, if any."""
        digits = hs_digits(hs_code)
        for entry in self._positive_list:
            if digits.startswith(entry.hs_prefix) and _in_force(entry.effective_from, entry.effective_to, on):
                return entry
        return None

    def caps(self, hs_code: str, on: date) -> list[PositiveEntry]:
        """Every yearly cap that covers the code: a line's own and those of the broader lines
        above it (a cap on 1701 binds 1701.99 too, whatever a narrower line says)."""
        digits = hs_digits(hs_code)
        seen: set[str] = set()
        out = []
        for entry in self._positive_list:  # per prefix, the newest row comes first
            if entry.hs_prefix in seen or not digits.startswith(entry.hs_prefix):
                continue
            if _in_force(entry.effective_from, entry.effective_to, on):
                seen.add(entry.hs_prefix)
                if entry.yearly_cap is not None:
                    out.append(entry)
        return out

    def tariffs_in_force(self, origin: str, hs_code: str, on: date) -> list[OriginTariffRate]:
        digits = hs_digits(hs_code)
        return [
            t
            for t in self._origin_tariffs
            if t.origin == origin
            and digits.startswith(t.hs_prefix)
            and _in_force(t.effective_from, t.effective_to, on)
        ]

    def additional_tariff(
        self, origin: str, hs_code: str, on: date, *, within_limits: bool = False
    ) -> Decimal:
        """The sum of the additional-tariff measures in force: separate measures stack (as the
        2018 and 2019 ones on US wine did), so a measure that replaces another must end it.
        `within_limits` counts only the measures flagged as levied within the CBEC limits."""
        return sum(
            (
                t.rate
                for t in self.tariffs_in_force(origin, hs_code, on)
                if t.within_cbec_limits or not within_limits
            ),
            Decimal(0),
        )

    def line_input(
        self,
        *,
        product_id: int,
        hs_code: str,
        unit_price_usd: int,
        measures: Measures,
        quantity: int,
        on: date,
        entry: PositiveEntry | None,
    ) -> LineInput | None:
        """The line's tax inputs under the rules in force on `on`, or None when the goods may not
        use the CBEC channel (`entry` is the code's positive-list line, looked up by the caller)."""
        rate = self.tax_rate(hs_code, on)
        if rate is None or entry is None or entry.excluded:
            return None
        return LineInput(
            product_id=product_id,
            quantity=quantity,
            unit_price_usd=unit_price_usd,
            tax_rate=rate,
            additional_tariff_rate=self.additional_tariff(ORIGIN, hs_code, on),
            within_limits_tariff_rate=self.additional_tariff(ORIGIN, hs_code, on, within_limits=True),
            measures=measures,
        )

    def limits(self, on: date) -> Limits:
        for start, end, limits in self._limits:
            if _in_force(start, end, on):
                return limits
        raise LookupError(f"no CBEC limits in force on {on}")


def packaged_rows(package: str, filename: str) -> list[dict[str, Any]]:
    """Rows of a CSV shipped in the package, empty strings turned into None."""
    text = resources.files(package).joinpath("data", filename).read_text(encoding="utf-8")
    return [
        {k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(text.splitlines())
    ]
