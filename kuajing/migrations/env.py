import asyncio
from typing import cast

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from kuajing.db import async_url
from kuajing.migrations import include_name
from kuajing.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    # hide_parameters: a failing statement's values (a migration sealing rows binds them) stay
    # out of the error's text, and so out of logs
    engine = create_async_engine(async_url(url), poolclass=NullPool, hide_parameters=True)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run() -> None:
    # kuajing.migrations.alembic_config always sets database_url (sqlalchemy.url: a hand-made config).
    url = cast(str, config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url"))
    if context.is_offline_mode():
        context.configure(url=async_url(url), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_async(url))


run()
