"""`kuajing worker`: the background loops in a process of their own. On a database of its own (a
sweeper elsewhere must not do the work): an API server started with KUAJING_BACKGROUND_LOOPS=false
leaves an overdue order pending; the worker expires it and gives its stock back, and stops
cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import httpx
import pytest

from kuajing.bootstrap import prepare_database
from kuajing.kit.time import utcnow
from kuajing.models import FxRate
from tests.auth.factories import approve_seller, buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.helpers import fresh_database, in_db
from tests.live import start_server
from tests.order.factories import place, wait_for_status


def worker_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "KUAJING_DATABASE_URL": database_url,
        "COLUMNS": "200",
        # what the API servers of such a deployment are given: the worker runs its loops anyway
        "KUAJING_BACKGROUND_LOOPS": "false",
        **{f"KUAJING_{name.upper()}": value for name, value in settings.items()},
    }
    env.pop("KUAJING_REDIS_URL", None)
    return env


def test_the_worker_expires_the_overdue_order_an_api_server_without_loops_leaves(database_url, tmp_path):
    # given a database of its own with the example rate, and an API server with its loops off
    # whose orders are due a second after they are placed
    database = fresh_database(database_url, tmp_path, "worker")
    prepare_database(database)

    async def rate(session):
        session.add(FxRate(base="USD", quote="CNY", rate=Decimal("7.1000"), set_by_id=None, set_at=utcnow()))

    in_db(database, rate)
    # its own operator, to approve its seller (operators exist only through the CLI)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kuajing.cli",
            "users",
            "add",
            "ops@worker.test",
            "--role",
            "operator",
            "--password",
            "ops-password-for-worker-tests",
            "--name",
            "Worker Operator",
        ],
        env={**os.environ, "KUAJING_DATABASE_URL": database, "KUAJING_PASSWORD_HASH_PROFILE": "cheapest"},
        check=True,
        capture_output=True,
    )
    server = start_server(
        database,
        tmp_path / "server.log",
        background_loops="false",
        order_ttl_seconds="1",
        sweep_interval_seconds="0.2",
        auth_cache_seconds="0",
    )
    try:
        with httpx.Client(base_url=server.url, timeout=30) as api:
            operator = api.post(
                "/api/v1/auth/token",
                json={"email": "ops@worker.test", "password": "ops-password-for-worker-tests"},
            ).json()["token"]
            seller = seller_with_profile(api, approved=False)
            approve_seller(api, seller, operator_token=operator)
            wine = create_product(api, seller, stock=3)
            buyer = buyer_with_identity(api)
            placed = place(api, buyer, [(wine["id"], 3)])
            assert placed.status_code == 201, placed.text
            order_id = placed.json()["id"]

            # when the server alone has had 15 sweeps' time, had it swept
            time.sleep(3)

            # then the order is still pending and holds its stock
            assert api.get(f"/api/v1/orders/{order_id}", headers=buyer.headers).json()["status"] == (
                "pending_payment"
            )
            assert stock_of(api, wine["id"]) == 0

            # when the worker runs
            worker = subprocess.Popen(
                [sys.executable, "-m", "kuajing.cli", "worker"],
                env=worker_env(database, sweep_interval_seconds="0.2", customs_exchange_interval_seconds="0"),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                wait_for_status(api, order_id, buyer.headers, "expired", timeout=60)
            finally:
                worker.send_signal(signal.SIGTERM)
                output, _ = worker.communicate(timeout=30)

            # then it expired the order, gave the stock back, and stopped cleanly on SIGTERM
            assert worker.returncode == 0, output
            assert stock_of(api, wine["id"]) == 3
            lines = output.splitlines()
            assert "Worker running: order expiry and payment queries every 0.2 s." in lines
            assert any(  # a log line as the server writes them (KUAJING_LOG_FORMAT: console here)
                "expired 1 unpaid orders" in line and "kuajing.fulfillment.sweeper" in line for line in lines
            )
            assert lines[-1] == "Worker stopped."
    finally:
        server.stop()


@pytest.mark.once  # its own SQLite file, never written
def test_a_worker_with_every_loop_off_refuses_to_start(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "worker"],
        env=worker_env(
            f"sqlite:///{tmp_path / 'kuajing.db'}",
            sweep_interval_seconds="0",
            customs_exchange_interval_seconds="0",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stdout == "Nothing to run: every background loop's interval is 0.\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == []  # not even migrated
