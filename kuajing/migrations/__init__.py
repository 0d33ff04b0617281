"""Alembic migrations shipped inside the package, applied by `kuajing db upgrade` and `kuajing serve`."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from kuajing.sealing import MasterKeys

HERE = Path(__file__).parent
# What the database holds for search that no model describes (migration 0012): SQLite's FTS5
# table, its shadow tables and its vocabulary; PostgreSQL's index over an expression.
UNMODELLED_TABLES = "product_search_fts"
UNMODELLED_INDEXES = frozenset({"ix_product_search_vector"})


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Whether autogenerate compares an object: not the search index's own."""
    if type_ == "table":
        return not (name or "").startswith(UNMODELLED_TABLES)
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    return True


def alembic_config(database_url: str, master_keys: MasterKeys | None = None) -> Config:
    """A config for the shipped migrations; the master keys seal personal data (0013), by default
    the settings' (KUAJING_SECRET_KEY or KUAJING_KEY_FILE)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    if master_keys is not None:
        config.attributes["master_keys"] = master_keys
    return config


def head() -> str:
    """The newest revision shipped: what a database at head has in alembic_version."""
    found = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert found is not None
    return found


def upgrade(database_url: str, revision: str = "head", *, master_keys: MasterKeys | None = None) -> None:
    """Apply migrations. Call from synchronous code (it runs its own event loop)."""
    command.upgrade(alembic_config(database_url, master_keys), revision)
