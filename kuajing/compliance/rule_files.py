"""Rule files: the CSV tables operators export, edit and import.

An import is checked whole before anything is written: every row of the file, then the table as
it would stand afterwards (no two rows for the same scope in force on the same day). One bad row
refuses the file and names the row. Rows are history: a row already in force (or, for tax rows,
used by an order) keeps its values; the only change it accepts is an end date no earlier than
today, so a new dated row can take over from tomorrow.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

HS_PREFIX = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{8}|\d{10})$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_ERRORS = 20
BOOLEAN_COLUMNS = frozenset({"within_cbec_limits", "bonded_only", "excluded"})
MAX_CELL = 2000  # characters in a source or remark
MAX_WHOLE = 2_000_000_000  # fen, grams or pieces: fits every database's integer
MAX_PLACES = 8  # decimal places in a rate or threshold
DECIMAL = re.compile(rf"-?\d{{1,10}}(\.\d{{1,{MAX_PLACES}}})?")
# Text columns the database holds in a bounded column, and their sizes.
TEXT_SIZES = {"name_en": 200, "name_zh": 200, "currency": 3, "yearly_cap_unit": 8, "origin": 2}


class RuleFileError(ValueError):
    """The file is refused: every problem found, each naming its row (the header is line 1)."""

    def __init__(self, table: str | None, errors: list[str]) -> None:
        self.table = table
        self.errors = errors
        shown = errors[:MAX_ERRORS]
        more = f"\n  … and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        super().__init__("\n".join(f"  {e}" for e in shown) + more)


@dataclass(frozen=True, slots=True)
class Bound:
    """The range a number column accepts: low <= value <= high, or < high when not included."""

    low: Decimal
    high: Decimal
    high_included: bool = True
    hint: str = ""

    def problem(self, column: str, value: Decimal) -> str | None:
        if self.low <= value and (value <= self.high if self.high_included else value < self.high):
            return None
        if self.high_included:
            return f"{column} {value} is outside {self.low}-{self.high}{self.hint}"
        return f"{column} {value} must be at least {self.low} and below {self.high}{self.hint}"


RATE = Bound(Decimal(0), Decimal(1), hint=" (write 13% as 0.13)")
# Consumption tax is levied on price / (1 - rate): a rate of 1 has no meaning.
CONSUMPTION_RATE = Bound(Decimal(0), Decimal(1), high_included=False, hint=" (write 10% as 0.10)")
# Additional tariffs have passed 100% (125% on US goods in April 2025, domain-facts §7.4).
TARIFF = Bound(Decimal(0), Decimal(5), hint=" (write 125% as 1.25)")


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str  # the database table
    filename: str  # the packaged CSV
    columns: tuple[str, ...]  # in file order
    key: tuple[str, ...]  # natural key: one row per key
    scope: tuple[str, ...]  # rows with the same scope must not overlap in time
    required: frozenset[str]
    numbers: dict[str, Bound] = field(default_factory=dict)  # Decimal columns and their ranges
    check: Callable[[dict[str, Any]], list[str]] | None = None
    dated: bool = True


def _hs_prefix(row: dict[str, Any], *, empty_allowed: bool = False) -> list[str]:
    value = row.get("hs_prefix") or ""
    if value == "" and empty_allowed:
        return []
    if not HS_PREFIX.match(value):
        return [f"hs_prefix {value!r} is not an HS code of 2, 4, 6, 8 or 10 digits (no dots)"]
    return []


def _check_tax(row: dict[str, Any]) -> list[str]:
    errors = _hs_prefix(row)
    high_end = [row.get(c) for c in ("high_end_min_per_ml_or_g", "high_end_min_per_piece")]
    if row.get("high_end_consumption_tax_rate") is not None and all(v is None for v in high_end):
        errors.append(
            "high_end_consumption_tax_rate needs a high_end_min_per_ml_or_g or high_end_min_per_piece"
        )
    return errors


def _check_tariff(row: dict[str, Any]) -> list[str]:
    errors = _hs_prefix(row, empty_allowed=True)
    if not COUNTRY.match(row.get("origin") or ""):
        errors.append(f"origin {row.get('origin')!r} is not a two-letter country code such as US")
    return errors


def _check_limits(row: dict[str, Any]) -> list[str]:
    errors = []
    if row.get("currency") != "CNY":
        errors.append(f"currency {row.get('currency')!r}: CBEC limits are in CNY")
    if (row.get("per_order_amount") or 0) > (row.get("annual_amount") or 0):
        errors.append("per_order_amount is larger than annual_amount")
    return errors


def _check_positive(row: dict[str, Any]) -> list[str]:
    errors = _hs_prefix(row)
    cap, unit = row.get("yearly_cap"), row.get("yearly_cap_unit")
    if (cap is None) != (unit is None):
        errors.append("yearly_cap and yearly_cap_unit go together")
    if unit is not None and unit not in ("g", "piece"):
        errors.append(f"yearly_cap_unit {unit!r} must be g or piece")
    if cap is not None and cap <= 0:
        errors.append("yearly_cap must be a positive whole number")
    return errors


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            name="tax_rules",
            filename="tax_rates.csv",
            columns=(
                "hs_prefix",
                "name_en",
                "name_zh",
                "vat_rate",
                "consumption_tax_rate",
                "mfn_tariff_rate",
                "effective_from",
                "effective_to",
                "source",
                "remarks",
                "consumption_tax_per_litre",
                "high_end_consumption_tax_rate",
                "high_end_min_per_ml_or_g",
                "high_end_min_per_piece",
            ),
            key=("hs_prefix", "effective_from"),
            scope=("hs_prefix",),
            required=frozenset(
                {"hs_prefix", "name_en", "name_zh", "vat_rate", "consumption_tax_rate", "mfn_tariff_rate"}
            ),
            numbers={
                "vat_rate": RATE,
                "consumption_tax_rate": CONSUMPTION_RATE,
                "mfn_tariff_rate": RATE,
                "high_end_consumption_tax_rate": CONSUMPTION_RATE,
                "consumption_tax_per_litre": Bound(Decimal(0), Decimal(10_000), hint=" yuan per litre"),
                "high_end_min_per_ml_or_g": Bound(Decimal(0), Decimal(1_000_000), hint=" yuan"),
                "high_end_min_per_piece": Bound(Decimal(0), Decimal(1_000_000), hint=" yuan"),
            },
            check=_check_tax,
        ),
        TableSpec(
            name="origin_tariffs",
            filename="origin_tariffs.csv",
            columns=(
                "origin",
                "hs_prefix",
                "rate",
                "effective_from",
                "effective_to",
                "within_cbec_limits",
                "source",
            ),
            key=("origin", "hs_prefix", "effective_from"),
            scope=("origin", "hs_prefix"),
            required=frozenset({"origin", "rate", "within_cbec_limits"}),
            numbers={"rate": TARIFF},
            check=_check_tariff,
        ),
        TableSpec(
            name="cbec_limits",
            filename="cbec_limits.csv",
            columns=(
                "per_order_amount",
                "annual_amount",
                "currency",
                "effective_from",
                "effective_to",
                "source",
            ),
            key=("effective_from",),
            scope=(),
            required=frozenset({"per_order_amount", "annual_amount", "currency"}),
            check=_check_limits,
        ),
        TableSpec(
            name="positive_list_entries",
            filename="positive_list.csv",
            columns=(
                "hs_prefix",
                "name_en",
                "name_zh",
                "bonded_only",
                "excluded",
                "yearly_cap",
                "yearly_cap_unit",
                "effective_from",
                "effective_to",
                "source",
                "remarks",
            ),
            key=("hs_prefix", "effective_from"),
            scope=("hs_prefix",),
            required=frozenset({"hs_prefix", "name_en", "name_zh", "bonded_only", "excluded"}),
            check=_check_positive,
        ),
    )
}


@dataclass(slots=True)
class ParsedFile:
    spec: TableSpec
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the file line of each row


def packaged_text(spec: TableSpec) -> str:
    """The rule file shipped in the package for this table."""
    return resources.files("kuajing.compliance").joinpath("data", spec.filename).read_text(encoding="utf-8")


def table_for(header: list[str]) -> TableSpec | None:
    """The table whose columns the header names, in any order."""
    names = set(header)
    for spec in TABLES.values():
        if names == set(spec.columns):
            return spec
    return None


def _value(spec: TableSpec, column: str, raw: str | None) -> Any:
    """One cell as the column holds it; raises ValueError with a readable reason."""
    text = (raw or "").strip()
    if text == "":
        if column in ("hs_prefix", "remarks"):
            return ""
        return None
    if column in BOOLEAN_COLUMNS:
        if text not in ("true", "false"):
            raise ValueError(f"{column} must be true or false, not {text!r}")
        return text == "true"
    if column.startswith("effective_"):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{column} {text!r} is not a date (YYYY-MM-DD)") from None
    if column.endswith("_amount") or column == "yearly_cap":
        if not re.fullmatch(r"\d{1,10}", text) or int(text) > MAX_WHOLE:
            raise ValueError(f"{column} {_short(text)} is not a whole number from 0 to {MAX_WHOLE:,}")
        return int(text)
    if column in spec.numbers:
        if not DECIMAL.fullmatch(text):
            raise ValueError(
                f"{column} {_short(text)} is not a number with at most {MAX_PLACES} decimal places"
            )
        return Decimal(text)
    limit = TEXT_SIZES.get(column, MAX_CELL)
    if len(text) > limit:
        raise ValueError(f"{column} is {len(text)} characters long; at most {limit}")
    return text


def _short(text: str) -> str:
    return repr(text if len(text) <= 24 else text[:20] + "…")


def parse(text: str) -> ParsedFile:
    """Read a rule file and check each row on its own. Raises RuleFileError naming every bad row."""
    if text.startswith("\ufeff"):
        text = text[1:]  # spreadsheets save CSV with a byte-order mark
    try:
        return _parse(text)
    except csv.Error as exc:
        raise RuleFileError(None, [f"the file is not readable CSV: {exc}"]) from exc


def _parse(text: str) -> ParsedFile:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    spec = table_for(list(header))
    if spec is None:
        known = "; ".join(f"{s.name}: {','.join(s.columns)}" for s in TABLES.values())
        raise RuleFileError(None, [f"line 1: the header {','.join(header)!r} names no rule table ({known})"])
    parsed = ParsedFile(spec)
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        if None in row:  # more cells than the header has columns
            errors.append(f"line {line}: more cells than the header has columns")
            continue
        values: dict[str, Any] = {}
        problems: list[str] = []
        for column in spec.columns:
            try:
                values[column] = _value(spec, column, row.get(column))
            except ValueError as exc:
                problems.append(str(exc))
        if not problems:
            problems = _row_problems(spec, values)
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
        else:
            parsed.rows.append(values)
            parsed.lines.append(line)
    if not errors and not parsed.rows:
        errors.append("the file has a header and no rows")
    keys: dict[tuple[Any, ...], int] = {}
    for values, line in zip(parsed.rows, parsed.lines, strict=True):
        key = tuple(values[c] for c in spec.key)
        if key in keys:
            errors.append(f"line {line}: the same {'/'.join(spec.key)} as line {keys[key]}")
        keys[key] = line
    if errors:
        raise RuleFileError(spec.name, errors)
    return parsed


def _row_problems(spec: TableSpec, values: dict[str, Any]) -> list[str]:
    problems = []
    for column in sorted(spec.required):
        if values.get(column) in (None, ""):
            problems.append(f"{column} is required")
    if spec.dated:
        if values.get("effective_from") is None:
            problems.append("effective_from is required")
        if not (values.get("source") or "").strip():
            problems.append("source is required: say where the rule comes from")
    for column, bound in sorted(spec.numbers.items()):
        value = values.get(column)
        problem = bound.problem(column, value) if value is not None else None
        if problem:
            problems.append(problem)
    start, end = values.get("effective_from"), values.get("effective_to")
    if start is not None and end is not None and end < start:
        problems.append(f"effective_to {end} is before effective_from {start}")
    if spec.check is not None and not problems:
        problems = spec.check(values)
    return problems


def overlaps(spec: TableSpec, rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Rows of one scope whose date ranges share a day. `rows` pairs each row with where it
    comes from (a file line, or 'the database')."""
    errors = []
    by_scope: dict[tuple[Any, ...], list[tuple[str, dict[str, Any]]]] = {}
    for where, row in rows:
        by_scope.setdefault(tuple(row[c] for c in spec.scope), []).append((where, row))
    for scope, members in by_scope.items():
        members.sort(key=lambda m: m[1]["effective_from"])
        for (where_a, a), (where_b, b) in zip(members, members[1:], strict=False):
            if a["effective_to"] is None or a["effective_to"] >= b["effective_from"]:
                label = ", ".join(f"{c}={v or '(all)'}" for c, v in zip(spec.scope, scope, strict=True))
                ends = a["effective_to"] or "open-ended"
                errors.append(
                    f"{where_b}: {label or 'the limits'} from {b['effective_from']} overlaps {where_a} "
                    f"({a['effective_from']} to {ends}); end the earlier row the day before"
                )
    return errors


def export_csv(spec: TableSpec, rows: list[dict[str, Any]]) -> str:
    """The table as a rule file, oldest scope first; importing it again changes nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(spec.columns)
    for row in sorted(rows, key=lambda r: tuple(str(r[c]) for c in (*spec.scope, "effective_from"))):
        writer.writerow([_cell(row.get(column)) for column in spec.columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
