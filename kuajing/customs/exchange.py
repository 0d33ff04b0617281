"""One round of the customs exchange: send every draft that may go, then read every receipt.

Runs from the server's background loop (KUAJING_CUSTOMS_EXCHANGE_INTERVAL_SECONDS) and from
`kuajing customs exchange`. File work (reading receipts, writing and fsyncing the outbox, moving
files) runs in a thread, never in the server's event loop. Each message is sent, and each
receipt file applied, in its own short transaction with guarded status moves, so several
workers exchanging at once move a message from draft to sent, or to its final answer, only
once. (Two workers reading the same progress receipt at the same moment may both note it as an
event; nothing else doubles.) A file that cannot be read or matched goes to inbox/failed with
its reason; the loop never stops on a bad file.
"""

import asyncio
import logging
from dataclasses import dataclass, fields

from kuajing.customs import receipts, service
from kuajing.customs.parties import CustomsParties
from kuajing.customs.receipts import Receipt, ReceiptError
from kuajing.customs.transport import CustomsTransport, FileDropTransport, Incoming
from kuajing.db import Database
from kuajing.kit.time import utcnow
from kuajing.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ExchangeSummary:
    sent: int = 0
    held: int = 0  # drafts held after this round, for any reason (no seller code, a return, bad data)
    accepted: int = 0
    rejected: int = 0
    progress: int = 0
    duplicate: int = 0
    failed: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def file_drop(settings: Settings) -> FileDropTransport:
    return FileDropTransport(settings.customs_outbox, settings.customs_inbox)


async def exchange_once(
    database: Database, transport: CustomsTransport, parties: CustomsParties
) -> ExchangeSummary:
    summary = ExchangeSummary()
    await _send(database, transport, parties, summary)
    await _read(database, transport, parties, summary)
    return summary


async def _send(
    database: Database, transport: CustomsTransport, parties: CustomsParties, summary: ExchangeSummary
) -> None:
    async with database.transaction(write=False) as session:
        drafts = await service.draft_ids(session)
    for message_id in drafts:
        try:
            async with database.transaction(write=True) as session:
                sent = await service.send_draft(
                    session, message_id=message_id, transport=transport, parties=parties, now=utcnow()
                )
        except Exception:  # this message stays a draft; the next round tries it again
            log.exception("sending customs message %s failed", message_id)
            summary.errors += 1
            continue
        summary.sent += sent
    async with database.transaction(write=False) as session:
        summary.held = await service.held_count(session)


async def _read(
    database: Database, transport: CustomsTransport, parties: CustomsParties, summary: ExchangeSummary
) -> None:
    readable: list[tuple[Incoming, list[Receipt]]] = []
    for incoming in await asyncio.to_thread(lambda: list(transport.receipts())):
        try:
            if incoming.problem is not None:
                raise ReceiptError(incoming.problem)
            readable.append((incoming, receipts.parse(incoming.content)))
        except ReceiptError as exc:
            await asyncio.to_thread(transport.failed, incoming, str(exc))
            summary.failed += 1
    # Oldest answer first, so "declaring" never lands after "accepted" for the same message.
    readable.sort(key=lambda item: (min(r.return_time for r in item[1]), item[0].name))
    for incoming, found in readable:
        try:
            async with database.transaction(write=True) as session:
                results = [
                    await service.apply_receipt(session, receipt=receipt, parties=parties, now=utcnow())
                    for receipt in found
                ]
        except ReceiptError as exc:  # rolled back: the file changes nothing
            await asyncio.to_thread(transport.failed, incoming, str(exc))
            summary.failed += 1
            continue
        except Exception:  # a database hiccup: leave the file where it is for the next round
            log.exception("applying customs receipt %s failed", incoming.name)
            summary.errors += 1
            continue
        await asyncio.to_thread(transport.done, incoming)
        for result in results:
            setattr(summary, result, getattr(summary, result) + 1)


async def run_forever(database: Database, settings: Settings) -> None:
    transport = file_drop(settings)
    parties = CustomsParties.from_settings(settings)
    while True:
        try:
            summary = await exchange_once(database, transport, parties)
            counts = summary.as_dict()
            if any(count for name, count in counts.items() if name != "held"):
                log.info("customs exchange: %s", counts)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep exchanging; the next round retries what failed
            log.exception("customs exchange failed")
        await asyncio.sleep(settings.customs_exchange_interval_seconds)
