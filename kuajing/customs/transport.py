"""How messages reach customs and receipts come back: one interface, and a file-drop exchange.

The file drop is how many e-port client programs work: the enterprise's client (which signs
with the UKey and talks to the single window) picks up XML from an outbox directory and leaves
receipts in an inbox directory. kuajing writes and reads those directories; it does not sign
messages and does not pretend to be the single window.
"""

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_type: str
    guid: str
    xml: bytes


@dataclass(frozen=True, slots=True)
class Incoming:
    """One receipt file as read; `name` identifies it to `done` and `failed`."""

    name: str
    content: bytes


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
    `processed/`, unreadable or unmatched ones to `failed/` with a `.reason.txt` beside them."""

    def __init__(self, outbox: Path, inbox: Path) -> None:
        self.outbox = Path(outbox)
        self.inbox = Path(inbox)
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
                content = path.read_bytes()
            except OSError:  # taken by another worker, or unreadable now: the next round retries
                continue
            yield Incoming(name=path.name, content=content)

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
