"""Bring a database to the current schema and load the reference data shipped in the package."""

import asyncio

from kuajing import migrations
from kuajing.compliance import service as compliance_service
from kuajing.db import Database
from kuajing.impact import service as impact_service


async def _sync(database_url: str) -> dict[str, int]:
    database = Database(database_url)
    try:
        async with database.transaction(write=True) as session:
            added = await compliance_service.sync_packaged_rules(session)
            added["jobs_ratios"] = await impact_service.sync_packaged_ratios(session)
        return added
    finally:
        await database.dispose()


def prepare_database(database_url: str) -> dict[str, int]:
    """Apply migrations, then insert packaged rule rows the database lacks. Synchronous."""
    migrations.upgrade(database_url)
    return asyncio.run(_sync(database_url))
