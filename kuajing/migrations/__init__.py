"""Alembic migrations shipped inside the package, applied by `kuajing db upgrade` and `kuajing serve`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations. Call from synchronous code (it runs its own event loop)."""
    command.upgrade(alembic_config(database_url), revision)
