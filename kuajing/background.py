"""The loops a deployment runs beside its requests: the expiry sweeper (with its payment queries),
the Redis ledger's replays and reconciles, the customs exchange.

Every API server process runs them by default, so the one-process demo needs nothing else. A
deployment of many API processes turns them off there (KUAJING_BACKGROUND_LOOPS=false) and runs
them once, in `kuajing worker`: the same loops, started by the same function."""

import asyncio
import contextlib
import signal

from kuajing.customs import exchange as customs_exchange
from kuajing.flash_sale.ledger import StockLedger
from kuajing.fulfillment import sweeper
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.runtime import Runtime
from kuajing.stock_ledger.redis_ledger import RedisLedger


def start_loops(runtime: Runtime) -> list[asyncio.Task[None]]:
    """Start every loop whose interval is above 0, on the running event loop; the tasks started."""
    settings, database = runtime.settings, runtime.database
    ledger = runtime.get(StockLedger)
    tasks = []
    if settings.sweep_interval_seconds > 0:
        tasks.append(
            asyncio.create_task(
                sweeper.run_forever(
                    database,
                    runtime.get(FulfillmentContext),
                    settings.sweep_interval_seconds,
                    ledger,
                    query_after_seconds=settings.payment_query_after_seconds,
                ),
                name="order-sweeper",
            )
        )
    if isinstance(ledger, RedisLedger) and (
        settings.flash_sale_replay_interval_seconds > 0 or settings.flash_sale_reconcile_interval_seconds > 0
    ):
        tasks.append(
            asyncio.create_task(
                ledger.upkeep_forever(
                    replay_interval=settings.flash_sale_replay_interval_seconds,
                    reconcile_interval=settings.flash_sale_reconcile_interval_seconds,
                    warm_ahead=settings.flash_sale_warm_ahead_seconds,
                ),
                name="redis-ledger-upkeep",
            )
        )
    if settings.customs_exchange_interval_seconds > 0:
        tasks.append(
            asyncio.create_task(customs_exchange.run_forever(database, settings), name="customs-exchange")
        )
    return tasks


async def stop_loops(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the loops and wait until each has stopped (a sweep in flight rolls back)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_until_stopped(runtime: Runtime) -> None:
    """`kuajing worker`'s body: the loops until SIGTERM or SIGINT (what `docker stop` and Ctrl-C
    send), then a clean stop; the caller closes the runtime. A loop that ends by itself ends the
    worker with its error, so a supervisor restarts it rather than it idling on."""
    ledger = runtime.get(StockLedger)
    if isinstance(ledger, RedisLedger):
        await ledger.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sent in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sent, stopping.set)
    tasks = start_loops(runtime)
    waiter = asyncio.create_task(stopping.wait(), name="stop-signal")
    try:
        done, _pending = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sent in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sent)
        waiter.cancel()
        await stop_loops(tasks)
    for task in done - {waiter}:
        task.result()  # its error, if it raised one
        raise RuntimeError(f"the background loop {task.get_name()} ended by itself")
