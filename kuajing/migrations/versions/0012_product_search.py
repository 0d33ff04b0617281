"""Search by full-text index: each product's search document in `product_search` (title and body
tokens, kuajing.catalog.search), indexed by the database's own full-text search: an FTS5 table on
SQLite (kept in step by triggers, with its vocabulary as a table), a GIN index over a weighted
tsvector on PostgreSQL. `products.search_text`, which LIKE patterns scanned, goes.

The documents are written by the application, not here: a migration may not import the catalog's
analysis (jieba, pypinyin), so `kuajing.bootstrap.prepare_database` indexes every product without
a document right after upgrading, and on every start after rewrites those an older analysis wrote
(`analysis`: a digest of the code's revision, the synonyms, the glossary and the libraries).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same expression as kuajing.catalog.search_index.PG_VECTOR: a query uses the index only if
# it says exactly this. The 'simple' configuration neither stems nor drops a word: the tokens are
# split on their spaces, with the positions a weight needs (title A).
PG_VECTOR = "(setweight(to_tsvector('simple', title), 'A') || to_tsvector('simple', body))"

SQLITE_STATEMENTS = (
    # tokens are already words: unicode61 splits on the spaces only (CJK characters are letters)
    """CREATE VIRTUAL TABLE product_search_fts USING fts5(
        title, body, content='product_search', content_rowid='product_id',
        tokenize='unicode61 remove_diacritics 0')""",
    "CREATE VIRTUAL TABLE product_search_fts_vocab USING fts5vocab(product_search_fts, 'row')",
    """CREATE TRIGGER product_search_fts_insert AFTER INSERT ON product_search BEGIN
        INSERT INTO product_search_fts(rowid, title, body) VALUES (new.product_id, new.title, new.body);
    END""",
    """CREATE TRIGGER product_search_fts_delete AFTER DELETE ON product_search BEGIN
        INSERT INTO product_search_fts(product_search_fts, rowid, title, body)
        VALUES ('delete', old.product_id, old.title, old.body);
    END""",
    """CREATE TRIGGER product_search_fts_update AFTER UPDATE ON product_search BEGIN
        INSERT INTO product_search_fts(product_search_fts, rowid, title, body)
        VALUES ('delete', old.product_id, old.title, old.body);
        INSERT INTO product_search_fts(rowid, title, body) VALUES (new.product_id, new.title, new.body);
    END""",
)


def upgrade() -> None:
    op.create_table(
        "product_search",
        sa.Column("product_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("analysis", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_search_product_id_products")
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_search")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_product_search_vector ON product_search USING gin ({PG_VECTOR})")
    else:
        for statement in SQLITE_STATEMENTS:
            op.execute(statement)
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("search_text")


def downgrade() -> None:
    # the LIKE search finds a product again once it is saved: its search_text starts empty
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER product_search_fts_{trigger}")
        op.execute("DROP TABLE product_search_fts_vocab")
        op.execute("DROP TABLE product_search_fts")
    op.drop_table("product_search")
