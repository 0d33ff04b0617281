"""Core API throughput: product page and quote beside /healthz, at 64 connections, with wrk.

Run:  .venv/bin/python benchmarks/core_http.py [--database-url URL] [--workers 2] [--duration 15]
It seeds the demo marketplace into a fresh database, starts uvicorn on 127.0.0.1, runs wrk
(apt-get install wrk) against each endpoint after a warm-up, reads the server's memory, and
rewrites its section of docs/benchmarks.md. Bounded: one wrk run per endpoint and repetition.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kuajing.bootstrap import build_runtime, prepare_database  # noqa: E402
from kuajing.demo import seed as demo_seed  # noqa: E402
from kuajing.settings import Settings  # noqa: E402
from tests.live import start_server  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- core-http:begin -->", "<!-- core-http:end -->"
CONNECTIONS = 64


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


def parse_wrk(output: str) -> WrkResult:
    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if not match:
            raise ValueError(f"no {label}% latency in wrk output:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        rps, latency("50"), latency("99"), requests, int(non_2xx_match.group(1)) if non_2xx_match else 0
    )


def wrk(url: str, duration: int, script: Path | None = None) -> WrkResult:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    return parse_wrk(
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=duration + 60).stdout
    )


def worker_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server's processes: the master and its
    workers, each read from /proc/<pid>/stat."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ticks = 0
    for p in [pid, *(int(c) for c in children)]:
        stat = Path(f"/proc/{p}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_rss_mib(pid: int) -> float:
    """Resident memory of the server and its worker processes."""
    pids = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids += [int(c) for c in children]
    total_kib = 0
    for p in pids:
        status = Path(f"/proc/{p}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            total_kib += int(match.group(1)) if match else 0
    return total_kib / 1024


async def seed(url: str) -> None:
    runtime = build_runtime(Settings(database_url=url))
    try:
        await demo_seed.seed(runtime)
    finally:
        await runtime.close()


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    wrk_version = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
    )
    memory = f"{mem_kib / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} vCPU ({cpu}), {memory}, Python {platform.python_version()}, {wrk_version}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3, help="runs per endpoint; the median is reported")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="kuajing-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    database_label = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    prepare_database(url)
    asyncio.run(seed(url))

    server = start_server(
        url,
        workdir / "server.log",
        workers=args.workers,
        extra_args=("--no-access-log",),
        access_log="false",  # the app's access line too (docs/operations.md): figures stay comparable
    )
    base = server.url
    try:
        products = httpx.get(f"{base}/api/v1/products", params={"category": "wine", "limit": 1}).json()[
            "items"
        ]
        product_id = products[0]["id"]
        quote_body = json.dumps({"lines": [{"product_id": product_id, "quantity": 2}]})
        quote_check = httpx.post(
            f"{base}/api/v1/quotes", content=quote_body, headers={"Content-Type": "application/json"}
        )
        assert quote_check.status_code == 200 and quote_check.json()["problems"] == [], quote_check.text

        script = workdir / "quote.lua"
        script.write_text(
            textwrap.dedent(f"""\
            wrk.method = "POST"
            wrk.body = '{quote_body}'
            wrk.headers["Content-Type"] = "application/json"
        """)
        )
        targets = {
            "GET /healthz": (f"{base}/healthz", None),
            f"GET /api/v1/products/{product_id}": (f"{base}/api/v1/products/{product_id}", None),
            "POST /api/v1/quotes (2 bottles)": (f"{base}/api/v1/quotes", script),
        }
        wrk(f"{base}/healthz", 2)  # warm-up
        wrk(f"{base}/api/v1/products/{product_id}", 2)
        wrk(f"{base}/api/v1/quotes", 2, script)
        results: dict[str, list[WrkResult]] = {name: [] for name in targets}
        for _ in range(args.repeat):  # interleaved, so drift hits every endpoint alike
            for name, (target, lua) in targets.items():
                results[name].append(wrk(target, args.duration, lua))
        rss = server_rss_mib(server.process.pid)
    finally:
        server.stop()

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    rows, health_rps = [], None
    for name, runs in results.items():
        rps = median([r.rps for r in runs])
        health_rps = health_rps or rps
        rows.append(
            f"| {name} | {rps:,.0f} | {median([r.p50_ms for r in runs]):.1f} "
            f"| {median([r.p99_ms for r in runs]):.1f} | {rps / health_rps:.0%} "
            f"| {sum(r.non_2xx for r in runs)} "
            f"| {' / '.join(f'{r.rps:,.0f}' for r in runs)} |"
        )
    quote = results["POST /api/v1/quotes (2 bottles)"]
    quote_ratio = median([r.rps for r in quote]) / health_rps
    quote_p99 = median([r.p99_ms for r in quote])
    verdict = (
        f"quote = {quote_ratio:.0%} of /healthz (target ≥ 30%): "
        f"{'met' if quote_ratio >= 0.30 else 'NOT met'}; "
        f"quote p99 {quote_p99:.1f} ms (target < 50 ms): {'met' if quote_p99 < 50 else 'NOT met'}"
    )
    command = "python benchmarks/core_http.py" + (
        f" --database-url {args.database_url}" if args.database_url else ""
    )
    section = "\n".join(
        [
            BEGIN,
            f"### Core API on {database_label}, {args.workers} uvicorn workers, {CONNECTIONS} connections",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. "
            "Server and wrk share the same cores.",
            f"Command: `{command}` (wrk -t2 -c{CONNECTIONS} -d{args.duration}s, "
            f"{args.repeat} interleaved runs, "
            "median; demo data seeded first).",
            "",
            "| endpoint | req/s | p50 ms | p99 ms | of /healthz | non-2xx | runs (req/s) |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Server memory after the run (all workers, RSS): {rss:.0f} MiB. {verdict}.",
            END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section, database_label)


def replace_section(doc: Path, begin: str, end: str, section: str) -> None:
    """Put `section` (marked begin ... end) in place of the doc's section so marked, or at its end."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if begin in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text)


def write_section(section: str, database_label: str) -> None:
    begin = BEGIN.replace("begin", f"{database_label.lower()}:begin")
    end = END.replace("end", f"{database_label.lower()}:end")
    replace_section(DOC, begin, end, section.replace(BEGIN, begin).replace(END, end))


if __name__ == "__main__":
    main()
