"""The migrations build exactly the schema the models describe: a column added to a model
without its migration (or the other way round) fails here, not on a user's upgrade."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from kuajing.migrations import upgrade
from kuajing.models import Base


def include_fts_excluded(name, type_, _parents):
    return not (type_ == "table" and name.startswith("product_search_fts"))


pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database


def test_a_database_upgraded_to_head_has_no_difference_from_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'upgraded.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            # the FTS5 tables of migration 0012 are SQLite's own, described by no model
            context = MigrationContext.configure(connection, opts={"include_name": include_fts_excluded})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
