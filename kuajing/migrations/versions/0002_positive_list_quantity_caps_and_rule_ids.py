"""The positive list with its remarks, per-person yearly quantity usage, and the rule rows orders used.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "annual_quantity_usage",
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hs_prefix", sa.String(length=10), nullable=False),
        sa.Column("used_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "used_quantity >= 0", name=op.f("ck_annual_quantity_usage_used_quantity_not_negative")
        ),
        sa.PrimaryKeyConstraint("id_number", "year", "hs_prefix", name=op.f("pk_annual_quantity_usage")),
    )
    op.create_table(
        "positive_list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hs_prefix", sa.String(length=10), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("bonded_only", sa.Boolean(), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("yearly_cap", sa.Integer(), nullable=True),
        sa.Column("yearly_cap_unit", sa.String(length=8), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positive_list_entries")),
        sa.UniqueConstraint("hs_prefix", "effective_from", name="uq_positive_list_prefix_from"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("positive_entry_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("origin_tariff_ids", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_positive_entry_id_positive_list_entries"),
            "positive_list_entries",
            ["positive_entry_id"],
            ["id"],
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cbec_limit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("capped_quantities", sa.JSON(), server_default="{}", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_cbec_limit_id_cbec_limits"), "cbec_limits", ["cbec_limit_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_cbec_limit_id_cbec_limits"), type_="foreignkey")
        batch_op.drop_column("capped_quantities")
        batch_op.drop_column("cbec_limit_id")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_lines_positive_entry_id_positive_list_entries"), type_="foreignkey"
        )
        batch_op.drop_column("origin_tariff_ids")
        batch_op.drop_column("positive_entry_id")

    op.drop_table("positive_list_entries")
    op.drop_table("annual_quantity_usage")
