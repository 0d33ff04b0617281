"""The verdict fails, naming the broken check, when a ledger row is corrupted between the load and
the check. (`kuajing rehearse` then exits 1: tests/cli/test_rehearse.py.) Live: the rehearsal
drives the session's server and judges the committed database."""

import asyncio

from kuajing.bootstrap import build_runtime
from kuajing.rehearsal import run
from kuajing.rehearsal.run import Options
from kuajing.settings import Settings
from tests.rehearsal.factories import move_a_reserved_unit_back, repair_counters

SMALL = Options(buyers=60, stock=10, concurrency=20, healthz_seconds=0.5, replay_every=0)


def test_a_clean_run_passes_every_check_and_a_corrupted_counter_fails_two(server, database_url):
    async def rehearse_then_corrupt():
        runtime = build_runtime(Settings(database_url=database_url))
        database = runtime.database
        try:
            stage = await run.prepare(runtime, SMALL)
            jobs = run.plan(stage, SMALL)
            _healthz, result = await run.drive(url=server.url, stage=stage, jobs=jobs, options=SMALL)
            clean = await run.judge(runtime, stage=stage, options=SMALL, answers=result.answers)
            await move_a_reserved_unit_back(database, stage.deal_id)
            corrupted = await run.judge(runtime, stage=stage, options=SMALL, answers=result.answers)
            await repair_counters(database, stage.deal_id)
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
