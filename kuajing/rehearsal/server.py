"""The rehearsal's own server: what `kuajing serve --workers N` runs, in a subprocess on a free
loopback port, with this process's environment (so the same database and, if set, Redis).

It runs in its own process group, so stopping it (or killing it with SIGKILL, as the fault test
does) reaches uvicorn's worker processes too, not only their supervisor.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

READY_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return cast(int, sock.getsockname()[1])  # an AF_INET socket's name is (host, port)


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """SIGTERM to the whole group (uvicorn drains its workers), SIGKILL if that takes > 15 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL every process of the server at once: a crash, not a shutdown."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return cast(int, response.status) == 200  # typeshed types urlopen's answer as Any
    except (urllib.error.URLError, OSError):
        return False


def start(
    *, workers: int, log_path: Path, port: int | None = None, env: Mapping[str, str] | None = None
) -> Server:
    """Start uvicorn with `workers` workers and wait until /healthz answers. The database must
    already be migrated (the caller runs migrations once, not once per worker)."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "uvicorn", "kuajing.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=dict(env if env is not None else os.environ), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", port, process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the rehearsal server exited early:\n{server.log_tail()}")
        if _answers(server.url):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the rehearsal server did not answer /healthz within 60 s:\n{server.log_tail()}")
