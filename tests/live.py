"""Real servers for tests: uvicorn subprocesses on free loopback ports against the test database."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    customs_outbox: Path
    customs_inbox: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def start_server(
    database_url: str, log_path: Path, *, workers: int = 1, extra_args: tuple[str, ...] = (), **settings: str
) -> LiveServer:
    port = free_port()
    # Customs files go to a folder of this test run, and only the tests start an exchange.
    customs = log_path.parent / "customs"
    settings.setdefault("customs_outbox_dir", str(customs / "outbox"))
    settings.setdefault("customs_inbox_dir", str(customs / "inbox"))
    settings.setdefault("customs_exchange_interval_seconds", "0")
    # No warming of every buyer in the shared database before each new campaign (a Redis server's
    # upkeep): it would set rooms behind tests that look at Redis right after a flush.
    # tests/stock_ledger/test_buyer_warming.py drives it itself.
    settings.setdefault("flash_sale_warm_ahead_seconds", "0")
    # Tests change rules and expect the next request to see them, on every server they start.
    settings.setdefault("rules_cache_seconds", "0")
    # Tests register hundreds of accounts: argon2's production parameters cost 0.14 s a hash.
    settings.setdefault("password_hash_profile", "cheapest")
    # every test's accounts come from 127.0.0.1; the per-account limits stay as deployed
    settings.setdefault("rate_limit_sign_in_per_ip", "100000/minute")
    settings.setdefault("rate_limit_sign_in_per_account", "100000/minute")
    settings.setdefault("rate_limit_register_per_ip", "100000/minute")
    env = {
        **os.environ,
        "KUAJING_DATABASE_URL": database_url,
        **{f"KUAJING_{k.upper()}": v for k, v in settings.items()},
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "kuajing.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        *extra_args,
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(
        f"http://127.0.0.1:{port}",
        process,
        log_path,
        Path(settings["customs_outbox_dir"]),
        Path(settings["customs_inbox_dir"]),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server did not answer /healthz within 60 s:\n{server.log()}")
