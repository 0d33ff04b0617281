"""`kuajing keys rotate`: a new secret takes over the data keys without a value re-sealed and
without stopping a process that runs on the old one."""

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from kuajing.db import Database
from kuajing.kit.time import utcnow
from kuajing.models import User
from kuajing.sealing import MasterKeys

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database

OLD, NEW = "the-old-secret-for-rotation-tests", "the-new-secret-for-rotation-tests"


def keys_cli(url: str, *args: str, secret: str, previous: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KUAJING_DATABASE_URL": url,
        "KUAJING_SECRET_KEY": secret,
        "KUAJING_PREVIOUS_SECRET_KEYS": previous,
        "KUAJING_PASSWORD_HASH_PROFILE": "cheapest",
    }
    return subprocess.run(
        [sys.executable, "-m", "kuajing.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


async def names(database: Database) -> list[str]:
    async with database.transaction(write=False) as session:
        return list(await session.scalars(select(User.name).order_by(User.id)))


async def add_user(database: Database, email: str, name: str) -> None:
    async with database.transaction(write=True) as session:
        session.add(User(email=email, password_hash="x", role="buyer", name=name, created_at=utcnow()))


def test_rotation_moves_every_data_key_to_the_new_secret_while_an_old_process_keeps_working(tmp_path):
    url = f"sqlite:///{tmp_path / 'kuajing.db'}"
    made = keys_cli(
        url,
        "users",
        "add",
        "ops@rotate.test",
        "--role",
        "operator",
        "--password",
        "correct horse battery staple 9",
        "--name",
        "Rotating Operator",
        secret=OLD,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    running = Database(url, master_keys=MasterKeys.from_secrets(OLD))  # a server on the old secret
    assert asyncio.run(names(running)) == ["Rotating Operator"]

    # the new secret alone cannot unwrap what the old one wrapped: nothing changes
    refused = keys_cli(url, "keys", "rotate", secret=NEW)
    assert refused.returncode == 1
    assert "Nothing re-wrapped" in refused.stdout and "KUAJING_PREVIOUS_SECRET_KEYS" in refused.stdout
    rotated = keys_cli(url, "keys", "rotate", secret=NEW, previous=OLD)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "6 data keys re-wrapped" in rotated.stdout
    again = keys_cli(url, "keys", "rotate", secret=NEW, previous=OLD)
    assert "already wrapped" in again.stdout
    status = keys_cli(url, "keys", "status", secret=NEW)
    assert status.stdout.count(" yes ") == 6 and " no " not in status.stdout

    # the process started before still reads and writes; one on the new secret alone reads both
    asyncio.run(add_user(running, "late@rotate.test", "Written After Rotation"))
    asyncio.run(running.dispose())
    fresh = Database(url, master_keys=MasterKeys.from_secrets(NEW))
    assert asyncio.run(names(fresh)) == ["Rotating Operator", "Written After Rotation"]
    asyncio.run(fresh.dispose())
    # and the old secret alone no longer opens the database
    stale = keys_cli(url, "keys", "rotate", secret=OLD)
    assert stale.returncode == 1 and "which this process does not have" in stale.stdout
