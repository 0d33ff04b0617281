"""Returns: the order_returns table (request, decision, refund) and orders.delivered_at

Orders delivered before this migration get delivered_at from their delivered event, so
their return window counts from the real delivery.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kuajing.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=200), nullable=True),
        sa.Column("restocked", sa.Boolean(), nullable=True),
        sa.Column("refund_amount", sa.Integer(), nullable=True),
        sa.Column("refund_tax_amount", sa.Integer(), nullable=True),
        sa.Column("refund_currency", sa.String(length=3), nullable=True),
        sa.Column("refund_reference", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "CASE WHEN decision = 'accepted' THEN refund_amount IS NOT NULL ELSE refund_amount IS NULL END",
            name=op.f("ck_order_returns_refund_iff_accepted"),
        ),
        sa.CheckConstraint(
            "decision IN ('accepted', 'rejected')", name=op.f("ck_order_returns_decision_known")
        ),
        sa.CheckConstraint(
            "refund_tax_amount <= refund_amount", name=op.f("ck_order_returns_tax_within_refund")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_order_returns_decided_by_users")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_returns_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_order_returns_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_returns")),
        sa.UniqueConstraint("order_id", name=op.f("uq_order_returns_order_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivered_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=True)
        )

    op.execute(
        "UPDATE orders SET delivered_at = (SELECT MAX(e.created_at) FROM order_events e"
        " WHERE e.order_id = orders.id AND e.to_status = 'delivered')"
        " WHERE status IN ('delivered', 'return_requested', 'returned', 'return_rejected')"
    )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivered_at")

    op.drop_table("order_returns")
