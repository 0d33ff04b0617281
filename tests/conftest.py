"""Shared fixtures.

Each test session (each pytest-xdist worker) has a database of its own: a SQLite file, or with
KUAJING_TEST_DATABASE_URL=postgresql://… a PostgreSQL database named after the worker. On it:

- `app` / `api`: the app in this process, every test inside a transaction rolled back at its end
  (tests/in_process.py). Service and endpoint tests use these.
- `server` / `live_api` / `database_url`: a real uvicorn server on the same database, whose
  writes are committed. Races, kill -9, the background loops, CLI subprocesses and the browser
  use these.
- `operator_token`: an operator created through the CLI, as operators are, and the FX rate the
  examples use (7.1000), both committed once for the session.
"""

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kuajing.bootstrap import prepare_database
from tests.auth import factories
from tests.helpers import fresh_postgres
from tests.in_process import InProcessApp, settings_for
from tests.live import LiveServer, start_server
from tests.log_scan import LogScan
from tests.payment.gateways import AlipaySetup, WeChatPaySetup
from tests.stock_ledger.redis_servers import start_servers

# Photos and other files the app keeps go to a folder of this run's own, never the checkout's
# ./kuajing-data (inherited by the live servers and CLI commands the tests start). Each pytest-xdist
# worker has its own: they inherit the controller's environment, and two workers' rolled-back
# products share ids (product 1 in both), so one's photos would land among the other's files.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["KUAJING_DATA_DIR"] = tempfile.mkdtemp(
        prefix=f"kuajing-test-data-{os.environ['PYTEST_XDIST_WORKER']}-"
    )
else:
    os.environ.setdefault("KUAJING_DATA_DIR", tempfile.mkdtemp(prefix="kuajing-test-data-"))

OPERATOR_EMAIL = "ops@kuajing.test"
OPERATOR_PASSWORD = "ops-password-for-tests"
EXAMPLE_FX_RATE = "7.1000"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "once: the subject does not depend on the database; CI runs it in the SQLite pass only",
    )
    # every log line of the run searched for personal data at its end (tests/log_scan.py)
    config.pluginmanager.register(LogScan(config), "kuajing-log-scan")


LIVE_FIXTURES = {"server", "live_api", "database_url"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Files with live tests (servers, races, subprocesses: the long ones) first, so pytest-xdist
    # hands them out while every worker is free and the short in-process files fill in after,
    # rather than one worker finishing a race alone at the end.
    def fixtures(item: pytest.Item) -> set[str]:
        return set(getattr(item, "fixturenames", ()))

    live_files = {item.path for item in items if fixtures(item) & LIVE_FIXTURES}
    items.sort(key=lambda item: item.path not in live_files)
    # .ci/run's second pass (PostgreSQL) sets this: what does not depend on the database ran in
    # the first pass already.
    if os.environ.get("KUAJING_TEST_SKIP_ONCE") == "1":
        skip = pytest.mark.skip(reason="database-independent: ran in the SQLite pass")
        for item in items:
            if item.get_closest_marker("once"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """This session's database, migrated, with an operator and the example FX rate committed."""
    url = os.environ.get("KUAJING_TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        url = asyncio.run(fresh_postgres(url))
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kuajing-test.db'}"
    prepare_database(url)
    return url


@pytest.fixture(scope="session")
def operator_credentials(test_database_url: str) -> tuple[str, str]:
    # Operators exist only through the CLI, so the tests create theirs the same way.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kuajing.cli",
            "users",
            "add",
            OPERATOR_EMAIL,
            "--role",
            "operator",
            "--password",
            OPERATOR_PASSWORD,
            "--name",
            "Test Operator",
        ],
        env={
            **os.environ,
            "KUAJING_DATABASE_URL": test_database_url,
            "KUAJING_PASSWORD_HASH_PROFILE": "cheapest",
        },
        check=True,
        capture_output=True,
    )
    return OPERATOR_EMAIL, OPERATOR_PASSWORD


@pytest.fixture(scope="session")
def in_process(test_database_url: str, operator_credentials: tuple[str, str]) -> Iterator[InProcessApp]:
    with InProcessApp(settings_for(test_database_url)) as running:
        yield running


@pytest.fixture(scope="session")
def operator_token(in_process: InProcessApp, operator_credentials: tuple[str, str]) -> str:
    """The operator's token, committed (issued outside any test's transaction), and the example
    FX rate set by that operator."""
    email, password = operator_credentials
    in_process.begin_test()
    try:
        # issued and set through the app, then committed: the one place a test session commits
        token = in_process.client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert token.status_code == 200, token.text
        value = token.json()["token"]
        rate = in_process.client.put(
            "/api/v1/fx-rates/USD-CNY",
            json={"rate": EXAMPLE_FX_RATE},
            headers={"Authorization": f"Bearer {value}"},
        )
        assert rate.status_code == 200, rate.text
        in_process.commit_test()
    finally:
        in_process.end_test()
    factories.SESSION_OPERATOR["token"] = value  # sellers made by the factories are approved with it
    return value


@pytest.fixture
def app(
    in_process: InProcessApp, operator_token: str, request: pytest.FixtureRequest
) -> Iterator[InProcessApp]:
    """The in-process app, this test inside a transaction that is rolled back at its end."""
    if "database_url" in request.fixturenames:
        pytest.fail(
            "an in-process test cannot reach the database through database_url (a second "
            "connection would not see, and on SQLite would wait for, the test's transaction): use "
            "app.run(...) for direct database work, or live_api for a committed database"
        )
    in_process.begin_test()
    try:
        yield in_process
    finally:
        in_process.end_test()


@pytest.fixture
def api(app: InProcessApp) -> TestClient:
    return app.client


@pytest.fixture(scope="session")
def database_url(test_database_url: str, operator_token: str) -> str:
    """The session's database, for tests against the live server (what they write is committed)."""
    return test_database_url


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        database_url,
        tmp_path_factory.mktemp("logs") / "server.log",
        sweep_interval_seconds="0.5",
        auth_cache_seconds="0",
    )
    yield live
    live.stop()


@pytest.fixture(scope="session")
def live_api(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(autouse=True)
def example_fx_rate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests on the live server see FX 7.1000, whatever an earlier one set, and leave it so."""
    if "live_api" not in request.fixturenames:
        yield
        return
    live: httpx.Client = request.getfixturevalue("live_api")
    token: str = request.getfixturevalue("operator_token")

    def reset() -> None:
        current = live.get("/api/v1/fx-rates/USD-CNY")
        if current.status_code != 200 or current.json()["rate"] != EXAMPLE_FX_RATE:
            response = live.put(
                "/api/v1/fx-rates/USD-CNY",
                json={"rate": EXAMPLE_FX_RATE},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text

    reset()
    yield
    reset()


@pytest.fixture
def alipay(tmp_path: Path) -> Iterator[AlipaySetup]:
    """A local gateway that speaks Alipay's wire format, with keys made for this run."""
    with AlipaySetup.start(tmp_path) as setup:
        yield setup


@pytest.fixture
def wechatpay(tmp_path: Path) -> Iterator[WeChatPaySetup]:
    """A local gateway that speaks WeChat Pay's APIv3, with keys made for this run."""
    with WeChatPaySetup.start(tmp_path) as setup:
        yield setup


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory):
    """A redis-server of this module's own, on a free port: safe to flush."""
    servers = start_servers(tmp_path_factory.mktemp("redis"), 1, cluster=False)
    yield servers
    servers.stop()
