"""`kuajing rehearse` end to end, small: on a server it starts itself and against a running one;
and its exit code when the ledger is corrupted before the check. Live: the command drives real
servers and judges the committed database."""

import asyncio
import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from kuajing.cli.main import app
from kuajing.db import Database
from kuajing.rehearsal import run
from kuajing.settings import get_settings
from tests.rehearsal.factories import move_a_reserved_unit_back, repair_counters

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


def rehearse(database_url, report_path, *options):
    env = {**os.environ, "KUAJING_DATABASE_URL": database_url, "COLUMNS": "200"}
    env.pop("KUAJING_REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "rehearse", *SMALL, "--json", str(report_path), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done, (json.loads(report_path.read_text()) if report_path.exists() else None)


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
