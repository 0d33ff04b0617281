"""Rule files on their own: every packaged table parses and round-trips; a bad row refuses the
whole file and the message names the row."""

from datetime import date
from decimal import Decimal

import pytest

from kuajing.compliance.rule_files import TABLES, RuleFileError, export_csv, overlaps, packaged_text, parse
from kuajing.compliance.rules import packaged_rows

pytestmark = pytest.mark.once  # pure: no database

TAX_HEADER = ",".join(TABLES["tax_rules"].columns)
WINE_ROW = "220421,Still wine,葡萄酒,0.13,0.10,0.14,2019-04-01,,MOF 2019 No. 39,,,,,"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_packaged_table_parses_without_overlaps_and_exports_to_the_same_rows(name):
    spec = TABLES[name]
    parsed = parse(packaged_text(spec))
    assert parsed.spec is spec
    assert len(parsed.rows) == len(packaged_rows("kuajing.compliance", spec.filename))
    assert (
        overlaps(spec, [(f"line {n}", row) for n, row in zip(parsed.lines, parsed.rows, strict=True)]) == []
    )
    again = parse(export_csv(spec, parsed.rows))
    assert again.rows == sorted(
        parsed.rows, key=lambda r: tuple(str(r[c]) for c in (*spec.scope, "effective_from"))
    )


def test_a_good_row_is_typed():
    (row,) = parse(f"{TAX_HEADER}\n{WINE_ROW}\n").rows
    assert row["hs_prefix"] == "220421"
    assert row["vat_rate"] == Decimal("0.13")
    assert row["effective_from"] == date(2019, 4, 1)
    assert row["effective_to"] is None
    assert row["consumption_tax_per_litre"] is None


def test_columns_may_come_in_any_order_and_a_spreadsheet_bom_is_ignored():
    columns = list(TABLES["cbec_limits"].columns)[::-1]
    values = dict(
        per_order_amount="500000",
        annual_amount="2600000",
        currency="CNY",
        effective_from="2019-01-01",
        effective_to="",
        source="Caiguanshui 2018 No. 49",
    )
    text = "\ufeff" + ",".join(columns) + "\n" + ",".join(values[c] for c in columns) + "\n"
    (row,) = parse(text).rows
    assert (row["per_order_amount"], row["annual_amount"]) == (500000, 2600000)


def refusal(text: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        parse(text)
    return caught.value.errors


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            WINE_ROW.replace("220421", "2204.21"),
            "line 2: hs_prefix '2204.21' is not an HS code of 2, 4, 6, 8 or 10 digits (no dots)",
        ),
        (WINE_ROW.replace("220421", "22042"), "line 2: hs_prefix '22042' is not an HS code"),
        (WINE_ROW.replace("0.13", "13"), "line 2: vat_rate 13 is outside 0-1 (write 13% as 0.13)"),
        (WINE_ROW.replace("0.14", "-0.01"), "line 2: mfn_tariff_rate -0.01 is outside 0-1"),
        (WINE_ROW.replace("0.10", "ten"), "line 2: consumption_tax_rate 'ten' is not a number"),
        (WINE_ROW.replace("0.10", "NaN"), "line 2: consumption_tax_rate 'NaN' is not a number"),
        (WINE_ROW.replace("2019-04-01", "2019-02-30"), "line 2: effective_from '2019-02-30' is not a date"),
        (
            WINE_ROW.replace("2019-04-01,", "2019-04-01,2019-03-31"),
            "line 2: effective_to 2019-03-31 is before effective_from 2019-04-01",
        ),
        (WINE_ROW.replace("MOF 2019 No. 39", ""), "line 2: source is required"),
        (WINE_ROW.replace("Still wine", ""), "line 2: name_en is required"),
        (WINE_ROW + ",extra", "line 2: more cells than the header has columns"),
        (
            WINE_ROW.replace("0.10", "1"),
            "line 2: consumption_tax_rate 1 must be at least 0 and below 1 (write 10% as 0.10)",
        ),
        (
            WINE_ROW.replace("0.10", "0.1000000000000000000000000000001"),
            "line 2: consumption_tax_rate '0.100000000000000000…' is not a number with at most 8 "
            "decimal places",
        ),
        (WINE_ROW.replace("0.10", "1e999999"), "line 2: consumption_tax_rate '1e999999' is not a number"),
        (WINE_ROW + "1e999999", "line 2: high_end_min_per_piece '1e999999' is not a number"),
        (WINE_ROW.replace("Still wine", "W" * 201), "line 2: name_en is 201 characters long; at most 200"),
    ],
)
def test_a_bad_row_is_refused_by_its_line(row, expected):
    errors = refusal(f"{TAX_HEADER}\n{row}\n")
    assert len(errors) == 1
    assert errors[0].startswith(expected), errors


def test_every_bad_row_is_named_not_only_the_first():
    text = f"{TAX_HEADER}\n{WINE_ROW}\n{WINE_ROW.replace('220421', 'x')}\n{WINE_ROW.replace('0.13', '2')}\n"
    errors = refusal(text)
    assert [e.split(":")[0] for e in errors] == ["line 3", "line 4"]


def test_an_unknown_header_names_the_tables_it_could_have_been():
    (error,) = refusal("hs_code,rate\n2204,0.1\n")
    assert error.startswith("line 1: the header 'hs_code,rate' names no rule table (tax_rules: hs_prefix,")


def test_a_header_without_rows_and_a_repeated_key_are_refused():
    assert refusal(f"{TAX_HEADER}\n") == ["the file has a header and no rows"]
    assert refusal(f"{TAX_HEADER}\n{WINE_ROW}\n{WINE_ROW}\n") == [
        "line 3: the same hs_prefix/effective_from as line 2"
    ]


def test_positive_list_caps_need_their_unit():
    header = ",".join(TABLES["positive_list_entries"].columns)
    row = "1701,Sugar,糖,false,false,2000,{unit},2019-01-01,,list remark,"
    assert parse(f"{header}\n{row.format(unit='g')}\n").rows[0]["yearly_cap"] == 2000
    assert refusal(f"{header}\n{row.format(unit='')}\n") == [
        "line 2: yearly_cap and yearly_cap_unit go together"
    ]
    assert refusal(f"{header}\n{row.format(unit='kg')}\n") == [
        "line 2: yearly_cap_unit 'kg' must be g or piece"
    ]
    assert refusal(f"{header}\n{row.format(unit='g').replace('false,false', 'no,false')}\n") == [
        "line 2: bonded_only must be true or false, not 'no'"
    ]


def test_overlapping_date_ranges_are_named_with_both_rows():
    spec = TABLES["tax_rules"]
    parsed = parse(
        f"{TAX_HEADER}\n"
        f"{WINE_ROW.replace('2019-04-01,', '2019-04-01,2026-12-31')}\n"
        f"{WINE_ROW.replace('2019-04-01', '2026-12-31')}\n"
        f"{WINE_ROW.replace('220421', '220410')}\n"
        f"{WINE_ROW.replace('220421', '220410').replace('2019-04-01', '2027-01-01')}\n"
    )
    rows = [(f"line {n}", row) for n, row in zip(parsed.lines, parsed.rows, strict=True)]
    assert overlaps(spec, rows) == [
        "line 3: hs_prefix=220421 from 2026-12-31 overlaps line 2 (2019-04-01 to 2026-12-31); "
        "end the earlier row the day before",
        "line 5: hs_prefix=220410 from 2027-01-01 overlaps line 4 (2019-04-01 to open-ended); "
        "end the earlier row the day before",
    ]


def test_tariffs_may_pass_100_percent_but_not_500():
    header = ",".join(TABLES["origin_tariffs"].columns)
    row = "US,2204,{rate},2025-04-12,2025-05-13,false,Customs Tariff Commission 2025"
    assert parse(f"{header}\n{row.format(rate='1.25')}\n").rows[0]["rate"] == Decimal("1.25")
    assert refusal(f"{header}\n{row.format(rate='5.5')}\n") == [
        "line 2: rate 5.5 is outside 0-5 (write 125% as 1.25)"
    ]


def test_whole_numbers_must_fit_every_database():
    header = ",".join(TABLES["cbec_limits"].columns)
    row = "500000,{annual},CNY,2019-01-01,,Caiguanshui 2018 No. 49"
    assert refusal(f"{header}\n{row.format(annual='3000000000')}\n") == [
        "line 2: annual_amount '3000000000' is not a whole number from 0 to 2,000,000,000"
    ]
    assert refusal(f"{header}\n{row.format(annual='-1')}\n")[0].startswith(
        "line 2: annual_amount '-1' is not"
    )


def test_a_field_too_large_for_csv_is_a_refusal_not_a_crash():
    (error,) = refusal(f'{TAX_HEADER}\n"{"x" * 200_000}"\n')
    assert error.startswith("the file is not readable CSV: field larger than field limit")
