"""Singles' Day campaigns and deals: the deal ledger (remaining, reserved, sold, with CHECKs that
they add up to the allocation), per-buyer counters and a reservation row per order.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:08:14.034945
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kuajing.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_campaigns_window_not_empty")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.Integer(), nullable=False),
        sa.Column("price_currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.Column("per_buyer_limit", sa.Integer(), nullable=False),
        sa.Column("created_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("per_buyer_limit > 0", name=op.f("ck_deals_per_buyer_limit_positive")),
        sa.CheckConstraint("price_amount > 0", name=op.f("ck_deals_price_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_deals_quantity_positive")),
        sa.CheckConstraint("remaining + reserved + sold = quantity", name=op.f("ck_deals_units_add_up")),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_deals_remaining_not_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_deals_reserved_not_negative")),
        sa.CheckConstraint("sold >= 0", name=op.f("ck_deals_sold_not_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_deals_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_deals_product_id_products")),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], name=op.f("fk_deals_seller_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("campaign_id", "product_id", name="uq_deals_campaign_product"),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deals_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deals_product_id"), ["product_id"], unique=False)

    op.create_table(
        "deal_buyers",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("units >= 0", name=op.f("ck_deal_buyers_units_not_negative")),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name=op.f("fk_deal_buyers_buyer_id_users")),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_buyers_deal_id_deals")),
        sa.PrimaryKeyConstraint("deal_id", "buyer_id", name=op.f("pk_deal_buyers")),
    )
    op.create_table(
        "deal_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kuajing.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_deal_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name=op.f("fk_deal_reservations_buyer_id_users")),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_reservations_deal_id_deals")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_deal_reservations_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_reservations")),
        sa.UniqueConstraint("order_id", name=op.f("uq_deal_reservations_order_id")),
    )
    with op.batch_alter_table("deal_reservations", schema=None) as batch_op:
        batch_op.create_index("ix_deal_reservations_deal_id_status", ["deal_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deal_reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_reservations_deal_id_status")

    op.drop_table("deal_reservations")
    op.drop_table("deal_buyers")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_product_id"))
        batch_op.drop_index(batch_op.f("ix_deals_campaign_id"))

    op.drop_table("deals")
    op.drop_table("campaigns")
