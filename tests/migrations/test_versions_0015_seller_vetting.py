"""Migration 0015 (sellers vetted): the sellers trading before it are approved (grandfathered),
a seller added after starts pending, its reviews are append-only, and it goes down and up cleanly."""

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from kuajing.bootstrap import prepare_database
from kuajing.migrations import alembic_config

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database

USER = (
    "INSERT INTO users (id, email, password_hash, role, name, created_at) "
    "VALUES (:id, :email, 'x', 'seller', 'x', '2026-01-01 00:00:00')"
)
PROFILE = (
    "INSERT INTO seller_profiles (user_id, legal_name, us_state, employees, shipping_fee_amount, "
    "shipping_fee_currency, updated_at) VALUES (:id, 'Old LLC', 'CA', 3, 500, 'USD', '2026-01-01 00:00:00')"
)

REVIEW = (
    "INSERT INTO seller_reviews (seller_id, decision, status_from, status_to, reason, actor_id, created_at) "
    "VALUES (2, 'reject', 'pending', 'rejected', 'test', 1, '2026-01-02 00:00:00')"
)


def test_sellers_trading_before_are_approved_and_new_ones_pending(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    prepare_database(url)
    config = alembic_config(url)
    command.downgrade(config, "0014")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(USER), {"id": 1, "email": "old@kuajing.test"})
            connection.execute(text(PROFILE), {"id": 1})
        command.upgrade(config, "head")
        with engine.begin() as connection:
            connection.execute(text(USER), {"id": 2, "email": "new@kuajing.test"})
            connection.execute(text(PROFILE), {"id": 2})
            statuses = connection.execute(
                text("SELECT user_id, status, ein FROM seller_profiles ORDER BY 1")
            ).all()
            connection.execute(text(REVIEW))
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE seller_reviews SET reason = 'changed'"))
    finally:
        engine.dispose()

    assert statuses == [(1, "approved", None), (2, "pending", None)]
    command.downgrade(config, "0014")
    command.upgrade(config, "head")
    command.check(config)  # raises if the models and the migrated schema differ
