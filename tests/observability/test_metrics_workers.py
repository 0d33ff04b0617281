"""`kuajing serve --workers 2`: one scrape answers for both workers (prometheus-client's
multiprocess mode), and the server's lines are JSON when asked."""

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live import free_port

REQUESTS = 40


@pytest.fixture
def two_workers(database_url, tmp_path):
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {
        **os.environ,
        "KUAJING_DATABASE_URL": database_url,
        "KUAJING_DB_POOL_SIZE": "3",
        "KUAJING_LOG_FORMAT": "json",
        "KUAJING_SWEEP_INTERVAL_SECONDS": "0",
        "KUAJING_CUSTOMS_EXCHANGE_INTERVAL_SECONDS": "0",
        "KUAJING_PASSWORD_HASH_PROFILE": "cheapest",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kuajing.cli", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def _scrape(url):
    families = {
        family.name: family for family in text_string_to_metric_families(httpx.get(f"{url}/metrics").text)
    }
    healthz = sum(
        sample.value
        for sample in families["kuajing_http_requests"].samples
        if sample.name == "kuajing_http_requests_total" and sample.labels["route"] == "/healthz"
    )
    (pool,) = families["kuajing_db_pool_size"].samples
    return healthz, pool.value


def test_one_scrape_counts_every_worker(two_workers):
    url, log_path = two_workers
    # given: fresh connections, so the kernel hands them to either worker
    before, _ = _scrape(url)
    for _ in range(REQUESTS):
        assert httpx.get(f"{url}/healthz").status_code == 200
    # when: whichever worker answers each scrape
    deadline = time.monotonic() + 15
    while True:
        scrapes = [_scrape(url) for _ in range(6)]
        if all(pool == 6.0 for _healthz, pool in scrapes) or time.monotonic() > deadline:
            break
        time.sleep(0.5)  # a worker's pool gauges are written once it has started
    # then: every scrape sees both workers' requests and both pools of 3
    assert scrapes == [(before + REQUESTS, 6.0)] * 6
    access = [
        json.loads(line)
        for line in log_path.read_text().splitlines()
        if line.startswith("{") and '"kuajing.access"' in line
    ]
    assert sum(1 for line in access if line["route"] == "/healthz") >= REQUESTS
    assert {line["level"] for line in access} == {"info"}
