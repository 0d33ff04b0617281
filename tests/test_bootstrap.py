"""What a process does before it serves (kuajing/bootstrap.py): the SQLite file it prepares is
its owner's alone."""

import os
import stat

import pytest

from kuajing.bootstrap import prepare_database

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
