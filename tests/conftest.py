"""Shared fixtures: one test database (SQLite by default, PostgreSQL when KUAJING_TEST_DATABASE_URL
says so), a live server on it, an operator, and the FX rate the examples use."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from kuajing.bootstrap import prepare_database
from tests.live import LiveServer, start_server

OPERATOR_EMAIL = "ops@kuajing.test"
OPERATOR_PASSWORD = "ops-password-for-tests"
EXAMPLE_FX_RATE = "7.1000"


def _reset_postgres(url: str) -> None:
    async def reset() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    asyncio.run(reset())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("KUAJING_TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'kuajing-test.db'}"
    prepare_database(url)
    return url


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
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def operator_token(api: httpx.Client, database_url: str) -> str:
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
        env={**os.environ, "KUAJING_DATABASE_URL": database_url},
        check=True,
        capture_output=True,
    )
    response = api.post("/api/v1/auth/token", json={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture(autouse=True)
def example_fx_rate(request: pytest.FixtureRequest) -> None:
    """Tests that talk to the server see FX 7.1000, whatever an earlier test set."""
    if "api" not in request.fixturenames:
        return
    api: httpx.Client = request.getfixturevalue("api")
    token: str = request.getfixturevalue("operator_token")
    current = api.get("/api/v1/fx-rates/USD-CNY")
    if current.status_code != 200 or current.json()["rate"] != EXAMPLE_FX_RATE:
        response = api.put(
            "/api/v1/fx-rates/USD-CNY",
            json={"rate": EXAMPLE_FX_RATE},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
