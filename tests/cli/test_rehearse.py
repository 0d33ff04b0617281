"""`kuajing rehearse` end to end, small: on a server it starts itself, on a throwaway database that
leaves the configured one as it was (with Redis too, under a prefix of its own), and against a
running one, whose database it marks; and its exit code when the ledger is corrupted before the
check. Live: the command drives real servers and judges the committed database."""

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import redis
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from kuajing.bootstrap import prepare_database
from kuajing.cli.main import app
from kuajing.db import Database
from kuajing.models import Campaign, Deal, DealReservation, Order, SellerProfile
from kuajing.rehearsal import run
from kuajing.settings import get_settings
from tests.helpers import fresh_database, in_db
from tests.rehearsal.factories import move_a_reserved_unit_back, repair_counters
from tests.rehearsal.traffic import every_table, row_counts
from tests.stock_ledger.redis_servers import delete_prefix, shared_redis_url

REQUIRED = {
    "attempts",
    "orders",
    "oversold",
    "invariants_ok",
    "attempts_per_second",
    "orders_per_second",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "errors",
    "backend",
    "healthz_per_second",
    "invariants",
    "deal_id",
    "campaign_id",
    "stock",
    "buyers",
    "concurrency",
    "duration_seconds",
    "database",
}
SMALL = ("--buyers", "400", "--stock", "40", "--concurrency", "50", "--healthz-seconds", "1", "--no-progress")


def rehearse(database_url, report_path, *options, small=SMALL, **settings):
    env = {**os.environ, "KUAJING_DATABASE_URL": database_url, "COLUMNS": "200"}
    env.pop("KUAJING_REDIS_URL", None)
    env.update({f"KUAJING_{name.upper()}": value for name, value in settings.items()})
    done = subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "rehearse", *small, "--json", str(report_path), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done, (json.loads(report_path.read_text()) if report_path.exists() else None)


TINY = ("--buyers", "50", "--stock", "10", "--workers", "1", "--concurrency", "10",
        "--healthz-seconds", "0.5", "--no-progress")  # fmt: skip


def _sqlite_files(database_url: str) -> dict[str, str]:
    """The SQLite database's files (journals included) and their contents' digests; {} elsewhere."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return {}
    path = Path(str(url.database))
    return {
        found.name: hashlib.sha256(found.read_bytes()).hexdigest()
        for found in path.parent.glob(f"{path.name}*")
    }


def _rehearsal_databases(database_url: str) -> list[str]:
    """The throwaway rehearsal databases on the PostgreSQL server ([] on SQLite)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return []

    async def names(session):
        rows = await session.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'kuajing_rehearsal_%'")
        )
        return sorted(rows.scalars())

    return in_db(database_url, names, write=False)


def test_without_url_it_runs_on_a_throwaway_database_and_leaves_the_configured_one_as_it_was(
    database_url, tmp_path
):
    # given a configured database of the session's kind, migrated, with the rule books loaded
    configured = fresh_database(database_url, tmp_path, "rehearsal_configured")
    prepare_database(configured)
    tables = every_table(configured)
    before, files = row_counts(configured, tables), _sqlite_files(configured)
    throwaways = _rehearsal_databases(configured)

    # when
    done, report = rehearse(configured, tmp_path / "report.json", small=TINY)

    # then the rehearsal ran, on a throwaway database of the same kind
    assert done.returncode == 0, done.stdout + done.stderr
    assert (report["orders"], report["oversold"], report["invariants_ok"]) == (10, 0, True)
    kind, said = "SQLite" if configured.startswith("sqlite") else "PostgreSQL", " ".join(done.stdout.split())
    assert f"Rehearsing on a throwaway {kind} database" in said
    assert f"Removed the throwaway {kind} database" in said
    # and every table of the configured database holds what it held, the file byte for byte
    assert row_counts(configured, tables) == before
    assert (every_table(configured), before["alembic_version"]) == (tables, 1)
    assert _sqlite_files(configured) == files
    # and the throwaway database is gone
    assert _rehearsal_databases(configured) == throwaways
    if kind == "SQLite":
        throwaway = re.search(r"throwaway SQLite database (\S+rehearsal\.db)", said)
        assert throwaway is not None, done.stdout
        assert list(Path(throwaway.group(1)).parent.glob("rehearsal.db*")) == []


def test_with_redis_the_throwaway_run_keeps_its_keys_under_its_own_prefix_and_deletes_them(
    database_url, tmp_path
):
    # given Redis configured for a deployment whose keys start with a prefix of this test's
    redis_url = shared_redis_url()
    deployment_prefix = f"kjtest-deployment-{os.getpid()}"
    client = redis.Redis.from_url(redis_url)
    client.set(f"{deployment_prefix}:{{deal:1}}", "the deployment's")
    try:
        # when
        done, report = rehearse(
            database_url,
            tmp_path / "report.json",
            small=TINY,
            redis_url=redis_url,
            redis_prefix=deployment_prefix,
        )

        # then it ran on Redis, under a prefix of its own, whose keys are gone afterwards
        assert done.returncode == 0, done.stdout + done.stderr
        assert (report["backend"], report["orders"], report["invariants_ok"]) == ("redis", 10, True)
        prefix = re.search(r"Redis keys under (kj-rehearsal-[0-9a-f]+):", " ".join(done.stdout.split()))
        assert prefix is not None, done.stdout
        assert list(client.scan_iter(match=f"{prefix.group(1)}:*")) == []
        # and the deployment's keys are as they were
        assert sorted(client.scan_iter(match=f"{deployment_prefix}:*")) == [
            f"{deployment_prefix}:{{deal:1}}".encode()
        ]
        assert client.get(f"{deployment_prefix}:{{deal:1}}") == b"the deployment's"
    finally:
        delete_prefix(redis_url, deployment_prefix)


def test_on_its_own_server_forty_units_go_to_forty_of_four_hundred_buyers(database_url, tmp_path):
    done, report = rehearse(database_url, tmp_path / "report.json", "--replay-every", "0")

    assert done.returncode == 0, done.stdout + done.stderr
    assert report.keys() >= REQUIRED
    assert (report["attempts"], report["orders"], report["oversold"]) == (400, 40, 0)
    # every loser is told sold_out: no timeout, no 5xx, no other refusal
    assert report["errors"] == {"sold_out": 360}
    assert report["invariants_ok"] is True
    assert [check["name"] for check in report["invariants"] if not check["ok"]] == []
    assert (report["backend"], report["database"]) == ("sql", database_url.split(":")[0])
    assert (report["stock"], report["buyers"], report["concurrency"]) == (40, 400, 50)
    assert report["healthz_per_second"] > 0 and report["attempts_per_second"] > 0
    assert report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"]
    assert "orders/s" in done.stdout


def test_against_a_running_server_replayed_keys_never_make_a_second_order(server, database_url, tmp_path):
    done, report = rehearse(
        database_url, tmp_path / "report.json", "--url", server.url, "--replay-every", "10"
    )

    assert done.returncode == 0, done.stdout + done.stderr
    # 400 buyers, every 10th sends its purchase twice with one Idempotency-Key
    assert (report["attempts"], report["replayed_keys"], report["orders"], report["oversold"]) == (
        440,
        40,
        40,
        0,
    )
    # a winner's replay is answered 201 with the same order; a loser's replay is a fresh attempt, sold out
    assert 40 <= report["created_answers"] <= 80
    assert report["errors"] == {"sold_out": 440 - report["created_answers"]}

    # and everything it wrote is marked as rehearsal traffic: the deal, its campaign, its seller
    async def marks(session):
        deal = await session.get(Deal, report["deal_id"])
        campaign = await session.get(Campaign, report["campaign_id"])
        sellers = set(
            await session.scalars(
                select(SellerProfile.rehearsal)
                .join(Order, Order.seller_id == SellerProfile.user_id)
                .join(DealReservation, DealReservation.order_id == Order.id)
                .where(DealReservation.deal_id == deal.id)
            )
        )
        return deal.rehearsal, campaign.rehearsal, sellers

    assert in_db(database_url, marks, write=False) == (True, True, {True})
    assert "kuajing rehearse --cleanup" in " ".join(done.stdout.split())
    checks = {check["name"]: check for check in report["invariants"]}
    assert checks["replayed keys answered with two orders"] == {
        "name": "replayed keys answered with two orders",
        "ok": True,
        "expected": 0,
        "found": 0,
        "detail": "",
    }
    assert report["invariants_ok"] is True


def test_the_command_exits_1_when_the_ledger_is_corrupted_before_the_check(
    server, database_url, tmp_path, monkeypatch
):
    # given a rehearsal whose deal is corrupted after the load has settled, before it is judged
    settle = run.settle

    async def settle_then_corrupt(database: Database, *, deal_id: int) -> None:
        await settle(database, deal_id=deal_id)
        await move_a_reserved_unit_back(database, deal_id)

    monkeypatch.setattr(run, "settle", settle_then_corrupt)
    monkeypatch.setenv("KUAJING_DATABASE_URL", database_url)
    monkeypatch.delenv("KUAJING_REDIS_URL", raising=False)
    get_settings.cache_clear()
    report_path = tmp_path / "report.json"

    try:
        result = CliRunner().invoke(
            app,
            ["rehearse", "--url", server.url, "--buyers", "60", "--stock", "10", "--concurrency", "20",
             "--healthz-seconds", "0.5", "--replay-every", "0", "--no-progress", "--json", str(report_path)],
        )  # fmt: skip
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1, result.output
    report = json.loads(report_path.read_text())
    assert (report["invariants_ok"], report["orders"], report["oversold"]) == (False, 10, 0)
    assert [check["name"] for check in report["invariants"] if not check["ok"]] == [
        "counters match reservation rows (reconciler drift)",
        "units taken = reserved + sold",
    ]
    assert "Invariants failed" in result.output

    async def repair() -> None:
        database = Database(database_url)
        try:
            await repair_counters(database, report["deal_id"])
        finally:
            await database.dispose()

    asyncio.run(repair())
