"""Redis for the tests: the shared server (each test under its own key prefix), a private
redis-server on a free port (for tests that flush it), and a real 3-node Redis Cluster."""

import os
import random
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis

from tests.live import free_port

SHARED_URL = os.environ.get("KUAJING_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(reason: str) -> None:
    """Skip locally; in CI a missing Redis is a failure, not a skip."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"Redis tests must run in CI: {reason}")
    pytest.skip(reason)


def new_prefix() -> str:
    return f"kjtest-{uuid.uuid4().hex[:10]}"


def shared_redis_url() -> str:
    try:
        redis.Redis.from_url(SHARED_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {SHARED_URL} does not answer: {exc}")
    return SHARED_URL


def delete_prefix(url: str, prefix: str) -> int:
    """Delete this prefix's keys only (the shared server is other people's too)."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    return client.delete(*keys) if keys else 0


@dataclass
class RedisServers:
    ports: list[int]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, decode_responses=True)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        unavailable("redis-server is not installed")
    assert path is not None
    return path


def _wait_for(check, what: str, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _cluster_ports(count: int) -> list[int]:
    """Free ports whose cluster bus ports (+10000) are free too: a cluster node's port must be
    55535 or less, so the kernel's ephemeral range will not do."""
    ports: list[int] = []
    port = 7300 + random.randrange(0, 2000)
    while len(ports) < count:
        if _bindable(port) and _bindable(port + 10000):
            ports.append(port)
        port += 1
    return ports


def start_servers(workdir: Path, count: int, *, cluster: bool) -> RedisServers:
    binary = _binary()
    servers = RedisServers(ports=_cluster_ports(count) if cluster else [free_port() for _ in range(count)])
    for port in servers.ports:
        home = workdir / str(port)
        home.mkdir(parents=True)
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home)]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        if cluster:
            command += ["--cluster-enabled", "yes", "--cluster-config-file", str(home / "nodes.conf")]
        log = (home / "redis.log").open("wb")
        servers.processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
    try:
        for port in servers.ports:
            _wait_for(servers.client(port).ping, f"redis-server on port {port}")
        if cluster:
            subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in servers.ports)]
                + ["--cluster-replicas", "0", "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            for port in servers.ports:
                _wait_for(
                    lambda port=port: servers.client(port).cluster("info")["cluster_state"] == "ok",
                    f"cluster_state:ok on port {port}",
                )
    except BaseException:
        servers.stop()
        raise
    return servers
