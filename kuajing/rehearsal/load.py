"""The rehearsal's load generator: `concurrency` keep-alive connections, each a loop that takes
the next buyer and sends that buyer's purchase, timing every request.

It uses aiohttp. Measured on the 2-core machine the benchmarks run on, against a 2-worker
server's /healthz at 256 connections: aiohttp ~4.8k req/s beside wrk's ~5.0k in the same minute
(the two within the machine's noise of each other), httpx's pool 58 req/s. So aiohttp is not the
bottleneck and no hand-written HTTP client is needed; the report carries healthz_per_second,
measured with this same generator, so a reader can see the ceiling next to the purchase rate.

A buyer picked for a replay sends the same purchase twice with the same Idempotency-Key, the
second as soon as the first is answered: the server must answer the same order (or, if the
first was refused, treat the second as a fresh attempt), never make a second order.
"""

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

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


def _connector(concurrency: int) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, force_close=False)


async def healthz_rate(*, url: str, concurrency: int, seconds: float) -> float:
    """GET /healthz on `concurrency` connections for `seconds`: answers (200) per second."""
    ok = 0
    async with aiohttp.ClientSession(
        base_url=url, connector=_connector(concurrency), timeout=aiohttp.ClientTimeout(total=10)
    ) as client:
        started = time.perf_counter()
        stop = started + seconds

        async def loop() -> None:
            nonlocal ok
            while time.perf_counter() < stop:
                try:
                    async with client.get("/healthz") as response:
                        await response.read()
                        ok += response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    await asyncio.sleep(0.01)

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return ok / elapsed if elapsed > 0 else 0.0


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
    timeout = aiohttp.ClientTimeout(total=PURCHASE_TIMEOUT_SECONDS)

    async with aiohttp.ClientSession(
        base_url=url, connector=_connector(concurrency), timeout=timeout
    ) as client:

        async def send(job: Job, replay: bool) -> Answer:
            headers = {"Authorization": f"Bearer {job.token}", "Content-Type": "application/json"}
            if job.key is not None:
                headers["Idempotency-Key"] = job.key
            sent = time.perf_counter()
            try:
                async with client.post(path, data=body, headers=headers) as response:
                    payload = await response.read()
                    status = response.status
            except TimeoutError:
                return Answer(
                    job.buyer_index, job.key, 0, TIMEOUT, None, sent, time.perf_counter() - sent, replay
                )
            except aiohttp.ClientError:
                return Answer(
                    job.buyer_index,
                    job.key,
                    0,
                    TRANSPORT_ERROR,
                    None,
                    sent,
                    time.perf_counter() - sent,
                    replay,
                )
            latency = time.perf_counter() - sent
            if status == 201:
                order_id = json.loads(payload)["order_id"]
                return Answer(job.buyer_index, job.key, status, None, order_id, sent, latency, replay)
            return Answer(
                job.buyer_index, job.key, status, _problem_code(status, payload), None, sent, latency, replay
            )

        async def loop() -> None:
            nonlocal created
            for job in next_job:
                if deadline is not None and time.perf_counter() >= deadline:
                    result.unsent += 1
                    continue
                for n in range(job.times):
                    answer = await send(job, replay=n > 0)
                    result.answers.append(answer)
                    created += answer.status == 201 and not answer.replay
                    if on_progress is not None:
                        on_progress(len(result.answers), created)

        result.started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        result.finished = time.perf_counter()
    return result
