"""`kuajing flash-sale check`: the database reconciler as a command, on the committed database
(live: the command is a subprocess with its own connection). It exits 1 on drift, and 0 once
`--repair` has put the counters back."""

import os
import subprocess
import sys

from sqlalchemy import update

from kuajing.flash_sale.reconciler import Reconciliation
from kuajing.models import Deal
from tests.flash_sale.factories import deal_with_two_holders, reconcile
from tests.helpers import in_db


def test_the_check_command_exits_1_on_drift_and_0_once_repaired(live_api, operator_token, database_url):
    deal, _holder, _payer = deal_with_two_holders(live_api, operator_token)
    deal_id = deal["id"]
    in_db(
        database_url,
        lambda session: session.execute(
            update(Deal)
            .where(Deal.id == deal_id)
            .values(remaining=Deal.remaining + 2, reserved=Deal.reserved - 2)
        ),
    )

    def check(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kuajing.cli", "flash-sale", "check", str(deal_id), *options],
            env={**os.environ, "KUAJING_DATABASE_URL": database_url, "COLUMNS": "200"},
            capture_output=True,
            text=True,
        )

    found = check()
    assert found.returncode == 1, found.stdout + found.stderr
    assert "reserved" in found.stdout and "remaining" in found.stdout
    repaired = check("--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "(repaired)" in repaired.stdout
    assert reconcile(database_url, deal_id, repair=False) == Reconciliation(deal_id, [], repaired=False)
