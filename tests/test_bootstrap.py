"""What a process does before it serves (kuajing/bootstrap.py): the SQLite file it prepares is
its owner's alone; in production it refuses the demo's secret key."""

import os
import stat
import subprocess
import sys

import pytest

from kuajing.bootstrap import UnsafeToServe, build_runtime, check_production, prepare_database
from kuajing.settings import DEFAULT_SECRET_KEY, Settings

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database


def test_a_sqlite_database_is_readable_by_its_owner_alone_new_or_old(tmp_path):
    path = tmp_path / "kuajing.db"
    old_umask = os.umask(0o022)  # what most systems give a new file: 0644
    try:
        prepare_database(f"sqlite:///{path}")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        path.chmod(0o644)  # a database made before this rule
        prepare_database(f"sqlite:///{path}")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_production_refuses_the_demo_secret_and_a_short_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'kuajing.db'}"
    for secret in (DEFAULT_SECRET_KEY, "s" * 31):
        with pytest.raises(UnsafeToServe, match="KUAJING_SECRET_KEY"):
            build_runtime(Settings(database_url=url, environment="production", secret_key=secret))
    check_production(Settings(database_url=url, environment="production", secret_key="s" * 32))
    check_production(Settings(database_url=url))  # development: the demo's secret will do

    served = subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "serve", "--port", "1"],
        env={**os.environ, "KUAJING_DATABASE_URL": url, "KUAJING_ENVIRONMENT": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 1
    assert "Not serving" in served.stdout and "KUAJING_SECRET_KEY" in served.stdout
    assert not (tmp_path / "kuajing.db").exists()  # refused before touching the database
