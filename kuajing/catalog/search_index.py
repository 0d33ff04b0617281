"""The products' search documents and the database's full-text index of them, one interface over
two engines: FTS5 on SQLite, full-text search on PostgreSQL (migration 0012 builds both).

Documents are jieba's tokens already (kuajing.catalog.search): FTS5 splits them on spaces;
PostgreSQL's 'simple' configuration (no stemming, no stop words; CJK characters are letters in a
UTF-8 database) splits them on spaces too, except a token that reads as a number in scientific
notation (92e5ae), which the queries, parsed the same way, match as a phrase. A title match weighs
ten times a body match on SQLite (bm25's column weights) and on PostgreSQL (ts_rank's A against
D, 1.0 and 0.1).
"""

from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.search import Document, Query, Term, analysis_version
from kuajing.models import Product, ProductSearch

# Written out as in migration 0012, which indexes exactly this expression.
PG_VECTOR = "(setweight(to_tsvector('simple', title), 'A') || to_tsvector('simple', body))"
FTS5_WEIGHTS = "10.0, 1.0"  # title, body


class SearchIndex(Protocol):
    async def matches(self, session: AsyncSession, query: Query, *, every: bool) -> dict[int, float]:
        """The products matching every group of `query` (or, not `every`, any group), by id, with
        their relevance: higher is better."""
        ...

    async def vocabulary(self, session: AsyncSession) -> list[str]:
        """Every token the documents use."""
        ...


class Fts5Index:
    @staticmethod
    def _term(term: Term) -> str:
        # tokens are [0-9a-z] and CJK characters only (search._TOKEN): quoting is safe
        return f'"{term.text}"' + ("*" if term.prefix else "")

    async def matches(self, session: AsyncSession, query: Query, *, every: bool) -> dict[int, float]:
        groups = ["(" + " OR ".join(self._term(term) for term in group) + ")" for group in query.groups]
        found = await session.execute(
            text(
                f"SELECT rowid, bm25(product_search_fts, {FTS5_WEIGHTS}) FROM product_search_fts"
                " WHERE product_search_fts MATCH :match"
            ),
            {"match": (" AND " if every else " OR ").join(groups)},
        )
        return {product_id: -rank for product_id, rank in found.all()}

    async def vocabulary(self, session: AsyncSession) -> list[str]:
        return list(await session.scalars(text("SELECT term FROM product_search_fts_vocab")))


class PostgresIndex:
    @staticmethod
    def _term(term: Term) -> str:
        return f"'{term.text}'" + (":*" if term.prefix else "")

    async def matches(self, session: AsyncSession, query: Query, *, every: bool) -> dict[int, float]:
        groups = ["(" + " | ".join(self._term(term) for term in group) + ")" for group in query.groups]
        # parsed as the documents were: a token the parser splits (92e5ae: the number 92e5, then
        # ae) becomes the same lexemes, as a phrase
        found = await session.execute(
            text(
                f"SELECT product_id, ts_rank({PG_VECTOR}, to_tsquery('simple', :match)) FROM product_search"
                f" WHERE {PG_VECTOR} @@ to_tsquery('simple', :match)"
            ),
            {"match": (" & " if every else " | ").join(groups)},
        )
        return {product_id: float(rank) for product_id, rank in found.all()}

    async def vocabulary(self, session: AsyncSession) -> list[str]:
        statement = f"SELECT {PG_VECTOR} FROM product_search"
        return list(
            await session.scalars(text("SELECT word FROM ts_stat(:statement)"), {"statement": statement})
        )


def index_of(session: AsyncSession) -> SearchIndex:
    return PostgresIndex() if session.get_bind().dialect.name == "postgresql" else Fts5Index()


async def save_documents(session: AsyncSession, documents: Mapping[int, Document]) -> None:
    """Write each product's document (a new one, or over its old one), in one statement."""
    if not documents:
        return
    version = analysis_version()
    rows = [
        {"product_id": pid, "title": doc.title, "body": doc.body, "analysis": version}
        for pid, doc in documents.items()
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ProductSearch)
    statement = statement.on_conflict_do_update(
        index_elements=["product_id"],
        set_={name: statement.excluded[name] for name in ("title", "body", "analysis")},
    )
    await session.execute(statement, rows)


async def unindexed(session: AsyncSession, *, after_id: int, limit: int) -> list[Product]:
    """Products (not variants) after `after_id` without a document of this analysis: none yet
    (after migration 0012), or one an older analysis wrote."""
    query = (
        select(Product)
        .outerjoin(ProductSearch, ProductSearch.product_id == Product.id)
        .where(
            Product.parent_id.is_(None),
            Product.id > after_id,
            or_(ProductSearch.product_id.is_(None), ProductSearch.analysis != analysis_version()),
        )
        .order_by(Product.id)
        .limit(limit)
    )
    return list(await session.scalars(query))
