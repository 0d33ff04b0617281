"""The inbox reads only regular files, and no more of one than a receipt can be."""

import os
from pathlib import Path

import pytest

from kuajing.customs import exchange
from kuajing.customs.service import CustomsParties
from kuajing.customs.transport import FileDropTransport, Incoming
from tests.customs.factories import receipt_xml
from tests.customs.helpers import PLATFORM_CODE

LIMIT = 1000
NOT_REGULAR = "not a regular file (a link, a FIFO or a device)"


def inbox_with_traps(tmp_path: Path) -> FileDropTransport:
    transport = FileDropTransport(tmp_path / "outbox", tmp_path / "inbox", max_bytes=LIMIT)
    transport.prepare()
    (transport.inbox / "a-endless.xml").symlink_to("/dev/zero")
    os.mkfifo(transport.inbox / "b-pipe.xml")
    (transport.inbox / "c-huge.xml").write_bytes(b"<" + b"x" * (10 * LIMIT) + b"/>")
    return transport


@pytest.mark.once
def test_links_fifos_and_oversize_files_are_not_read(tmp_path):
    # given an inbox with a link to /dev/zero, a FIFO nobody writes to and a file over the limit
    transport = inbox_with_traps(tmp_path)
    # when the transport offers what is waiting (it would hang on the FIFO, or never end on
    # /dev/zero, if it opened them)
    offered = list(transport.receipts())
    # then each comes with why it cannot be a receipt, and none with content
    assert offered == [
        Incoming("a-endless.xml", b"", NOT_REGULAR),
        Incoming("b-pipe.xml", b"", NOT_REGULAR),
        Incoming("c-huge.xml", b"", f"file larger than {LIMIT} bytes"),
    ]


def test_the_exchange_sets_them_aside_with_their_reasons(tmp_path, app):
    # given the same inbox, and a receipt that just fits
    transport = inbox_with_traps(tmp_path)
    fits = receipt_xml(
        "CEB312",
        {
            "ebpCode": "NOT-OURS",
            "orderNo": "KJ0000000001",
            "returnStatus": "2",
            "returnTime": "20261111000105",
        },
    )
    assert len(fits) <= LIMIT
    (transport.inbox / "d-fits.xml").write_bytes(fits)

    # when one round of the exchange runs
    async def run(runtime) -> exchange.ExchangeSummary:
        parties = CustomsParties.from_settings(app.settings)
        return await exchange.exchange_once(runtime.database, transport, parties)

    summary = app.run_with_runtime(run)

    # then all four are in failed/ with their reasons; the link is moved as a link
    failed = transport.failed_dir
    reasons = {path.name: path.read_text() for path in sorted(failed.glob("*.reason.txt"))}
    assert reasons == {
        "a-endless.xml.reason.txt": NOT_REGULAR + "\n",
        "b-pipe.xml.reason.txt": NOT_REGULAR + "\n",
        "c-huge.xml.reason.txt": f"file larger than {LIMIT} bytes\n",
        "d-fits.xml.reason.txt": f"receipt is for NOT-OURS, not our {PLATFORM_CODE}\n",
    }
    assert (failed / "a-endless.xml").is_symlink()
    assert list(transport.inbox.glob("*.xml")) == []
    assert summary.failed == 4
