"""Sellers are vetted: a seller applies with their business documents and an operator approves,
asks for more, rejects or suspends; only approved sellers' products are shown or sold.

- seller_profiles.status: pending | info_requested | approved | rejected | suspended. Sellers
  that already had a profile are approved here (grandfathered): they were trading legitimately
  before the rule, and hiding their listings on upgrade would break live shops. New sellers
  start pending.
- seller_profiles.ein: the seller's EIN (NN-NNNNNNN); none yet for every seller.
- seller_documents: the files uploaded for vetting (kept privately under documents/…).
- seller_reviews: append-only, every status change with who made it and why; the grandfathered
  sellers get none (no one decided).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kuajing.models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seller_profiles") as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("ein", sa.String(length=10), nullable=True))
        batch_op.create_index(op.f("ix_seller_profiles_status"), ["status"])
    profiles = sa.table("seller_profiles", sa.column("status", sa.String()))
    op.execute(profiles.update().values(status="approved"))
    op.create_table(
        "seller_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["users.id"], name=op.f("fk_seller_documents_seller_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_documents")),
    )
    op.create_index("ix_seller_documents_seller_kind", "seller_documents", ["seller_id", "kind"])
    op.create_table(
        "seller_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("status_from", sa.String(length=16), nullable=False),
        sa.Column("status_to", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('approve', 'request_info', 'reject', 'suspend', 'resubmit')",
            name=op.f("ck_seller_reviews_decision_known"),
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_seller_reviews_actor_id_users")),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], name=op.f("fk_seller_reviews_seller_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_reviews")),
    )
    op.create_index(op.f("ix_seller_reviews_seller_id"), "seller_reviews", ["seller_id"])
    _append_only("seller_reviews")


def _append_only(table: str) -> None:
    """The triggers of 0005 (its function on PostgreSQL) on the reviews."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kuajing_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION kuajing_refuse_change()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: its rows are never changed or deleted'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER seller_reviews_append_only ON seller_reviews")
        op.execute("DROP TRIGGER seller_reviews_no_truncate ON seller_reviews")
    else:
        op.execute("DROP TRIGGER seller_reviews_no_update")
        op.execute("DROP TRIGGER seller_reviews_no_delete")
    op.drop_index(op.f("ix_seller_reviews_seller_id"), table_name="seller_reviews")
    op.drop_table("seller_reviews")
    op.drop_index("ix_seller_documents_seller_kind", table_name="seller_documents")
    op.drop_table("seller_documents")
    with op.batch_alter_table("seller_profiles") as batch_op:
        batch_op.drop_index(op.f("ix_seller_profiles_status"))
        batch_op.drop_column("ein")
        batch_op.drop_column("status")
