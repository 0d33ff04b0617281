"""Migration 0007 (the Redis admission token on deal reservations) goes down and up cleanly, and
leaves the schema exactly as the models say."""

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from kuajing.bootstrap import prepare_database
from kuajing.migrations import alembic_config

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database


def _token_column(path):
    engine = create_engine(f"sqlite:///{path}")
    try:
        columns = {column["name"]: column for column in inspect(engine).get_columns("deal_reservations")}
        uniques = inspect(engine).get_unique_constraints("deal_reservations")
    finally:
        engine.dispose()
    return columns.get("redis_token"), sorted(tuple(u["column_names"]) for u in uniques)


def test_the_token_column_goes_down_and_up_and_matches_the_models(tmp_path):
    path = tmp_path / "migrate.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    config = alembic_config(url)

    command.downgrade(config, "0006")
    without, _ = _token_column(path)
    command.upgrade(config, "head")
    column, uniques = _token_column(path)

    assert without is None
    assert column is not None and column["nullable"] is True
    assert uniques == [("order_id",), ("redis_token",)]
    command.check(config)  # raises if the models and the migrated schema differ
