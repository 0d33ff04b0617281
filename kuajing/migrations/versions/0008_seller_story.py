"""The seller's story in English and Chinese, shown to buyers on product pages ("" if none).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seller_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_en", sa.String(length=2000), server_default="", nullable=False))
        batch_op.add_column(sa.Column("story_zh", sa.String(length=2000), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("seller_profiles", schema=None) as batch_op:
        batch_op.drop_column("story_zh")
        batch_op.drop_column("story_en")
