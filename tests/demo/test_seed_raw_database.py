"""After the demo, the database's own bytes hold no buyer's ID number, phone or name in clear:
read straight from the SQLite file (and its journal), and from every PostgreSQL table as text."""

import asyncio
import os
import re
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from kuajing.bootstrap import prepare_database
from kuajing.demo import seed as demo_seed
from tests.helpers import fresh_postgres, is_resident_id, process_runtime

ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
# a phone stands alone: 11 digits inside a longer run of letters and digits (a random hex id) are not one
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")


def _buyers() -> list[dict[str, str]]:
    return demo_seed.load_catalog()["buyers"]


async def _seed(url: str) -> None:
    async with process_runtime(url) as runtime:
        report = await demo_seed.seed(runtime)
    assert report.orders == len(_buyers()) * len(demo_seed.PAST_ORDERS)


def _found_in(text: str) -> list[str]:
    """Every buyer's number, phone or name the text holds, and any valid ID number or mobile
    phone number at all (a check digit that matches is no accident)."""
    found = [
        f"{field} of {buyer['email']}"
        for buyer in _buyers()
        for field in ("id_number", "phone", "name")
        if buyer[field] in text
    ]
    found += [f"ID number {n}" for n in ID_NUMBER.findall(text) if is_resident_id(n)]
    found += [f"phone {n}" for n in PHONE.findall(text)]
    return found


@pytest.mark.once  # the SQLite file: the PostgreSQL pass has its own test below
def test_the_sqlite_file_holds_no_personal_data_in_clear(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    asyncio.run(_seed(url))
    raw = b"".join(
        Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal") if Path(f"{path}{suffix}").exists()
    )
    assert len(raw) > 100_000  # the demo is in there
    # the payment notifications, customs messages and orders are there, sealed
    assert raw.count(b"kj1:orders:") >= 3 * len(_buyers()) * len(demo_seed.PAST_ORDERS)
    assert _found_in(raw.decode("utf-8", errors="replace")) == []
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.skipif(
    not os.environ.get("KUAJING_TEST_DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL pass only"
)
def test_the_postgresql_tables_hold_no_personal_data_in_clear() -> None:
    base = make_url(os.environ["KUAJING_TEST_DATABASE_URL"])
    url = asyncio.run(fresh_postgres(base.set(database=f"{base.database}_sealed").render_as_string(False)))
    prepare_database(url)
    asyncio.run(_seed(url))

    async def every_row_as_text() -> dict[str, str]:
        parsed = make_url(url)
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
        )
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            return {
                t["tablename"]: "\n".join(
                    row[0]
                    for row in await connection.fetch(
                        f'SELECT row_to_json(t)::text FROM "{t["tablename"]}" t'
                    )
                )
                for t in tables
            }
        finally:
            await connection.close()

    contents = asyncio.run(every_row_as_text())
    assert "orders" in contents and "kj1:orders:" in contents["orders"]
    assert {table: found for table, text in contents.items() if (found := _found_in(text))} == {}
