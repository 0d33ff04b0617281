"""Migration 0013 seals what a database already holds: the demo's buyers, orders, customs
messages and yearly counters, written in clear before it (downgraded to 0012, which opens them),
are sealed by the upgrade, keyed by lookup keys, and read back as they were; two accounts that
held one ID number before the rule leave it with the one that ordered under it."""

import asyncio
import re
import sqlite3

import pytest
from alembic import command
from sqlalchemy import select

from kuajing.bootstrap import prepare_database
from kuajing.compliance import repository as compliance_repository
from kuajing.demo import seed as demo_seed
from kuajing.migrations import alembic_config
from kuajing.models import BuyerIdentity, Order
from tests.helpers import is_resident_id, process_runtime

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database

ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def _rows(path, query):
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


async def _seed(url):
    async with process_runtime(url) as runtime:
        await demo_seed.seed(runtime)


async def _read(url, counters):
    """Through the models, as the app reads: identities, orders, and each counter by its number."""
    async with process_runtime(url) as runtime, runtime.database.transaction(write=False) as session:
        identities = {i.user_id: i.id_number for i in await session.scalars(select(BuyerIdentity))}
        orders = [
            (o.buyer_id_number, o.shipping_address["phone"]) for o in await session.scalars(select(Order))
        ]
        used = [
            (
                number,
                year,
                (await compliance_repository.annuals_used(session, id_numbers=[number], year=year))[number],
            )
            for number, year, _ in counters
        ]
        return identities, orders, used


def test_upgrading_seals_what_was_in_clear_and_keeps_the_first_holder_of_a_shared_number(tmp_path):
    path = tmp_path / "migrate.db"
    url = f"sqlite:///{path}"
    prepare_database(url)
    asyncio.run(_seed(url))
    buyers = demo_seed.load_catalog()["buyers"]
    config = alembic_config(url)

    command.downgrade(config, "0012")
    clear = dict(_rows(path, "SELECT user_id, id_number FROM buyer_identities ORDER BY user_id"))
    assert sorted(clear.values()) == sorted(b["id_number"] for b in buyers)  # opened: in clear
    counters = _rows(path, "SELECT id_number, year, used_amount FROM annual_usage ORDER BY id_number")
    assert {number for number, _, _ in counters} <= set(clear.values()) and counters
    # two accounts naming one number, as was possible before: the second names the first's, and
    # did so long ago; the first ordered under it, so the first keeps it
    first_id, second_id = sorted(clear)[:2]
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE buyer_identities SET id_number = ?, updated_at = '2000-01-01 00:00:00' WHERE user_id = ?",
            (clear[first_id], second_id),
        )

    command.upgrade(config, "head")
    command.check(config)  # the sealed schema is the models'

    raw = "\n".join(
        str(row)
        for table in (
            "users",
            "buyer_identities",
            "orders",
            "customs_messages",
            "payment_notifications",
            "annual_usage",
        )
        for row in _rows(path, f"SELECT * FROM {table}")
    )
    assert [n for n in ID_NUMBER.findall(raw) if is_resident_id(n)] == []
    assert not any(b["id_number"] in raw or b["phone"] in raw or b["name"] in raw for b in buyers)
    keys = _rows(path, "SELECT person_key FROM annual_usage")
    assert keys and all(key.startswith("pk1:") for (key,) in keys)
    claims = dict(_rows(path, "SELECT user_id, person_key FROM buyer_identities"))
    assert claims[first_id] is not None and claims[second_id] is None  # the first holder keeps it

    identities, orders, used = asyncio.run(_read(url, counters))
    assert identities == {**clear, second_id: clear[first_id]}
    assert sorted({number for number, _ in orders}) == sorted(b["id_number"] for b in buyers)
    assert {phone for _, phone in orders} == {b["phone"] for b in buyers}
    assert used == counters  # every person's yearly room, found by the lookup key
