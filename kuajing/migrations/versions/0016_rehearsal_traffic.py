"""Rehearsal traffic is marked, as shadow data is in a full-link stress test: `kuajing rehearse
--url` runs on a live deployment's database, and its synthetic rows must never reach buyers,
operators' lists, the reports or customs, and must all go again with `kuajing rehearse --cleanup`.

- users, seller_profiles, products, campaigns, deals: `rehearsal`, false for every row here
  (nothing was marked before). Orders, reservations, events, tokens and identities are reached
  through them. A partial index finds the rehearsal's users among millions.
- order_events and seller_reviews stay append-only, except that a rehearsal's rows may be
  deleted (an order of a rehearsal buyer or seller; a rehearsal seller's reviews): the cleanup
  removes them before the orders and users they name.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MARKED = ("users", "seller_profiles", "products", "campaigns", "deals")
# What makes an append-only row rehearsal traffic, read from the row about to go (OLD).
REHEARSAL_ROW = {
    "order_events": (
        "EXISTS (SELECT 1 FROM orders o JOIN users u ON u.id IN (o.buyer_id, o.seller_id) "
        "WHERE o.id = OLD.order_id AND u.rehearsal)"
    ),
    "seller_reviews": "EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.seller_id AND u.rehearsal)",
}


def _refusal(table: str) -> str:
    return f"{table} is append-only: its rows are never changed or deleted"


def upgrade() -> None:
    for table in MARKED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("rehearsal", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    op.create_index(
        "ix_users_rehearsal",
        "users",
        ["id"],
        postgresql_where=sa.text("rehearsal"),
        sqlite_where=sa.text("rehearsal"),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, rehearsal_row in REHEARSAL_ROW.items():
        if postgresql:
            op.execute(
                f"""
                CREATE FUNCTION kuajing_{table}_guard() RETURNS trigger AS $$
                BEGIN
                    IF TG_OP = 'DELETE' AND {rehearsal_row} THEN
                        RETURN OLD;
                    END IF;
                    RAISE EXCEPTION '% is append-only: its rows are never changed or deleted', TG_TABLE_NAME
                        USING ERRCODE = 'restrict_violation';
                END
                $$ LANGUAGE plpgsql
                """
            )
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION kuajing_{table}_guard()"
            )
            continue
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN NOT {rehearsal_row} "
            f"BEGIN SELECT RAISE(ABORT, '{_refusal(table)}'); END"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in REHEARSAL_ROW:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION kuajing_refuse_change()"
            )
            op.execute(f"DROP FUNCTION kuajing_{table}_guard()")
            continue
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{_refusal(table)}'); END"
        )
    op.drop_index("ix_users_rehearsal", table_name="users")
    for table in reversed(MARKED):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("rehearsal")
