"""The expiry sweeper: unpaid orders past their window give their stock and yearly room back,
and payments whose provider never sent its notification are asked about.

Runs inside the server (embedded mode) every KUAJING_SWEEP_INTERVAL_SECONDS. Each order is
expired in its own short transaction by a guarded status update, so several workers sweeping
at once never expire an order twice. After the commits, the stock ledger hears which orders
gave units back (the Redis ledger returns them to its own count too).
"""

import asyncio
import logging

from kuajing.db import Database
from kuajing.flash_sale.ledger import StockLedger
from kuajing.fulfillment import payments, service
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.time import utcnow
from kuajing.order import service as order_service

log = logging.getLogger(__name__)


async def sweep_once(
    database: Database,
    context: FulfillmentContext,
    ledger: StockLedger | None = None,
    *,
    query_after_seconds: float = 60,
) -> int:
    """One round; how many orders expired. Pending payments through a real provider are asked
    about first (every one older than `query_after_seconds`, so also those of orders about to
    expire once it is shorter than the order's window): a buyer who paid is never expired. Then
    payments their orders did not take, whose refund could not be asked before, are given back,
    refunds the providers accepted but never confirmed are asked about, and the payment
    companies declare new payments to customs."""
    await payments.query_pending(database, context, older_than_seconds=query_after_seconds)
    await payments.return_duplicates(database, context)
    await payments.settle_refunds(database, context, older_than_seconds=query_after_seconds)
    await payments.declare_paid(database, context)
    now = utcnow()
    async with database.transaction(write=False) as session:
        due = await order_service.due_for_expiry(session, now=now)
    expired: list[int] = []
    for order_id in due:
        # One order that cannot be expired (a deal whose counters drifted, say) is logged and
        # left for the next round; it must not hold back every order due after it.
        try:
            async with database.transaction(write=True) as session:
                if await service.expire_order(session, context, order_id=order_id, now=now):
                    expired.append(order_id)
        except Exception:
            log.exception("order %d could not be expired; left for the next sweep", order_id)
    if ledger is not None:
        await ledger.released(expired)
    return len(expired)


async def run_forever(
    database: Database,
    context: FulfillmentContext,
    interval: float,
    ledger: StockLedger | None = None,
    *,
    query_after_seconds: float = 60,
) -> None:
    while True:
        try:
            count = await sweep_once(database, context, ledger, query_after_seconds=query_after_seconds)
            if count:
                log.info("expired %d unpaid orders", count)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep sweeping; the next round retries what failed
            log.exception("order sweep failed")
        await asyncio.sleep(interval)
