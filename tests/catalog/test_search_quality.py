"""Search answers the judged query set (search_judgements.csv: Chinese, pinyin, English and
mistyped queries) on the demo catalog: at least 90% right in the top three, on this pass's database
(FTS5 on SQLite, full-text search on PostgreSQL). benchmarks/search_quality.py reports the same."""

import asyncio
import os
from collections import Counter

import pytest
from sqlalchemy.engine import make_url

from kuajing.bootstrap import prepare_database
from kuajing.demo import seed as demo_seed
from tests.catalog.search_judged import answers, judgements
from tests.helpers import fresh_postgres, no_snapshots, process_runtime

TARGET = 0.90


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of its own with the demo marketplace: the session's is shared with other tests'
    products."""
    url = os.environ.get("KUAJING_TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        named = make_url(url)
        url = asyncio.run(
            fresh_postgres(named.set(database=f"{named.database}_judged").render_as_string(False))
        )
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('judged') / 'demo.db'}"
    prepare_database(url)

    async def seed() -> None:
        async with process_runtime(url) as runtime:
            await demo_seed.seed(runtime)

    asyncio.run(seed())
    return url


def test_the_judged_set_is_large_and_covers_each_kind_of_query():
    kinds = Counter(judgement.kind for judgement in judgements())
    assert sum(kinds.values()) >= 40
    assert set(kinds) == {"chinese", "pinyin", "english", "typo"}
    assert min(kinds.values()) >= 5


def test_at_least_nine_in_ten_judged_queries_are_answered_right_in_the_top_three(demo_database):
    async def judged():
        async with (
            process_runtime(demo_database) as runtime,
            runtime.database.transaction(write=False) as session,
        ):
            return await answers(session, no_snapshots())

    found = asyncio.run(judged())
    wrong = [(a.judgement.query, a.top) for a in found if not a.right]
    share = 1 - len(wrong) / len(found)
    assert share >= TARGET, f"{share:.1%} right; wrong: {wrong}"
    # the one known miss (docs/benchmarks.md): only that beer's title says 精酿; any other is new
    assert wrong == [("精酿啤酒", ["NINEBARK-HAZY-4PK"])]
