"""`kuajing rules export/import` against the committed database, as an operator runs them: round
trips, whole-file refusals that change nothing, several files together or not at all, dry runs."""

import os
import subprocess
import sys

from kuajing.compliance.rule_files import TABLES, export_csv
from tests.compliance.factories import beijing_today, days, export_all, import_rules, list_row, tax_row

TAX = TABLES["tax_rules"]
LIST = TABLES["positive_list_entries"]


def cli(database_url, *args):
    return subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "rules", *args],
        env={**os.environ, "KUAJING_DATABASE_URL": database_url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
    )


def test_export_then_import_changes_nothing(database_url, tmp_path):
    before = export_all(database_url)
    exported = cli(database_url, "export", "--out", str(tmp_path))
    assert exported.returncode == 0, exported.stderr
    for name, spec in TABLES.items():
        assert (tmp_path / spec.filename).read_text(encoding="utf-8") == before[name]
    imported = cli(database_url, "import", *(str(tmp_path / s.filename) for s in TABLES.values()))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    for name in TABLES:
        report = import_rules(database_url, before[name])
        assert (report.added, report.changed, report.unchanged) == (0, 0, before[name].count("\n") - 1)
    assert export_all(database_url) == before


def test_a_file_with_one_bad_row_is_refused_whole_and_nothing_changes(database_url, tmp_path):
    before = export_all(database_url)
    soon = beijing_today() + days(40)
    good = tax_row("9601", start=soon)
    bad = tax_row("9602", vat="1.5", start=soon)
    path = tmp_path / "tax.csv"
    path.write_text(export_csv(TAX, [good, bad]), encoding="utf-8")

    result = cli(database_url, "import", str(path))
    assert result.returncode == 1
    assert "refused (tax_rules)" in result.stdout
    assert "line 3: vat_rate 1.5 is outside 0-1 (write 13% as 0.13)" in result.stdout
    assert "Nothing was changed." in result.stdout
    assert export_all(database_url) == before

    # a dry run of the fixed file reports and writes nothing
    path.write_text(export_csv(TAX, [good]), encoding="utf-8")
    dry = cli(database_url, "import", "--dry-run", str(path))
    assert dry.returncode == 0, dry.stdout
    assert "dry run: nothing written" in dry.stdout
    assert export_all(database_url) == before


def test_several_files_are_applied_together_or_not_at_all(database_url, tmp_path):
    before = export_all(database_url)
    soon = beijing_today() + days(41)
    (tmp_path / "list.csv").write_text(export_csv(LIST, [list_row("9603", start=soon)]), encoding="utf-8")
    (tmp_path / "bad.csv").write_text("hs,rate\n9603,0.1\n", encoding="utf-8")
    result = cli(database_url, "import", str(tmp_path / "list.csv"), str(tmp_path / "bad.csv"))
    assert result.returncode == 1
    assert "bad.csv: refused\n  line 1: the header 'hs,rate' names no rule table" in result.stdout
    assert export_all(database_url) == before


def test_a_dry_run_judges_several_files_as_the_import_would_and_writes_nothing(database_url, tmp_path):
    before = export_all(database_url)
    start = beijing_today() + days(70)
    first = tmp_path / "first.csv"
    first.write_text(export_csv(TAX, [tax_row("9607", start=start)]), encoding="utf-8")
    # the second file changes the row the first one adds: only valid after the first
    second = tmp_path / "second.csv"
    second.write_text(export_csv(TAX, [tax_row("9607", vat="0.09", start=start)]), encoding="utf-8")

    dry = cli(database_url, "import", "--dry-run", str(first), str(second))
    assert dry.returncode == 0, dry.stdout
    assert export_all(database_url) == before

    real = cli(database_url, "import", str(first), str(second))
    assert real.returncode == 0, real.stdout
    assert f"9607,Test line 9607,测试税号9607,0.09,0,0,{start},," in export_all(database_url)["tax_rules"]


def test_an_unreadable_file_is_named_and_nothing_changes(database_url, tmp_path):
    before = export_all(database_url)
    good = tmp_path / "good.csv"
    good.write_text(export_csv(LIST, [list_row("9608", start=beijing_today() + days(80))]), encoding="utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("hs_prefix,name\n9608,caf\xe9\n".encode("latin-1"))
    result = cli(database_url, "import", str(good), str(latin))
    assert result.returncode == 1
    assert f"{latin}: cannot be read: it is not UTF-8 text" in result.stdout.replace("\n", "")
    assert export_all(database_url) == before
