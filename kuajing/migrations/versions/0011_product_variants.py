"""Variants: a product may have options (Size, Colour) and variants, each a row of `products`
naming its product in `parent_id` (docs/decisions/0009-variants-as-product-rows.md). Every
product listed before this is a product without options: its own only variant, sold as before.
Order lines and deals name the product a variant belongs to in `variant_of`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("options", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("has_variants", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("option_values", sa.JSON(), server_default="[]", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_products_parent_id_products"), "products", ["parent_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_products_parent_id"), ["parent_id"], unique=False)
        batch_op.create_check_constraint("variants_hold_the_stock", sa.text("NOT has_variants OR stock = 0"))
        batch_op.create_check_constraint(
            "variants_have_no_variants", sa.text("parent_id IS NULL OR NOT has_variants")
        )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_order_lines_variant_of_products"), "products", ["variant_of"], ["id"]
        )

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_of", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_deals_variant_of_products"), "products", ["variant_of"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deals_variant_of_products"), type_="foreignkey")
        batch_op.drop_column("variant_of")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_order_lines_variant_of_products"), type_="foreignkey")
        batch_op.drop_column("variant_of")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint("variants_have_no_variants", type_="check")
        batch_op.drop_constraint("variants_hold_the_stock", type_="check")
        batch_op.drop_index(batch_op.f("ix_products_parent_id"))
        batch_op.drop_constraint(batch_op.f("fk_products_parent_id_products"), type_="foreignkey")
        batch_op.drop_column("option_values")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("has_variants")
        batch_op.drop_column("options")
