"""The log scan: at the end of a test run, every log line the run wrote is searched for personal
data, and the run fails if any is found.

What it reads: every `*.log` file under the run's base temporary folder. That holds the test
processes' own records (each process writes every record that reaches its root logger to
log-scan/records.log, as logged: before the redaction the app's formatter adds, so what the code
itself logs is judged, not the safety net) and the output of the servers and commands the tests
start (tests/live.py writes a server's output beside its test's temporary files).

What it looks for: resident ID numbers (a valid check character: 18 digits alone are not enough),
mainland mobile numbers, and the names the tests give their buyers. With pytest-xdist the
controller scans once every worker is done; a run of one process scans at its own end.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import is_resident_id

# The names the test factories and fixtures give buyers and consignees (tests/auth/factories.py,
# tests/order/factories.py, the identity and customs tests).
TEST_BUYER_NAMES = ("李娜", "王芳", "王浩", "陈静")

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z.])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z.])1[3-9][0-9]{9}(?![0-9A-Za-z.])")
_NAMES = re.compile("|".join(map(re.escape, TEST_BUYER_NAMES)))
RECORDS = Path("log-scan") / "records.log"


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    kind: str  # "id number", "phone", "buyer name"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}"


def _kinds(line: str) -> Iterable[str]:
    for match in _ID_NUMBER.finditer(line):
        if is_resident_id(match.group().upper()):  # a real ID's birth date and check digit
            yield "id number"
            break
    if _PHONE.search(line):
        yield "phone"
    if _NAMES.search(line):
        yield "buyer name"


def scan(paths: Iterable[Path]) -> list[Finding]:
    """Every line of `paths` that holds personal data, with what it holds."""
    findings = []
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                findings.extend(Finding(path, number, kind) for kind in _kinds(line))
    return findings


def log_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.log") if path.is_file())


class LogScan:
    """The plugin: registered by tests/conftest.py for every pytest process."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.handler: logging.Handler | None = None
        self.findings: list[Finding] = []

    def _base(self) -> Path:
        return self.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined,no-any-return]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        path = self._base() / RECORDS
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handler = logging.FileHandler(path, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logging.getLogger().addHandler(self.handler)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.handler is not None:
            logging.getLogger().removeHandler(self.handler)
            self.handler.close()
        if hasattr(self.config, "workerinput"):
            return  # a pytest-xdist worker: the controller scans every worker's files at the end
        self.findings = scan(log_files(self._base()))
        if self.findings:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.findings:
            return
        terminalreporter.write_sep("=", "personal data in the logs (tests/log_scan.py)", red=True)
        for finding in self.findings[:50]:
            terminalreporter.write_line(str(finding))
        if len(self.findings) > 50:
            terminalreporter.write_line(f"… and {len(self.findings) - 50} more")
