"""Order ids taken ahead from the orders' sequence, a block at a time, so that a purchase Redis
admits can be answered with its order id before the order is written (redis_ledger.py).

A block is one statement (nextval over generate_series); the next block is asked for while
half of this one is left, so a purchase waits on the database only when ids run out faster
than one statement returns. Ids a worker never used (it stopped) are gaps in the sequence, as
a rolled-back insert leaves: an order id says nothing about how many orders there are.
"""

import asyncio
from collections import deque

from kuajing.db import Database
from kuajing.order import service as order_service

BLOCK = 1000


class OrderIds:
    def __init__(self, database: Database, *, block: int = BLOCK) -> None:
        self._database = database
        self._block = block
        self._ids: deque[int] = deque()
        self._refill: asyncio.Task[None] | None = None

    async def take(self) -> int:
        if len(self._ids) <= self._block // 2 and self._refill is None:
            self._refill = asyncio.create_task(self._fetch(), name="order-ids")
        while not self._ids:
            refill = self._refill
            if refill is None:
                refill = self._refill = asyncio.create_task(self._fetch(), name="order-ids")
            await asyncio.shield(refill)
        return self._ids.popleft()

    def give_back(self, order_id: int) -> None:
        """An id taken for an attempt Redis refused: the next purchase uses it, so ids handed
        out stay ids of orders (an id no order got makes a request for it wait, order.service)."""
        self._ids.appendleft(order_id)

    async def _fetch(self) -> None:
        try:
            async with self._database.transaction(write=False) as session:
                self._ids.extend(await order_service.next_order_ids(session, self._block))
        finally:
            self._refill = None

    async def close(self) -> None:
        if self._refill is not None:
            self._refill.cancel()
