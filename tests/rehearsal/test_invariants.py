"""The verdict fails, naming the broken check, when a ledger row is corrupted between the load and
the check; `kuajing rehearse` then exits 1."""

import asyncio
import json

from sqlalchemy import update
from typer.testing import CliRunner

from kuajing.bootstrap import build_runtime
from kuajing.cli.main import app
from kuajing.db import Database
from kuajing.flash_sale import reconciler
from kuajing.models import Deal
from kuajing.rehearsal import run
from kuajing.rehearsal.run import Options
from kuajing.rehearsal.setup import Buyer, Stage
from kuajing.settings import Settings, get_settings

SMALL = Options(buyers=60, stock=10, concurrency=20, healthz_seconds=0.5, replay_every=0)


async def _move_a_reserved_unit_back(database: Database, deal_id: int) -> None:
    """Corrupt the counters the way a lost write would: the CHECK (they add up) still holds."""
    async with database.transaction(write=True) as session:
        await session.execute(
            update(Deal)
            .where(Deal.id == deal_id)
            .values(remaining=Deal.remaining + 1, reserved=Deal.reserved - 1)
        )


async def _repair(database: Database, deal_id: int) -> None:
    """Put the counters back: a drifted deal would stop the expiry sweeps of later tests when its
    orders come due (the sweeper refuses to release units a counter says are not reserved)."""
    async with database.transaction(write=True) as session:
        await reconciler.reconcile_deal(session, deal_id=deal_id, repair=True)


def test_a_clean_run_passes_every_check_and_a_corrupted_counter_fails_two(server, database_url):
    async def rehearse_then_corrupt():
        runtime = build_runtime(Settings(database_url=database_url))
        database = runtime.database
        try:
            stage = await run.prepare(runtime, SMALL)
            jobs = run.plan(stage, SMALL)
            _healthz, result = await run.drive(url=server.url, stage=stage, jobs=jobs, options=SMALL)
            clean = await run.judge(runtime, stage=stage, options=SMALL, answers=result.answers)
            await _move_a_reserved_unit_back(database, stage.deal_id)
            corrupted = await run.judge(runtime, stage=stage, options=SMALL, answers=result.answers)
            await _repair(database, stage.deal_id)
            return clean, corrupted
        finally:
            await runtime.close()

    clean, corrupted = asyncio.run(rehearse_then_corrupt())

    assert clean.ok and (clean.units_taken, clean.oversold, clean.drift) == (10, 0, [])
    assert not corrupted.ok
    failed = {check.name: (check.expected, check.found) for check in corrupted.checks if not check.ok}
    assert failed == {
        "counters match reservation rows (reconciler drift)": (0, 2),
        "units taken = reserved + sold": (9, 10),
    }
    assert [(d.field, d.expected, d.found) for d in corrupted.drift] == [
        ("remaining", 0, 1),
        ("reserved", 10, 9),
    ]


def test_the_command_exits_1_when_the_ledger_is_corrupted_before_the_check(
    server, database_url, tmp_path, monkeypatch
):
    # given a rehearsal whose deal is corrupted after the load has settled, before it is judged
    settle = run.settle

    async def settle_then_corrupt(database: Database, *, deal_id: int) -> None:
        await settle(database, deal_id=deal_id)
        await _move_a_reserved_unit_back(database, deal_id)

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
            await _repair(database, report["deal_id"])
        finally:
            await database.dispose()

    asyncio.run(repair())


def test_the_plan_sends_each_buyer_once_and_every_third_twice_with_one_key():
    buyers = [Buyer(id=10 + i, token=f"kj_{i}") for i in range(7)]
    stage = Stage(
        tag="t", operator_id=1, seller_id=2, product_id=3, campaign_id=4, deal_id=5, stock=1,
        per_buyer_limit=1, buyers=buyers,
    )  # fmt: skip

    jobs = run.plan(stage, Options(replay_every=3))

    assert [(job.buyer_index, job.key, job.times) for job in jobs] == [
        (0, "t-0", 2), (1, None, 1), (2, None, 1), (3, "t-3", 2), (4, None, 1), (5, None, 1), (6, "t-6", 2),
    ]  # fmt: skip
    assert [job.token for job in jobs] == [f"kj_{i}" for i in range(7)]
