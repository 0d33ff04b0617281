"""The judged query set (search_judgements.csv) and how an answer is judged, shared by the test
that holds search to it and the benchmark that reports it (benchmarks/search_quality.py)."""

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import finder
from kuajing.catalog.facets import SearchRequest
from kuajing.catalog.snapshots import Snapshots
from kuajing.models import Product

JUDGEMENTS = Path(__file__).with_name("search_judgements.csv")
TOP = 3


@dataclass(frozen=True, slots=True)
class Judgement:
    kind: str  # chinese, pinyin, english, typo
    query: str
    expected: frozenset[str]  # SKUs

    def right(self, top: list[str]) -> bool:
        """The top three are all expected or, with fewer than three expected, hold them all."""
        if len(self.expected) >= TOP:
            return len(top) == TOP and set(top) <= self.expected
        return self.expected <= set(top)


def judgements() -> list[Judgement]:
    sets: dict[str, frozenset[str]] = {}
    judged = []
    with JUDGEMENTS.open(encoding="utf-8") as file:
        for row in csv.reader(line for line in file if line.strip() and not line.startswith("#")):
            if row[0].startswith("@"):
                sets[row[0]] = frozenset(row[1].split())
                continue
            kind, query, expected = row
            judged.append(Judgement(kind, query, sets.get(expected) or frozenset(expected.split())))
    return judged


@dataclass(frozen=True, slots=True)
class Answer:
    judgement: Judgement
    top: list[str]

    @property
    def right(self) -> bool:
        return self.judgement.right(self.top)


async def answers(session: AsyncSession, snapshots: Snapshots) -> list[Answer]:
    skus = {product_id: sku for product_id, sku in await session.execute(select(Product.id, Product.sku))}
    found = []
    for judgement in judgements():
        result = await finder.find(session, snapshots, SearchRequest(q=judgement.query), fresh=True)
        found.append(Answer(judgement, [skus[product_id] for product_id in result.ids[:TOP]]))
    return found
