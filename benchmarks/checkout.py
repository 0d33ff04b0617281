"""A normal checkout, outside the sale: full CBEC orders (placed with the real-name identity, the
risk notice and an address, then paid in the sandbox until the payment is captured) beside
/healthz, at 32 connections on PostgreSQL with 2 uvicorn workers.

Run:  .venv/bin/python benchmarks/checkout.py [--database-url postgresql://postgres@127.0.0.1:5432/bench]
          [--orders 3000] [--products 20] [--buyers 3000] [--connections 32] [--workers 2]
Needs aiohttp (pip install aiohttp; not a dependency of kuajing) and, optionally, wrk. It wipes the
PostgreSQL database it is given (and creates it when missing). It stages an approved seller with
`--products` products, a USD-CNY rate and `--buyers` buyers with identities and tokens (written in
bulk, as the rehearsal writes them), starts a 2-worker server, warms it up with orders of buyers of
their own, measures /healthz with the same client and connections (and with wrk when installed),
then sends `--orders` full orders, each three requests:

    POST /api/v1/orders                          -> 201 pending_payment
    POST /api/v1/orders/{id}/payments  sandbox   -> 201 pending
    POST /api/v1/payments/{id}/sandbox-pay       -> 200 captured (the order paid)

It reads the workers' CPU from /proc before and after, then checks from the database that exactly
that many orders are paid, the stock went down by exactly the units sold, one captured payment per
order, the capture's journal entry and customs drafts of each, and a balanced trial balance. It
rewrites its section of docs/benchmarks.md. Bounded: every step has a time limit; it talks only to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from core_http import machine, parse_wrk, replace_section  # noqa: E402

from kuajing.auth import service as auth_service  # noqa: E402
from kuajing.auth.passwords import Passwords  # noqa: E402
from kuajing.auth.tokens import digest, new_token  # noqa: E402
from kuajing.bootstrap import build_runtime, prepare_database  # noqa: E402
from kuajing.catalog import service as catalog_service  # noqa: E402
from kuajing.catalog.snapshots import Snapshots  # noqa: E402
from kuajing.kit.money import Money  # noqa: E402
from kuajing.kit.time import utcnow  # noqa: E402
from kuajing.media.storage import Storage  # noqa: E402
from kuajing.models import (  # noqa: E402
    ApiToken,
    BuyerIdentity,
    Role,  # noqa: E402
    User,
)
from kuajing.pricing import service as pricing_service  # noqa: E402
from kuajing.rehearsal.setup import id_numbers  # noqa: E402
from kuajing.sealing import keyring_of  # noqa: E402
from kuajing.seller import service as seller_service  # noqa: E402
from kuajing.settings import Settings  # noqa: E402
from kuajing.vetting import service as vetting_service  # noqa: E402
from tests.live import start_server  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- checkout:begin -->", "<!-- checkout:end -->"
EMAIL_DOMAIN = "checkout-bench.kuajing.invalid"
FX_RATE = "7.1000"
ADDRESS = {
    "name": "测试买家",
    "phone": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "street": "世纪大道 100 号",
}
STEPS = ("place", "pay", "capture")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the stage -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stage:
    seller_id: int
    product_ids: list[int]
    prices: dict[int, int]  # product id -> USD cents
    buyers: list[tuple[int, str]]  # (user id, bearer token)
    warm_buyers: list[tuple[int, str]]


async def _admin(url: str, *statements: str) -> None:
    """Statements on the server's `postgres` database (CREATE DATABASE cannot run in the target)."""
    connection = await asyncpg.connect(re.sub(r"/[^/]*$", "/postgres", url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def reset_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    try:
        connection = await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        await _admin(url, f'CREATE DATABASE "{name}"')
        connection = await asyncpg.connect(url)
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


def _tee(i: int) -> dict[str, Any]:
    """Cotton tees in 20 sizes and prices: on the positive list, no age or label rule."""
    return {
        "sku": f"BENCH-TEE-{i:02d}",
        "title": {"en": f"Checkout bench tee no. {i}", "zh": f"基准测试T恤 {i} 号"},
        "description": {
            "en": "Synthetic product of kuajing's checkout benchmark.",
            "zh": "结账基准测试的合成商品。",
        },
        "category": "garments",
        "hs_code": "6109.10",
        "weight_grams": 250 + 10 * i,
        "attributes": {"gb18401_category": "B", "fit_height_cm": 160 + i, "fit_chest_cm": 84 + i},
        "price": Money(1_490 + 100 * i, "USD"),
    }


async def add_buyers(session: AsyncSession, tokens: list[str], *, password_hash: str) -> list[int]:
    """Buyers with real-name identities and bearer tokens, written in bulk (registering each
    would spend argon2 on every one): a multi-row INSERT per table and 2,000 buyers. They share
    one hash of a password nobody keeps; their tokens are stored as auth stores them."""
    now = utcnow()
    keyring = keyring_of(session.get_bind().dialect)
    ids: list[int] = []
    people = id_numbers(len(tokens), rng=random.Random())
    for start in range(0, len(tokens), 2_000):
        chunk = list(enumerate(zip(tokens, people, strict=True)))[start : start + 2_000]
        users = [
            {
                "email": f"buyer-{i}@{EMAIL_DOMAIN}",
                "password_hash": password_hash,
                "role": Role.buyer.value,
                "name": "测试买家",
                "created_at": now,
            }
            for i, _ in chunk
        ]
        result = await session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), users)
        made = list(result.scalars())
        await session.execute(
            insert(BuyerIdentity),
            [
                {
                    "user_id": user_id,
                    "name": "测试买家",
                    "id_number": id_number,
                    "person_key": keyring.person_key(id_number),
                    "birth_date": born,
                    "updated_at": now,
                }
                for user_id, (_i, (_token, (id_number, born))) in zip(made, chunk, strict=True)
            ],
        )
        await session.execute(
            insert(ApiToken),
            [
                {
                    "user_id": user_id,
                    "token_hash": digest(token),
                    "device": "checkout benchmark",
                    "created_at": now,
                    "last_used_at": now,
                    "expires_at": now + timedelta(days=1),
                }
                for user_id, (_i, (token, _person)) in zip(made, chunk, strict=True)
            ],
        )
        ids += made
    return ids


async def stage(url: str, *, products: int, stock: int, buyers: int, warm_buyers: int) -> Stage:
    """Seller (approved), products, the rate and buyers with identities and tokens, committed."""
    runtime = build_runtime(Settings(database_url=url))
    try:
        async with runtime.database.transaction(write=True) as session:
            snapshots = runtime.get(Snapshots)
            password_hash = await runtime.get(Passwords).hash(secrets.token_urlsafe(24))

            async def user(role: Role, name: str) -> int:
                made = await auth_service.create_user(
                    session,
                    email=f"{role.value}@{EMAIL_DOMAIN}",
                    password_hash=password_hash,
                    role=role,
                    name=name,
                )
                return made.id

            operator_id = await user(Role.operator, "Checkout bench operator")
            seller_id = await user(Role.seller, "Checkout bench seller")
            await seller_service.save_profile(
                session,
                snapshots.sellers,
                seller_id=seller_id,
                legal_name="Checkout Bench Apparel LLC",
                us_state="NC",
                employees=12,
                shipping_fee=Money(500, "USD"),
                customs_code="KJBENCH001",
                customs_name="kuajing checkout bench seller",
                ein="99-0000002",  # made up, as the seller is
            )
            await pricing_service.set_fx_rate(
                session, snapshots.fx, pair="USD-CNY", rate=FX_RATE, operator_id=operator_id
            )
            product_ids, prices = [], {}
            for i in range(1, products + 1):
                fields = _tee(i)
                made = await catalog_service.create_product(
                    session, snapshots, seller_id=seller_id, stock=stock, **fields
                )
                product_ids.append(made.id)
                prices[made.id] = fields["price"].amount
            await vetting_service.vet_with_specimens(
                session,
                runtime.get(Storage),
                snapshots,
                seller_id=seller_id,
                operator_id=operator_id,
                reason="Checkout benchmark seller: its specimen documents were checked.",
                now=utcnow(),
            )
            tokens = [new_token() for _ in range(buyers + warm_buyers)]
            ids = await add_buyers(session, tokens, password_hash=password_hash)
    finally:
        await runtime.close()
    everyone = list(zip(ids, tokens, strict=True))
    return Stage(seller_id, product_ids, prices, everyone[:buyers], everyone[buyers:])


# --- the load --------------------------------------------------------------------------------


@dataclass
class Tally:
    orders: list[int] = field(default_factory=list)  # the ids of the orders paid
    units: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in (*STEPS, "order")})
    failures: dict[str, int] = field(default_factory=dict)
    first_failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1
        if len(self.first_failures) < 5:
            self.first_failures.append(what)


@dataclass(frozen=True, slots=True)
class Job:
    buyer_id: int
    token: str
    product_id: int
    quantity: int


async def _post(http: aiohttp.ClientSession, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(path, json=body, headers={"Authorization": f"Bearer {token}"}) as answer:
        return answer.status, await answer.json(content_type=None)


async def full_order(http: aiohttp.ClientSession, job: Job, tally: Tally) -> None:
    """Place, start the sandbox payment, pay it: one full order, each step timed."""
    started = time.perf_counter()
    status, order = await _post(
        http,
        "/api/v1/orders",
        job.token,
        {
            "lines": [{"product_id": job.product_id, "quantity": job.quantity}],
            "shipping_address": ADDRESS,
            "risk_notice_accepted": True,
        },
    )
    placed = time.perf_counter()
    if status != 201 or order.get("status") != "pending_payment":
        return tally.fail(f"place {status} {str(order)[:200]}")
    status, payment = await _post(
        http, f"/api/v1/orders/{order['id']}/payments", job.token, {"provider": "sandbox"}
    )
    started_payment = time.perf_counter()
    if status != 201 or payment.get("status") != "pending":
        return tally.fail(f"pay {status} {str(payment)[:200]}")
    if payment["amount"] != order["total"]:
        return tally.fail(f"pay amount {payment['amount']} != order total {order['total']}")
    status, paid = await _post(http, f"/api/v1/payments/{payment['id']}/sandbox-pay", job.token, {})
    done = time.perf_counter()
    if status != 200 or paid.get("status") != "captured":
        return tally.fail(f"capture {status} {str(paid)[:200]}")
    tally.orders.append(order["id"])
    tally.units += job.quantity
    for step, seconds in zip(
        (*STEPS, "order"),
        (placed - started, started_payment - placed, done - started_payment, done - started),
        strict=True,
    ):
        tally.latencies[step].append(seconds)


def _session(base: str, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base,
        connector=aiohttp.TCPConnector(limit=connections, force_close=False),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def drive(base: str, jobs: Sequence[Job], *, connections: int, timeout: float) -> tuple[Tally, float]:
    """The jobs over `connections` concurrent clients, each one full order at a time."""
    tally = Tally()
    queue = iter(jobs)

    async def client(http: aiohttp.ClientSession) -> None:
        for job in queue:
            try:
                await full_order(http, job, tally)
            except (aiohttp.ClientError, TimeoutError) as exc:
                tally.fail(f"{type(exc).__name__}: {exc}")

    async with _session(base, connections) as http:
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(client(http) for _ in range(connections))), timeout)
        return tally, time.perf_counter() - started


async def healthz_rate(base: str, *, connections: int, seconds: float) -> tuple[float, float, int]:
    """/healthz answers per second with this client at `connections`, their p99 in ms, and how
    many there were."""
    latencies: list[float] = []

    async def client(http: aiohttp.ClientSession, deadline: float) -> None:
        while (now := time.perf_counter()) < deadline:
            async with http.get("/healthz") as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            latencies.append(time.perf_counter() - now)

    async with _session(base, connections) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http, started + seconds) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentile(latencies, 0.99) * 1000, len(latencies)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def plan(buyers: Sequence[tuple[int, str]], orders: int, stage_: Stage, rng: random.Random) -> list[Job]:
    """`orders` jobs round the buyers, each one line of a random product, 1 or 2 units."""
    return [
        Job(
            buyer_id=buyers[i % len(buyers)][0],
            token=buyers[i % len(buyers)][1],
            product_id=rng.choice(stage_.product_ids),
            quantity=rng.choice((1, 1, 2)),
        )
        for i in range(orders)
    ]


# --- CPU -------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU of the processes (utime and stime of /proc/<pid>/stat)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total / CLK_TCK


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


async def backend_pids(url: str, database: str) -> list[int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", database
        )
    finally:
        await connection.close()
    return [row["pid"] for row in rows]


# --- the checks ------------------------------------------------------------------------------


async def verify(url: str, stage_: Stage, tally: Tally, stock_before: int, buyer_ids: list[int]) -> list[str]:
    """What the database says about the run; every line must hold."""
    connection = await asyncpg.connect(url)
    try:
        ids = tally.orders
        checks: list[tuple[str, bool]] = []
        paid = await connection.fetchval(
            "SELECT count(*) FROM orders WHERE buyer_id = ANY($1::int[]) AND status = 'paid'", buyer_ids
        )
        placed = await connection.fetchval(
            "SELECT count(*) FROM orders WHERE buyer_id = ANY($1::int[])", buyer_ids
        )
        checks.append(
            (
                f"orders paid {paid:,} of {placed:,} placed (the client counted {len(ids):,})",
                paid == placed == len(ids),
            )
        )
        stock_after = await connection.fetchval(
            "SELECT sum(stock) FROM products WHERE id = ANY($1::int[])", stage_.product_ids
        )
        sold = await connection.fetchval(
            "SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = ANY($1::int[])", ids
        )
        checks.append(
            (
                f"stock down {stock_before - stock_after:,} = units in the orders {sold:,} "
                f"= units the client bought {tally.units:,}",
                stock_before - stock_after == sold == tally.units,
            )
        )
        captured, paying, linked = (
            await connection.fetchrow(
                "SELECT count(*), count(DISTINCT p.order_id), "
                "count(*) FILTER (WHERE o.paid_by_payment_id = p.id) "
                "FROM payments p JOIN orders o ON o.id = p.order_id "
                "WHERE p.order_id = ANY($1::int[]) AND p.status = 'captured'",
                ids,
            )
        ).values()
        checks.append(
            (
                f"payments captured {captured:,} for {paying:,} orders, {linked:,} paying their order",
                captured == paying == linked == len(ids),
            )
        )
        entries = await connection.fetchval(
            "SELECT count(*) FROM journal_entries WHERE kind = 'capture' AND order_id = ANY($1::int[])", ids
        )
        checks.append((f"capture entries {entries:,}", entries == len(ids)))
        drafts = await connection.fetch(
            "SELECT message_type AS type, count(*) AS n FROM customs_messages "
            "WHERE order_id = ANY($1::int[]) GROUP BY message_type",
            ids,
        )
        by_type = {row["type"]: row["n"] for row in drafts}
        checks.append(
            (
                f"customs drafts {', '.join(f'{t} {n:,}' for t, n in sorted(by_type.items()))}",
                by_type == {"CEB311": len(ids), "CEB411": len(ids)},
            )
        )
        events = await connection.fetchval(
            "SELECT count(*) FROM order_events WHERE order_id = ANY($1::int[])", ids
        )
        checks.append((f"order events {events:,} (placed and paid)", events == 2 * len(ids)))
        balance = await connection.fetch(
            "SELECT currency, sum(debit) AS debit, sum(credit) AS credit FROM journal_lines "
            "GROUP BY currency ORDER BY currency"
        )
        checks.append(
            (
                "trial balance "
                + ", ".join(
                    f"{r['currency']} debits {r['debit']:,} = credits {r['credit']:,}" for r in balance
                ),
                bool(balance) and all(r["debit"] == r["credit"] for r in balance),
            )
        )
    finally:
        await connection.close()
    return [f"{'ok' if ok else 'FAILED'}: {text}" for text, ok in checks]


async def total_stock(url: str, product_ids: list[int]) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(
            await connection.fetchval(
                "SELECT sum(stock) FROM products WHERE id = ANY($1::int[])", product_ids
            )
        )
    finally:
        await connection.close()


# --- the run ---------------------------------------------------------------------------------


def wrk_healthz(url: str, *, connections: int, seconds: int) -> tuple[float, float] | None:
    if shutil.which("wrk") is None:
        return None
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", f"{url}/healthz"],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    result = parse_wrk(done.stdout)
    return result.rps, result.p99_ms


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database_url
    await reset_postgres(url)
    await asyncio.to_thread(prepare_database, url)
    started = time.perf_counter()
    stage_ = await stage(
        url,
        products=args.products,
        stock=args.stock,
        buyers=args.buyers,
        warm_buyers=args.warmup_orders,
    )
    print(f"staged {args.products} products, {args.buyers:,} buyers in {time.perf_counter() - started:.1f} s")
    server = await asyncio.to_thread(
        start_server,
        url,
        workdir / "server.log",
        workers=args.workers,
        extra_args=("--no-access-log",),
        access_log="false",  # the app's access line too (docs/operations.md): figures stay comparable
        rules_cache_seconds="60",  # as deployed (tests/live.py sets 0 for tests)
    )
    try:
        rng = random.Random(args.seed)
        warm = plan(stage_.warm_buyers, args.warmup_orders, stage_, rng)
        warm_tally, _ = await drive(server.url, warm, connections=args.connections, timeout=args.timeout)
        if warm_tally.failures:
            sys.exit(f"the warm-up failed: {warm_tally.first_failures}\n{server.log()}")
        workers = children(server.process.pid)
        await healthz_rate(server.url, connections=args.connections, seconds=1)  # warm-up
        healthz_cpu0 = cpu_seconds(workers)
        healthz, healthz_p99, healthz_requests = await healthz_rate(
            server.url, connections=args.connections, seconds=args.healthz_seconds
        )
        healthz_cpu = (cpu_seconds(workers) - healthz_cpu0) / healthz_requests
        wrk = await asyncio.to_thread(
            wrk_healthz, server.url, connections=args.connections, seconds=args.healthz_seconds
        )
        jobs = plan(stage_.buyers, args.orders, stage_, rng)
        stock_before = await total_stock(url, stage_.product_ids)
        database = url.rsplit("/", 1)[1].split("?")[0]
        backends = await backend_pids(url, database)
        cpu0, pg0, own0, busy0 = (
            cpu_seconds(workers),
            cpu_seconds(backends),
            own_cpu_seconds(),
            machine_busy(),
        )
        tally, elapsed = await drive(server.url, jobs, connections=args.connections, timeout=args.timeout)
        cpu1, pg1, own1, busy1 = (
            cpu_seconds(workers),
            cpu_seconds(backends),
            own_cpu_seconds(),
            machine_busy(),
        )
        # the machine is shared: /healthz again right after the orders, and the two averaged
        healthz_after, _p99, _n = await healthz_rate(
            server.url, connections=args.connections, seconds=args.healthz_seconds
        )
        log_tail = server.log()
    finally:
        await asyncio.to_thread(server.stop)
    checks = await verify(url, stage_, tally, stock_before, [buyer for buyer, _token in stage_.buyers])
    paid = len(tally.orders)
    return {
        "orders": paid,
        "attempted": len(jobs),
        "failures": tally.failures,
        "first_failures": tally.first_failures,
        "elapsed": elapsed,
        "orders_per_second": paid / elapsed,
        "healthz": (healthz + healthz_after) / 2,
        "healthz_runs": (healthz, healthz_after),
        "healthz_p99": healthz_p99,
        "healthz_cpu_ms": healthz_cpu * 1000,
        "wrk": wrk,
        "latency": {
            step: (percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000)
            for step, values in tally.latencies.items()
        },
        "worker_cpu_ms": (cpu1 - cpu0) * 1000 / max(paid, 1),
        "postgres_cpu_ms": (pg1 - pg0) * 1000 / max(paid, 1),
        "client_cpu_ms": (own1 - own0) * 1000 / max(paid, 1),
        "machine_busy": (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1),
        # jiffies are per core: the machine's busy share less ours, in cores, over all cores
        "others_busy": max(
            0.0,
            ((busy1[0] - busy0[0]) / CLK_TCK - (cpu1 - cpu0) - (pg1 - pg0) - (own1 - own0))
            / ((busy1[1] - busy0[1]) / CLK_TCK),
        ),
        "workers": len(workers),
        "backends": len(backends),
        "checks": checks,
        "log_tail": log_tail if tally.failures else "",
    }


def render(args: argparse.Namespace, r: dict[str, Any]) -> str:
    ratio = r["orders_per_second"] / r["healthz"]
    lat = {step: f"{p50:.0f} / {p99:.0f}" for step, (p50, p99) in r["latency"].items()}
    order_p99 = r["latency"]["order"][1]
    wrk = r["wrk"]
    before, after = r["healthz_runs"]
    healthz = f"{r['healthz']:,.0f} ({before:,.0f} before, {after:,.0f} after" + (
        f"; wrk {wrk[0]:,.0f})" if wrk else ")"
    )
    cpu_ratio = r["healthz_cpu_ms"] / r["worker_cpu_ms"]
    command = (
        f"python benchmarks/checkout.py --database-url {args.database_url} --orders {args.orders} "
        f"--products {args.products} --buyers {args.buyers} --connections {args.connections}"
    )
    failures = ", ".join(f"{what} ×{n}" for what, n in r["failures"].items()) or "none"
    ok = all(line.startswith("ok") for line in r["checks"])
    target = f"{ratio:.1%} of /healthz (target ≥ 4%): {'met' if ratio >= 0.04 else 'NOT met'}"
    target += f"; p99 {order_p99:.0f} ms (target < 250 ms): {'met' if order_p99 < 250 else 'NOT met'}"
    # What the target asks of this machine: the rate, and the cores it would take at the CPU an
    # order cost in this run, PostgreSQL and the client first (they share the cores).
    wanted = 0.04 * r["healthz"]
    cores = os.cpu_count() or 1
    others_ms = r["postgres_cpu_ms"] + r["client_cpu_ms"]
    budget = (
        f"- 4% of /healthz is {wanted:,.0f} full orders/s. At this run's CPU an order, PostgreSQL and the "
        f"client alone ({others_ms:.1f} ms) would use {wanted * others_ms / 1000:.2f} of the machine's "
        f"{cores} cores at that rate, and the workers ({r['worker_cpu_ms']:.1f} ms) "
        f"{wanted * r['worker_cpu_ms'] / 1000:.1f} more; the workers' share of what is left would have "
        f"to cost at most {max(0.0, cores * 1000 / wanted - others_ms):.1f} ms an order."
    )
    return "\n".join(
        [
            BEGIN,
            f"### Full orders on PostgreSQL, {args.workers} uvicorn workers, {args.connections} connections",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. Server, PostgreSQL and the "
            "client (aiohttp) share the same cores.",
            f"Command: `{command}`. A fresh database: one approved seller, {args.products} products, "
            f"{args.buyers:,} buyers with identities; {args.warmup_orders} warm-up orders by buyers of their "
            "own, then /healthz with the same client and connections (and wrk), then the orders, each "
            "`POST /orders` → `POST /orders/{id}/payments` (sandbox) → `POST /payments/{id}/sandbox-pay` "
            "(captured, the order paid).",
            "",
            "| full orders | orders/s | /healthz req/s | orders of /healthz | full order p50 / p99 ms "
            "| place p50 / p99 | pay p50 / p99 | capture p50 / p99 | worker CPU ms / order "
            "| PostgreSQL CPU ms / order | client CPU ms / order | failures |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {r['orders']:,} | {r['orders_per_second']:,.0f} | {healthz} | {ratio:.2%} "
            f"| {lat['order']} | {lat['place']} | {lat['pay']} | {lat['capture']} "
            f"| {r['worker_cpu_ms']:.1f} | {r['postgres_cpu_ms']:.1f} | {r['client_cpu_ms']:.1f} "
            f"| {failures} |",
            "",
            f"- {target}.",
            budget,
            f"- Worker CPU: {r['worker_cpu_ms']:.1f} ms a full order against {r['healthz_cpu_ms']:.3f} ms a "
            f"/healthz, so a full order costs the workers as much as {1 / cpu_ratio:,.0f} /healthz answers "
            f"({cpu_ratio:.2%}): a ratio the machine's other load moves far less.",
            f"- The machine was {r['machine_busy']:.0%} busy during the orders ({r['elapsed']:.1f} s), "
            f"{r['others_busy']:.0%} of it by processes other than the server, PostgreSQL and the client; "
            f"/healthz p99 {r['healthz_p99']:.1f} ms with the client.",
            f"- Checked from the database afterwards{'' if ok else ' (NOT all held)'}:",
            *[f"  - {line}" for line in r["checks"]],
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--orders", type=int, default=3_000)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--buyers", type=int, default=3_000, help="the orders go round them")
    parser.add_argument("--stock", type=int, default=100_000, help="units of each product")
    parser.add_argument("--warmup-orders", type=int, default=200)
    parser.add_argument("--healthz-seconds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600, help="seconds the orders may take at most")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql://") or "127.0.0.1" not in args.database_url:
        sys.exit("--database-url must be a postgresql:// URL on 127.0.0.1")
    workdir = Path(tempfile.mkdtemp(prefix="kuajing-checkout-bench-"))
    result = asyncio.run(run(args, workdir))
    section = render(args, result)
    print(section)
    if result["log_tail"]:
        print("server log (tail):\n" + result["log_tail"], file=sys.stderr)
    if not args.no_write:
        replace_section(DOC, BEGIN, END, section)
    if result["failures"] or not all(line.startswith("ok") for line in result["checks"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
