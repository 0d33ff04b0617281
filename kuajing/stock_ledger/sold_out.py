"""A worker's memory of which deals are sold out: the lock-free fast path for the losers.

Once a batch finds a deal with nothing left, this worker answers sold_out from memory, without
touching the database. Units come back when reservations expire (in any worker), so the memory
is only trusted for `recheck_seconds`: then one attempt is let through to the database as a
probe (the others keep their fast answer meanwhile), and its batch either finds units, so the
deal is forgotten here and every attempt goes through again, or learns it is still sold out.
A purchase that could succeed is refused for at most about two intervals.
"""

import time


class SoldOutMemo:
    def __init__(self, recheck_seconds: float) -> None:
        self.recheck_seconds = recheck_seconds
        self._trusted_until: dict[int, float] = {}

    def learn(self, deal_id: int) -> None:
        if self.recheck_seconds > 0:
            self._trusted_until[deal_id] = time.monotonic() + self.recheck_seconds

    def forget(self, deal_id: int) -> None:
        self._trusted_until.pop(deal_id, None)

    def trusted(self, deal_id: int) -> bool:
        """True while the memory is trusted; never lets a probe through (no side effect)."""
        until = self._trusted_until.get(deal_id)
        return until is not None and time.monotonic() < until

    def known(self, deal_id: int) -> bool:
        """True: answer sold_out. False: ask the database (never heard of it, or be the probe)."""
        until = self._trusted_until.get(deal_id)
        if until is None:
            return False
        now = time.monotonic()
        if now < until:
            return True
        # This caller is the probe; if its attempt never reaches a batch (refused by a CBEC
        # rule, say), the next interval lets another one through.
        self._trusted_until[deal_id] = now + self.recheck_seconds
        return False
