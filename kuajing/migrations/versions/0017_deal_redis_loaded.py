"""When a deal was first set in Redis: a rebuild that finds the deal missing from Redis after
that was a loss (a flush, a restart without persistence, a replica promoted without the deal),
not the first load, and purchases admitted before it may still be on their way to the database.
Redis then asks every admitted purchase to wait for its order for a while (decision 0012). A
failover that keeps the deal but loses its latest takes is not seen as a loss.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kuajing.models.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch_op:
        batch_op.add_column(sa.Column("redis_loaded_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deals") as batch_op:
        batch_op.drop_column("redis_loaded_at")
