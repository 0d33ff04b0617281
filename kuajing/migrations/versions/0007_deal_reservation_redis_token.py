"""The Redis stock ledger's admission token on each deal reservation it wrote (nullable, unique),
so a replayed stream entry finds its order instead of writing a second one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deal_reservations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redis_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_deal_reservations_redis_token"), ["redis_token"])


def downgrade() -> None:
    with op.batch_alter_table("deal_reservations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deal_reservations_redis_token"), type_="unique")
        batch_op.drop_column("redis_token")
