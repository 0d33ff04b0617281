"""`kuajing ledger export` on a SQLite file of its own: the books written to the file whole (an
empty ledger is the options alone), replaced on the next export with nothing left beside it, and
a format or a folder it cannot write refused with exit 2."""

import os
import stat
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from kuajing.bootstrap import prepare_database
from kuajing.cli.main import app
from kuajing.ledger import postings, service
from kuajing.ledger.postings import Split
from kuajing.settings import get_settings
from tests.helpers import in_db

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database

# The worked example's split: 544.05 CNY with 82.55 tax, $65.00 of goods and freight, $3.00
# commission.
EXAMPLE = Split(
    total=54405, tax=8255, goods_and_freight=46150, goods_and_freight_usd=6500, commission_usd=300
)


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A migrated SQLite file, KUAJING_DATABASE_URL naming it while the test runs."""
    url = f"sqlite:///{tmp_path / 'kuajing.db'}"
    prepare_database(url)
    monkeypatch.setenv("KUAJING_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _post(url: str, *entries: tuple[postings.Posting, datetime]) -> None:
    async def write(session):
        for posting, at in entries:
            assert await service.post(session, posting, now=at)

    in_db(url, write)


def export(*options: str):
    return CliRunner().invoke(app, ["ledger", "export", *options], env={"COLUMNS": "200"})


def test_export_writes_the_books_as_a_beancount_file(database, tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    out = books / "kuajing.beancount"

    empty = export("--format", "beancount", "--out", str(out))
    assert empty.exit_code == 0, empty.output
    assert f"Wrote 0 entries and 0 accounts to {out} (beancount)." in empty.output
    assert out.read_text(encoding="utf-8") == (
        'option "title" "Kuajing platform ledger"\n'
        'option "operating_currency" "USD"\n'
        'option "operating_currency" "CNY"\n'
    )

    # given: a capture (no order row in this database, so none named) at 00:30 on 11 November in
    # Beijing, still the 10th in UTC, and Alipay's fee on it the next day
    capture = postings.capture(payment_id=1, order_id=1, provider="alipay", seller_id=42, split=EXAMPLE)
    fee = postings.provider_fee(provider="alipay", trade_no="2026111122001", amount=163)
    assert fee is not None
    _post(
        database,
        (replace(capture, order_id=None, payment_id=None), datetime(2026, 11, 10, 16, 30, tzinfo=UTC)),
        (fee, datetime(2026, 11, 12, 1, 0, tzinfo=UTC)),
    )

    # when
    result = export("--out", str(out))

    # then
    assert result.exit_code == 0, result.output
    assert f"Wrote 2 entries and 6 accounts to {out} (beancount)." in result.output
    assert out.read_text(encoding="utf-8") == (
        'option "title" "Kuajing platform ledger"\n'
        'option "operating_currency" "USD"\n'
        'option "operating_currency" "CNY"\n'
        "\n"
        "2026-11-11 open Assets:Kuajing:ProviderClearing:Alipay      CNY\n"
        "2026-11-11 open Equity:Kuajing:FxConversion                 CNY,USD\n"
        "2026-11-12 open Expenses:Kuajing:ProviderFees:Alipay        CNY\n"
        "2026-11-11 open Income:Kuajing:CommissionRevenue            USD\n"
        "2026-11-11 open Liabilities:Kuajing:CbecTaxPayable          CNY\n"
        "2026-11-11 open Liabilities:Kuajing:SellerPending:Seller42  USD\n"
        "\n"
        '2026-11-11 * "order 1 paid through alipay"\n'
        '  key: "capture:payment:1"\n'
        '  kind: "capture"\n'
        "  Assets:Kuajing:ProviderClearing:Alipay            544.05 CNY\n"
        "  Liabilities:Kuajing:CbecTaxPayable                -82.55 CNY\n"
        "  Equity:Kuajing:FxConversion                      -461.50 CNY\n"
        "  Equity:Kuajing:FxConversion                        65.00 USD\n"
        "  Income:Kuajing:CommissionRevenue                   -3.00 USD\n"
        "  Liabilities:Kuajing:SellerPending:Seller42        -62.00 USD\n"
        "\n"
        '2026-11-12 * "alipay fee on 2026111122001"\n'
        '  key: "fee:alipay:2026111122001"\n'
        '  kind: "provider_fee"\n'
        "  Expenses:Kuajing:ProviderFees:Alipay                1.63 CNY\n"
        "  Assets:Kuajing:ProviderClearing:Alipay             -1.63 CNY\n"
    )
    assert sorted(path.name for path in books.iterdir()) == ["kuajing.beancount"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_an_unknown_format_or_a_missing_folder_is_refused_and_nothing_is_written(database, tmp_path):
    out = tmp_path / "kuajing.csv"

    unknown = export("--format", "csv", "--out", str(out))
    assert unknown.exit_code == 2
    assert "Invalid value for '--format': Value error, 'csv' is not one of 'beancount'." in unknown.output

    nowhere = export("--out", str(tmp_path / "missing" / "kuajing.beancount"))
    assert nowhere.exit_code == 2
    assert f"No folder {tmp_path / 'missing'} to write kuajing.beancount in." in nowhere.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kuajing.db"]
