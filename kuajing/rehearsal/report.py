"""The rehearsal's numbers: one dict (written as JSON with --json) and a table to read.

Rates, precisely:
- attempts_per_second = purchase responses of any kind (replays included) / the load's duration,
  from the first request sent to the last answer received.
- orders_per_second = distinct orders answered 201 / the time from the first request sent to the
  moment the last of those 201s arrived: how fast the deal sold, not how long the losers took.
- p50/p95/p99_ms = nearest-rank percentiles of every purchase request's latency.
- errors = non-201 answers by problem code; no HTTP answer at all counts as "timeout" or
  "transport_error", a 5xx without a problem code as "http_<status>".
"""

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from kuajing.rehearsal.invariants import Verdict
from kuajing.rehearsal.load import LoadResult


def percentile_ms(latencies: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds to 0.1 ms; 0 for no samples."""
    if not latencies:
        return 0.0
    ordered = sorted(latencies)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


def build(
    *,
    load: LoadResult,
    verdict: Verdict,
    healthz_per_second: float,
    backend: str,
    database: str,
    deal_id: int,
    campaign_id: int,
    stock: int,
    buyers: int,
    concurrency: int,
    replayed_keys: int,
    setup_seconds: float,
) -> dict[str, Any]:
    answers = load.answers
    created = [answer for answer in answers if answer.status == 201]
    first_201: dict[int | None, float] = {}
    for answer in created:
        arrived = answer.sent + answer.latency
        if answer.order_id not in first_201 or arrived < first_201[answer.order_id]:
            first_201[answer.order_id] = arrived
    duration = load.finished - load.started
    selling = (max(first_201.values()) - load.started) if first_201 else 0.0
    latencies = [answer.latency for answer in answers]
    errors = Counter(answer.code for answer in answers if answer.status != 201)
    return {
        "attempts": len(answers),
        "orders": len(first_201),
        "created_answers": len(created),
        "oversold": verdict.oversold,
        "invariants_ok": verdict.ok,
        "attempts_per_second": round(len(answers) / duration, 1) if duration > 0 else 0.0,
        "orders_per_second": round(len(first_201) / selling, 1) if selling > 0 else 0.0,
        "p50_ms": percentile_ms(latencies, 0.50),
        "p95_ms": percentile_ms(latencies, 0.95),
        "p99_ms": percentile_ms(latencies, 0.99),
        "errors": dict(sorted(errors.items())),
        "backend": backend,
        "healthz_per_second": round(healthz_per_second, 1),
        "invariants": [check.as_dict() for check in verdict.checks],
        "units_taken": verdict.units_taken,
        "deal_id": deal_id,
        "campaign_id": campaign_id,
        "stock": stock,
        "buyers": buyers,
        "concurrency": concurrency,
        "replayed_keys": replayed_keys,
        "unsent": load.unsent,
        "duration_seconds": round(duration, 3),
        "setup_seconds": round(setup_seconds, 3),
        "database": database,
        "sweep_error": verdict.sweep_error,
    }


def table(report: dict[str, Any]) -> Table:
    summary = Table(
        title=f"Rehearsal: deal {report['deal_id']} ({report['backend']} on {report['database']})"
    )
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    rows = [
        ("buyers / stock / connections", f"{report['buyers']} / {report['stock']} / {report['concurrency']}"),
        ("attempts (replays included)", str(report["attempts"])),
        ("orders", str(report["orders"])),
        ("oversold", str(report["oversold"])),
        ("attempts/s", f"{report['attempts_per_second']:,.1f}"),
        ("orders/s", f"{report['orders_per_second']:,.1f}"),
        ("/healthz/s (same generator)", f"{report['healthz_per_second']:,.1f}"),
        ("p50 / p95 / p99 ms", f"{report['p50_ms']} / {report['p95_ms']} / {report['p99_ms']}"),
        ("errors", ", ".join(f"{code}: {n}" for code, n in report["errors"].items()) or "none"),
        ("load duration s", f"{report['duration_seconds']:.2f}"),
    ]
    if report["sweep_error"]:
        rows.append(("[yellow]expiry sweep failed (any deal)[/yellow]", report["sweep_error"]))
    if report["unsent"]:
        rows.append(("buyers not tried (duration cap)", str(report["unsent"])))
    for name, value in rows:
        summary.add_row(name, value)
    for check in report["invariants"]:
        mark = "[green]ok[/green]" if check["ok"] else "[red]FAILED[/red]"
        summary.add_row(f"{mark} {check['name']}", f"expected {check['expected']}, found {check['found']}")
    return summary
