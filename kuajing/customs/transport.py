"""How messages reach customs and receipts come back: one interface, and a file-drop exchange.

The file drop is how many e-port client programs work: the enterprise's client (which signs
with the UKey and talks to the single window) picks up XML from an outbox directory and leaves
receipts in an inbox directory. kuajing writes and reads those directories; it does not sign
messages and does not pretend to be the single window.
"""

import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kuajing.customs.receipts import MAX_RECEIPT_BYTES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_type: str
    guid: str
    xml: bytes


@dataclass(frozen=True, slots=True)
class Incoming:
    """One receipt file as read; `name` identifies it to `done` and `failed`. A file that could
    not be read as a receipt carries the reason in `problem` (and no content)."""

    name: str
    content: bytes
    problem: str | None = None


class CustomsTransport(Protocol):
    def send(self, message: Outgoing) -> None:
        """Hand one message over; raise if it could not be handed over."""
        ...

    def receipts(self) -> Iterator[Incoming]:
        """Receipts waiting to be read."""
        ...

    def done(self, receipt: Incoming) -> None:
        """The receipt was applied (or needed nothing): never offer it again."""
        ...

    def failed(self, receipt: Incoming, reason: str) -> None:
        """The receipt cannot be applied: set it aside with the reason, for a person."""
        ...


class FileDropTransport:
    """Outbox: `<type>_<guid>.xml`, written atomically. Inbox: any `*.xml`; read files move to
    `processed/`, unreadable or unmatched ones to `failed/` with a `.reason.txt` beside them.
    Only regular files are opened (a symlink or a FIFO could point anywhere, or block), and no
    more than `max_bytes` + 1 bytes of one are read. Every method blocks: call it from a thread."""

    def __init__(self, outbox: Path, inbox: Path, max_bytes: int = MAX_RECEIPT_BYTES) -> None:
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
        self.max_bytes = max_bytes
        self.processed = self.inbox / "processed"
        self.failed_dir = self.inbox / "failed"

    def prepare(self) -> None:
        for folder in (self.outbox, self.inbox, self.processed, self.failed_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: Outgoing) -> None:
        self.prepare()
        target = self.outbox / f"{message.message_type}_{message.guid}.xml"
        # Written under a temporary name and renamed, so the pick-up side never sees half a file;
        # the same guid always lands on the same name, so a resend replaces, never duplicates.
        handle, temporary = tempfile.mkstemp(prefix=".sending-", suffix=".tmp", dir=self.outbox)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(message.xml)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def receipts(self) -> Iterator[Incoming]:
        self.prepare()
        for path in sorted(self.inbox.glob("*.xml")):
            try:
                yield self._read(path)
            except OSError:  # taken by another worker, or unreadable now: the next round retries
                continue

    def _read(self, path: Path) -> Incoming:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return Incoming(path.name, b"", problem="not a regular file (a link, a FIFO or a device)")
        # O_NOFOLLOW and O_NONBLOCK: if it was swapped for a link or a FIFO since, refuse, never wait.
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(handle, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                return Incoming(path.name, b"", problem="not a regular file (a link, a FIFO or a device)")
            content = file.read(self.max_bytes + 1)
        if len(content) > self.max_bytes:
            return Incoming(path.name, b"", problem=f"file larger than {self.max_bytes} bytes")
        return Incoming(path.name, content)

    def done(self, receipt: Incoming) -> None:
        self._move(receipt.name, self.processed)

    def failed(self, receipt: Incoming, reason: str) -> None:
        if self._move(receipt.name, self.failed_dir):
            (self.failed_dir / f"{receipt.name}.reason.txt").write_text(reason + "\n", encoding="utf-8")

    def _move(self, name: str, folder: Path) -> bool:
        folder.mkdir(parents=True, exist_ok=True)
        source = self.inbox / name
        try:
            shutil.move(str(source), str(folder / name))
        except FileNotFoundError:
            log.info("receipt %s was already moved", name)
            return False
        return True
