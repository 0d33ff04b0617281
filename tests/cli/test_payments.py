"""`kuajing payments reconcile FILE` on a database of its own (a SQLite file in tmp_path): exit 0
when the bill agrees, 1 with the differences listed, 2 for a file it cannot read (and nothing
written, not even the database); --post-fees posts each fee once however often it runs."""

from datetime import date

import pytest
from typer.testing import CliRunner

from kuajing.cli.main import app
from kuajing.ledger import service as ledger_service
from kuajing.settings import get_settings
from tests.helpers import in_db
from tests.payment.factories import alipay_bill, alipay_row, settlement_file, settlement_row, wechatpay_bill

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database

DAY = date(2025, 11, 11)
STRANGER = "2025111122001400000000009999"


@pytest.fixture
def database(tmp_path, monkeypatch):
    path = tmp_path / "kuajing.db"
    monkeypatch.setenv("KUAJING_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def reconcile(path, *options):
    return CliRunner().invoke(app, ["payments", "reconcile", str(path), *options], env={"COLUMNS": "200"})


def _fee_lines(database) -> list[tuple]:
    lines = in_db(
        f"sqlite:///{database}",
        lambda session: ledger_service.account_lines(
            session, account="provider_fees", party="alipay", after_id=0, limit=100
        ),
        write=False,
    )
    return [(line.key, line.order_id, line.debit, line.credit) for line in lines]


def test_a_bill_with_nothing_on_either_side_is_clean_and_exits_0(database, tmp_path):
    path = tmp_path / "20880000000000000156_20251111_业务明细.csv"
    path.write_bytes(alipay_bill(DAY, []))

    done = reconcile(path)

    assert done.exit_code == 0, done.output
    assert done.stdout == (
        "alipay bill of 2025-11-11: 0 rows read, 0 matched, 0 differences, fees 0.00 CNY\n"
    )


def test_a_row_we_do_not_have_is_listed_exits_1_and_its_fee_is_posted_once(database, tmp_path):
    path = tmp_path / "bill.csv"
    path.write_bytes(alipay_bill(DAY, [alipay_row(STRANGER, "999999", "10.00", fee="-0.06")]))

    first = reconcile(path, "--post-fees")
    again = reconcile(path, "--post-fees")

    assert (first.exit_code, again.exit_code) == (1, 1), first.output
    assert "alipay bill of 2025-11-11: differences" in first.output
    rows = [line.split("│")[1:-1] for line in first.output.splitlines() if "missing here" in line]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["missing here", "alipay", "", STRANGER, "", "10.00"]
    ]
    assert first.stdout.splitlines()[-1] == (
        "alipay bill of 2025-11-11: 1 row read, 0 matched, 1 difference, fees 0.06 CNY, 1 fee entry posted"
    )
    assert again.stdout.splitlines()[-1] == (
        "alipay bill of 2025-11-11: 1 row read, 0 matched, 1 difference, fees 0.06 CNY, 0 fee entries posted"
    )
    assert _fee_lines(database) == [(f"fee:alipay:{STRANGER}", None, 6, 0)]


def test_an_unreadable_file_exits_2_and_writes_nothing(database, tmp_path):
    garbage = tmp_path / "bill.csv"
    garbage.write_bytes(b"\x00\x01\x02 not a bill")
    not_a_bill = tmp_path / "orders.csv"
    not_a_bill.write_text("order,amount\n12,544.05\n", encoding="utf-8")

    for path, reason in [
        (garbage, "The file is not text in UTF-8 or GBK."),
        (
            not_a_bill,
            "Line 1 is not the header of Alipay's 业务明细 (支付宝交易号,…) or of WeChat Pay's trade bill",
        ),
        (tmp_path / "missing.csv", "cannot be read: No such file or directory"),
    ]:
        done = reconcile(path, "--post-fees")
        assert done.exit_code == 2, done.output
        assert reason in done.output
        assert done.output.endswith("Nothing was written.\n")
    assert not database.exists()  # not even migrated


def test_a_wechat_pay_bill_that_does_not_say_its_day_needs_date(database, tmp_path):
    path = tmp_path / "tradebill.csv"
    path.write_bytes(wechatpay_bill([]))

    unknown = reconcile(path)
    given = reconcile(path, "--date", "2025-11-11")

    assert unknown.exit_code == 2, unknown.output
    assert "give --date YYYY-MM-DD" in unknown.output
    assert given.exit_code == 0, given.output
    assert (
        given.stdout == "wechatpay bill of 2025-11-11: 0 rows read, 0 matched, 0 differences, fees 0.00 CNY\n"
    )


def settle(path):
    return CliRunner().invoke(app, ["payments", "settle", str(path)], env={"COLUMNS": "200"})


def test_settle_lists_a_row_we_do_not_have_posts_nothing_and_exits_1(database, tmp_path):
    path = tmp_path / "2088000000000156_settle_20251113.txt"
    path.write_bytes(
        settlement_file(
            [
                settlement_row(
                    "999999", STRANGER, amount="1.41", rmb="10.00", fee="0.01", settled="1.40", rate="7.08"
                )
            ]
        )
    )

    done = settle(path)

    assert done.exit_code == 1, done.output
    assert "alipay settlement: differences (not posted)" in done.output
    rows = [line.split("│")[1:-1] for line in done.output.splitlines() if "missing here" in line]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["missing here", "alipay", "", f"{STRANGER} (999999)", "", "10.00"]
    ]
    assert done.stdout.splitlines()[-1] == (
        "alipay settlement: 1 row read, 0 posted, 0 posted before, 1 difference, "
        "posted now: 0.00 CNY converted, 0.00 USD paid, fees 0.00 USD, FX gain 0.00 USD"
    )


def test_settle_an_empty_settlement_exits_0_and_an_unreadable_one_2_writing_nothing(database, tmp_path):
    wrong = tmp_path / "settle.txt"
    wrong.write_bytes(settlement_file([], header="Partner_transaction_id|Amount"))
    refused = settle(wrong)
    assert refused.exit_code == 2, refused.output
    assert "it has no Transaction_id, Rmb_amount" in refused.output
    assert refused.output.endswith("Nothing was written.\n")
    assert not database.exists()

    empty = tmp_path / "empty.txt"
    empty.write_bytes(settlement_file([]))
    done = settle(empty)
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        "alipay settlement: 0 rows read, 0 posted, 0 posted before, 0 differences, "
        "posted now: 0.00 CNY converted, 0.00 USD paid, fees 0.00 USD, FX gain 0.00 USD\n"
    )
