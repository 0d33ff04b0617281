"""The log scan that closes every test run (tests/log_scan.py) finds personal data in any log
file of the run, and only personal data."""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.log_scan import Finding, log_files, scan

pytestmark = pytest.mark.once


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder outside the run's temporary folders: the run's own scan would find these lines."""
    with tempfile.TemporaryDirectory(prefix="kuajing-log-scan-") as name:
        yield Path(name)


def test_id_numbers_phones_and_test_buyers_names_are_found_where_they_are(folder):
    # given
    server = folder / "logs" / "server.log"
    server.parent.mkdir()
    server.write_text(
        "\n".join(
            [
                '{"event": "request", "route": "/api/v1/orders/{order_id}", "status": 201}',
                "WARNING identity 11010519491231002X refused",
                "WARNING order 42: consignee 李娜, 13800138000",
                "INFO deal 110105194912310021 is an id-shaped number with a wrong check character",
                "INFO took 0.13912345678 s; entry 1765432100123-0",
                '{"event": "buyer <id-number>, <phone>", "level": "warning"}',
            ]
        ),
        encoding="utf-8",
    )
    (folder / "notes.txt").write_text("13800138000", encoding="utf-8")  # not a log file
    # when
    findings = scan(log_files(folder))
    # then
    assert findings == [
        Finding(server, 2, "id number"),
        Finding(server, 3, "phone"),
        Finding(server, 3, "buyer name"),
    ]


def test_a_clean_log_has_no_finding(folder):
    (folder / "records.log").write_text("INFO expired 3 unpaid orders\n", encoding="utf-8")
    assert scan(log_files(folder)) == []
