"""Positive-list entries with their remarks, and per-person yearly quantity usage for capped lines.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:52:10.708586
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("capped_quantities", sa.JSON(), server_default="{}", nullable=False))
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


def downgrade() -> None:
    op.drop_table("positive_list_entries")
    op.drop_table("annual_quantity_usage")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("capped_quantities")
