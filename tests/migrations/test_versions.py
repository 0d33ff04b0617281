"""The migrations build exactly the schema the models describe: a column added to a model
without its migration (or the other way round) fails here, not on a user's upgrade."""

import importlib.util

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from kuajing.catalog.search_index import PG_VECTOR
from kuajing.migrations import HERE, include_name, upgrade
from kuajing.models import Base

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database


def test_a_database_upgraded_to_head_has_no_difference_from_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'upgraded.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            # the FTS5 tables of migration 0012 are SQLite's own, described by no model
            context = MigrationContext.configure(connection, opts={"include_name": include_name})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_postgresql_index_is_over_the_expression_the_search_queries_say():
    """A query uses the GIN index only if it says exactly what migration 0012 indexed."""
    path = HERE / "versions" / "0012_product_search.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.PG_VECTOR == PG_VECTOR
