"""Search quality on the demo catalog: the judged query set (tests/catalog/search_judgements.csv)
answered by kuajing's search on SQLite (FTS5) and PostgreSQL (full-text search), beside the search
this replaced (every jieba word a LIKE over the texts, in the order listed) on the same data.

Run:  .venv/bin/python benchmarks/search_quality.py [--postgres-url URL] [--no-write]
It seeds the demo marketplace into a fresh SQLite file and, given --postgres-url (default: the
local `bench` database, emptied first), into PostgreSQL; answers every judged query once per
engine; and rewrites its section of docs/benchmarks.md. A query is right when its top three are
all expected products or, with fewer than three expected, hold them all.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import jieba
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from core_http import machine, replace_section, seed  # noqa: E402

from kuajing.bootstrap import prepare_database  # noqa: E402
from kuajing.catalog import finder  # noqa: E402
from kuajing.catalog.facets import SearchRequest  # noqa: E402
from kuajing.catalog.snapshots import Snapshots  # noqa: E402
from kuajing.db import Database  # noqa: E402
from kuajing.models import Product  # noqa: E402
from tests.catalog.search_judged import TOP, Answer, judgements  # noqa: E402
from tests.helpers import fresh_postgres  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- search-quality:begin -->", "<!-- search-quality:end -->"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/bench"
KINDS = ("chinese", "pinyin", "english", "typo")

Engine = Callable[[AsyncSession, str], Awaitable[list[int]]]


# as the API's search reads: products from the database, prices from the worker's snapshots
SNAPSHOTS = Snapshots.build(read_seconds=1.0, rules_seconds=60.0)


async def kuajing_search(session: AsyncSession, query: str) -> list[int]:
    found = await finder.find(session, SNAPSHOTS, SearchRequest(q=query), fresh=True)
    return list(found.ids)


async def like_search(session: AsyncSession, query: str) -> list[int]:
    """The search before this one: each jieba word of the query found anywhere in the texts."""
    text = func.lower(
        Product.title_en
        + " "
        + Product.title_zh
        + " "
        + Product.description_en
        + " "
        + Product.description_zh
    )
    words = [w.strip() for w in jieba.cut(query.lower()) if w.strip() and w.strip().isalnum()]
    conditions = [text.like(f"%{word}%") for word in words]
    statement = (
        select(Product.id)
        .where(Product.parent_id.is_(None), and_(*conditions) if conditions else or_(True))
        .order_by(Product.id)
    )
    return list(await session.scalars(statement))


async def judge(url: str, engine: Engine) -> tuple[list[Answer], list[float]]:
    database = Database(url)
    try:
        async with database.transaction(write=False) as session:
            skus = {
                product_id: sku for product_id, sku in await session.execute(select(Product.id, Product.sku))
            }
            await engine(session, "warm up")  # jieba's dictionary, the synonyms
            answered, took = [], []
            for judgement in judgements():
                started = time.perf_counter()
                ids = await engine(session, judgement.query)
                took.append((time.perf_counter() - started) * 1000)
                answered.append(Answer(judgement, [skus[i] for i in ids[:TOP]]))
        return answered, took
    finally:
        await database.dispose()


def share(answers: list[Answer], kind: str | None = None) -> str:
    chosen = [a for a in answers if kind is None or a.judgement.kind == kind]
    right = sum(a.right for a in chosen)
    return f"{right}/{len(chosen)} ({right / len(chosen):.0%})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="'' to skip PostgreSQL")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    databases = {"SQLite (FTS5)": f"sqlite:///{tempfile.mkdtemp(prefix='kuajing-judged-')}/demo.db"}
    if args.postgres_url:
        databases["PostgreSQL (full-text)"] = asyncio.run(fresh_postgres(args.postgres_url))
    rows, misses, timings = [], defaultdict(list), {}
    for label, url in databases.items():
        print(f"seeding the demo into {label} ...", flush=True)
        prepare_database(url)
        asyncio.run(seed(url))
        for engine_label, engine in (("kuajing", kuajing_search), ("LIKE, as before", like_search)):
            answers, took = asyncio.run(judge(url, engine))
            rows.append((label, engine_label, answers))
            timings[(label, engine_label)] = took
            if engine_label == "kuajing":
                misses[label] = [a for a in answers if not a.right]
            print(f"  {engine_label}: {share(answers)}", flush=True)

    count = len(judgements())
    lines = [
        BEGIN,
        f"### Search quality: {count} judged queries on the demo catalog",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
        "Command: `python benchmarks/search_quality.py` (the demo seeded into each database; the judged"
        " set is `tests/catalog/search_judgements.csv`; right = the top three all expected, or with fewer"
        " than three expected, all of them in the top three). Baseline: the search this replaced, each"
        " jieba word a LIKE over the texts, in the order listed, on the same data in the same run."
        " Target ≥ 90% right.",
        "",
        "| database | search | all | " + " | ".join(KINDS) + " | ms per query (median / max) |",
        "|---|---|---|" + "---|" * len(KINDS) + "---|",
    ]
    for label, engine_label, answers in rows:
        took = timings[(label, engine_label)]
        lines.append(
            f"| {label} | {engine_label} | **{share(answers)}** | "
            + " | ".join(share(answers, kind) for kind in KINDS)
            + f" | {statistics.median(took):.1f} / {max(took):.1f} |"
        )
    lines.append("")
    for label, wrong in misses.items():
        listed = "; ".join(f"`{a.judgement.query}` → {', '.join(a.top) or 'nothing'}" for a in wrong)
        lines.append(f"Wrong on {label}: {listed or 'none'}.")
    lines.append(END)
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        replace_section(DOC, BEGIN, END, section)


if __name__ == "__main__":
    main()
