"""API tokens expire and are known by device.

- api_tokens.expires_at: the absolute end (KUAJING_TOKEN_ABSOLUTE_SECONDS after issue); tokens
  issued before get 90 days from their issue, the default.
- api_tokens.last_used_at: refreshed as the token is used (at most hourly); a token unused for
  KUAJING_TOKEN_IDLE_SECONDS no longer signs in. Before: its issue time.
- api_tokens.device: what the holder signed in with (the browser's User-Agent, shortened), for
  the list of the account's sessions; "" before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:30:00.000000
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("device", sa.String(length=120), server_default="", nullable=False))
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("last_used_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)).all():
        connection.execute(
            tokens.update()
            .where(tokens.c.id == token_id)
            .values(expires_at=created_at + DEFAULT_LIFETIME, last_used_at=created_at)
        )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("last_used_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("device")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
