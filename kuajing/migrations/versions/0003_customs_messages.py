"""Customs messages: the CEB311/411/511 documents, their events, the seller's customs code, and
the product as ordered on each order line.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kuajing.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customs_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("message_type", sa.String(length=6), nullable=False),
        sa.Column("guid", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("hold_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt_code", sa.String(length=10), nullable=True),
        sa.Column("receipt_note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_customs_messages_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customs_messages")),
        sa.UniqueConstraint("guid", name=op.f("uq_customs_messages_guid")),
        sa.UniqueConstraint("order_id", "message_type", name="uq_customs_messages_order_type"),
    )
    with op.batch_alter_table("customs_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customs_messages_status"), ["status"], unique=False)

    op.create_table(
        "customs_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_customs_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["customs_messages.id"],
            name=op.f("fk_customs_events_message_id_customs_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customs_events")),
    )
    with op.batch_alter_table("customs_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customs_events_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("seller_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customs_code", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("customs_name", sa.String(length=100), nullable=True))

    # The product as ordered, for the customs messages; null on lines placed before.
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_name_zh", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("item_name_en", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("item_sku", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("weight_grams", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("weight_grams")
        batch_op.drop_column("item_sku")
        batch_op.drop_column("item_name_en")
        batch_op.drop_column("item_name_zh")

    with op.batch_alter_table("seller_profiles", schema=None) as batch_op:
        batch_op.drop_column("customs_name")
        batch_op.drop_column("customs_code")

    with op.batch_alter_table("customs_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customs_events_message_id"))

    op.drop_table("customs_events")
    with op.batch_alter_table("customs_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customs_messages_status"))

    op.drop_table("customs_messages")
