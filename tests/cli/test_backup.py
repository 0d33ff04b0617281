"""`kuajing backup` and `kuajing restore` as an operator runs them, against the pass's database
(SQLite, or PostgreSQL with KUAJING_TEST_DATABASE_URL): orders, payments and ledger entries made
through a live server are backed up while it serves, restored into an empty database and over a
changed one, and every row of every table compared with the original. Refusals exit non-zero and
leave the database as it was."""

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, column, inspect, select, table, update
from sqlalchemy.orm import Session

from kuajing import migrations
from kuajing.backup.service import kind_of_database
from kuajing.migrations import include_name
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import fresh_database, in_db
from tests.order.factories import place

Rows = dict[str, list[dict[str, Any]]]


def kuajing(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUAJING_DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "kuajing.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _every_row(session: Session) -> Rows:
    connection = session.connection()
    metadata = MetaData()
    found = {}
    for name in sorted(inspect(connection).get_table_names()):
        if include_name(name, "table", None):
            reflected = Table(name, metadata, autoload_with=connection)
            order = list(reflected.primary_key.columns) or list(reflected.columns)
            rows = connection.execute(select(reflected).order_by(*order))
            found[name] = [dict(row._mapping) for row in rows]
    return found


def every_row(database_url: str) -> Rows:
    """Every row of every table (the search index's own aside), in primary-key order."""

    async def read(session: Any) -> Rows:
        return await session.run_sync(_every_row)

    return in_db(database_url, read, write=False)


def quiet_backup(database_url: str, out: Path) -> tuple[Rows, str]:
    """A backup of the live database and every row it holds: read before and after the backup,
    again if the server's sweeper changed something in between."""
    for _ in range(5):
        before = every_row(database_url)
        done = kuajing(database_url, "backup", "--out", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
        if every_row(database_url) == before:
            return before, done.stdout
    pytest.fail("the database changed during each of 5 backups")


def one_line(output: str) -> str:
    return " ".join(output.split())


def summary(rows: Rows) -> str:
    return f"{len(rows)} tables, {sum(len(found) for found in rows.values())} rows"


@pytest.fixture
def orders_paid_and_not(live_api) -> dict[str, int]:
    """Two orders of one buyer through the live server: one paid through the sandbox (a
    payment and its ledger entries), one waiting for payment."""
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller, stock=10)
    buyer = buyer_with_identity(live_api)
    paid = place(live_api, buyer, [(wine["id"], 2)])
    waiting = place(live_api, buyer, [(wine["id"], 1)])
    assert (paid.status_code, waiting.status_code) == (201, 201), paid.text + waiting.text
    paying = live_api.post(
        f"/api/v1/orders/{paid.json()['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
    )
    assert paying.json()["status"] == "paid", paying.text
    return {"paid": paid.json()["id"], "waiting": waiting.json()["id"]}


def test_a_backup_restored_into_an_empty_database_holds_every_row_of_the_original(
    orders_paid_and_not, database_url, tmp_path
):
    # given a backup of the live database, taken while its server runs
    out = tmp_path / "kuajing.backup"
    original, said = quiet_backup(database_url, out)
    kind = kind_of_database(database_url)
    head = migrations.head()
    assert one_line(said).endswith(
        f"Wrote a {kind} backup of {summary(original)}, schema {head}, to {out} (readable by its owner "
        "only). Keep the deployment's secret key (KUAJING_SECRET_KEY, or KUAJING_KEY_FILE) with the "
        "backups, apart from them: a backup is useless without it."
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []
    empty = fresh_database(database_url, tmp_path, "restored")

    # when
    done = kuajing(empty, "restore", str(out))

    # then
    assert done.returncode == 0, done.stdout + done.stderr
    assert one_line(done.stdout).endswith(f"Restored {out} into {empty}: {summary(original)}, schema {head}.")
    restored = every_row(empty)
    assert restored == original
    paid, waiting = orders_paid_and_not["paid"], orders_paid_and_not["waiting"]
    statuses = {row["id"]: row["status"] for row in restored["orders"] if row["id"] in (paid, waiting)}
    assert statuses == {paid: "paid", waiting: "pending_payment"}
    payments = [row for row in restored["payments"] if row["order_id"] in (paid, waiting)]
    assert [(row["order_id"], row["status"]) for row in payments] == [(paid, "captured")]
    capture = [
        row for row in restored["journal_entries"] if row["key"] == f"capture:payment:{payments[0]['id']}"
    ]
    assert [(row["order_id"], row["kind"]) for row in capture] == [(paid, "capture")]
    lines = [row for row in restored["journal_lines"] if row["entry_id"] == capture[0]["id"]]
    for currency in ("CNY", "USD"):
        assert sum(row["debit"] - row["credit"] for row in lines if row["currency"] == currency) == 0
    assert restored["alembic_version"] == [{"version_num": head}]


def test_a_database_with_accounts_is_replaced_only_with_force_and_then_exactly(
    orders_paid_and_not, database_url, tmp_path
):
    # given a copy of the database, restored from a backup, then changed: an order's status
    # altered and every API token deleted
    out = tmp_path / "kuajing.backup"
    original, _said = quiet_backup(database_url, out)
    copy = fresh_database(database_url, tmp_path, "changed")
    assert kuajing(copy, "restore", str(out)).returncode == 0
    paid = orders_paid_and_not["paid"]

    async def change(session: Any) -> None:
        orders = table("orders", column("id"), column("status"))
        await session.execute(update(orders).where(orders.c.id == paid).values(status="cancelled"))
        await session.execute(table("api_tokens").delete())

    in_db(copy, change)
    changed = every_row(copy)
    accounts, orders = len(original["users"]), len(original["orders"])

    # when: restored without --force, then with it
    refused = kuajing(copy, "restore", str(out))
    forced = kuajing(copy, "restore", str(out), "--force")

    # then
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert one_line(refused.stdout) == (
        f"database_not_empty: The configured database already holds {accounts} accounts and {orders} "
        "orders. Restoring replaces everything in it: give --force to do so. The database was not changed."
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    restored = every_row(copy)
    assert restored != changed
    assert restored == original


def test_files_that_cannot_be_restored_are_refused_with_exit_2_and_nothing_changed(database_url, tmp_path):
    # given an empty database of the pass's kind, and files that are not its backups
    target = fresh_database(database_url, tmp_path, "refusing")
    assert kuajing(target, "db", "upgrade").returncode == 0
    before = every_row(target)
    kind = kind_of_database(database_url)
    text = tmp_path / "orders.csv"
    text.write_text("order,amount\n12,544.05\n", encoding="utf-8")
    other = tmp_path / "other.backup"
    if kind == "SQLite":
        other.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))
        wrong_kind = (
            f"{other} is a PostgreSQL backup (a pg_dump custom-format archive), but the configured "
            "database (KUAJING_DATABASE_URL) is SQLite: restore it into a PostgreSQL database."
        )
    else:
        with sqlite3.connect(other) as made:
            made.execute("CREATE TABLE t (x)")
        wrong_kind = (
            f"{other} is a SQLite backup (a SQLite database file), but the configured database "
            "(KUAJING_DATABASE_URL) is PostgreSQL: restore it into a SQLite database."
        )
    cases = {
        tmp_path / "missing.backup": f"No backup file at {tmp_path / 'missing.backup'}.",
        text: f"{text} is not a kuajing backup: neither a SQLite database file nor a pg_dump "
        "custom-format archive.",
        other: wrong_kind,
    }

    for path, reason in cases.items():
        # when
        done = kuajing(target, "restore", str(path), "--force")

        # then
        assert done.returncode == 2, done.stdout + done.stderr
        assert one_line(done.stdout) == f"backup_file_unusable: {reason} The database was not changed."
    assert every_row(target) == before


def test_a_backup_into_a_missing_folder_is_refused_and_writes_nothing(database_url, tmp_path):
    out = tmp_path / "missing" / "kuajing.backup"

    done = kuajing(database_url, "backup", "--out", str(out))

    assert done.returncode == 1, done.stdout + done.stderr
    assert one_line(done.stdout) == (
        f"backup_failed: No folder {out.parent} to write kuajing.backup in. No backup was written."
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == []
