"""The rehearsal's load generator: `concurrency` keep-alive connections, each a loop that takes
the next buyer and sends that buyer's purchase, timing every request.

It speaks HTTP through the small client in `http_client.py`, because the generator shares the
machine's cores with the server it measures and must cost little per request. Measured on the
2-core machine the benchmarks run on, 256 connections to a 2-worker server's /healthz, client
CPU time per request: aiohttp 246-290 us, httpx's pool far slower still (58 req/s), the
hand-written client 68-88 us. At aiohttp's cost one core caps the generator near 4k req/s, while
wrk drives the same /healthz past 20k on a quiet machine; the report carries
healthz_per_second, measured with this same generator, so the ceiling sits beside the
purchase rate.

A buyer picked for a replay sends the same purchase twice with the same Idempotency-Key, the
second as soon as the first is answered: the server must answer the same order (or, if the
first was refused, treat the second as a fresh attempt), never make a second order.
"""

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kuajing.rehearsal.http_client import Connection

PURCHASE_TIMEOUT_SECONDS = 30.0

TIMEOUT = "timeout"
TRANSPORT_ERROR = "transport_error"


@dataclass(frozen=True, slots=True)
class Job:
    """One buyer's purchase: `times` requests in a row, all carrying `key` if it is set."""

    buyer_index: int
    token: str
    key: str | None
    times: int = 1


@dataclass(frozen=True, slots=True)
class Answer:
    buyer_index: int
    key: str | None
    status: int  # 0 when no HTTP answer came (timeout, refused or dropped connection)
    code: str | None  # the problem's code, "timeout" or "transport_error"; None for a 201
    order_id: int | None
    sent: float  # perf_counter() when the request went out
    latency: float  # seconds
    replay: bool  # the second request of a replayed key


@dataclass(slots=True)
class LoadResult:
    answers: list[Answer] = field(default_factory=list)
    unsent: int = 0  # buyers never tried: the duration cap came first
    started: float = 0.0
    finished: float = 0.0


Progress = Callable[[int, int], None]  # (requests answered, 201s so far)


async def healthz_rate(*, url: str, concurrency: int, seconds: float) -> float:
    """GET /healthz on `concurrency` connections for `seconds`: answers (200) per second."""
    ok = 0
    started = time.perf_counter()
    stop = started + seconds

    async def loop() -> None:
        nonlocal ok
        connection = Connection(url)
        try:
            while time.perf_counter() < stop:
                try:
                    status, _body = await connection.request("GET", "/healthz", timeout=10)
                except (OSError, TimeoutError):
                    await asyncio.sleep(0.01)
                    continue
                ok += status == 200
        finally:
            connection.close()

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return ok / elapsed if elapsed > 0 else 0.0


async def warm_up(*, url: str, deal_id: int, product_id: int, concurrency: int) -> None:
    """Each connection reads the deal and asks for a quote of its product once, so every worker
    has loaded the deal, the rule book and its price snapshots before the clock starts (at a
    real 11.11 midnight the servers have been serving for hours). Takes no units."""
    quote = json.dumps({"lines": [{"product_id": product_id, "quantity": 1}]}).encode()

    async def one() -> None:
        connection = Connection(url)
        try:
            await connection.request("GET", f"/api/v1/deals/{deal_id}", timeout=30)
            await connection.request(
                "POST", "/api/v1/quotes", headers={"Content-Type": "application/json"}, body=quote, timeout=30
            )
        except (OSError, TimeoutError):
            pass  # a warm-up that fails leaves a worker cold, nothing worse
        finally:
            connection.close()

    await asyncio.gather(*(one() for _ in range(concurrency)))


def _problem_code(status: int, body: bytes) -> str:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        code = None
    return code if isinstance(code, str) else f"http_{status}"


async def purchase(
    *,
    url: str,
    deal_id: int,
    jobs: Sequence[Job],
    concurrency: int,
    quantity: int,
    deadline: float | None = None,
    on_progress: Progress | None = None,
) -> LoadResult:
    """Send every job's purchase over `concurrency` connections; stop taking new jobs at
    `deadline` (a perf_counter() time). Never raises for what the server does."""
    path = f"/api/v1/deals/{deal_id}/purchase"
    body = json.dumps({"quantity": quantity, "risk_notice_accepted": True}).encode()
    result = LoadResult()
    created = 0
    next_job = iter(jobs)

    async def send(connection: Connection, job: Job, replay: bool) -> Answer:
        headers = {"Authorization": f"Bearer {job.token}", "Content-Type": "application/json"}
        if job.key is not None:
            headers["Idempotency-Key"] = job.key
        sent = time.perf_counter()
        try:
            status, payload = await connection.request(
                "POST", path, headers=headers, body=body, timeout=PURCHASE_TIMEOUT_SECONDS
            )
        except TimeoutError:
            return Answer(
                job.buyer_index, job.key, 0, TIMEOUT, None, sent, time.perf_counter() - sent, replay
            )
        except OSError:
            return Answer(
                job.buyer_index, job.key, 0, TRANSPORT_ERROR, None, sent, time.perf_counter() - sent, replay
            )
        latency = time.perf_counter() - sent
        if status == 201:
            order_id = json.loads(payload)["order_id"]
            return Answer(job.buyer_index, job.key, status, None, order_id, sent, latency, replay)
        code = _problem_code(status, payload)
        return Answer(job.buyer_index, job.key, status, code, None, sent, latency, replay)

    async def loop() -> None:
        nonlocal created
        connection = Connection(url)
        try:
            for job in next_job:
                if deadline is not None and time.perf_counter() >= deadline:
                    result.unsent += 1
                    continue
                for n in range(job.times):
                    answer = await send(connection, job, replay=n > 0)
                    result.answers.append(answer)
                    created += answer.status == 201 and not answer.replay
                    if on_progress is not None:
                        on_progress(len(result.answers), created)
        finally:
            connection.close()

    result.started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    result.finished = time.perf_counter()
    return result
