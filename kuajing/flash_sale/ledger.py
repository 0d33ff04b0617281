"""The stock ledger's interface: what a purchase attempt carries and what it gets back.

The SQL backend (group_commit.GroupCommitLedger) applies attempts in per-deal batches; the Redis
backend (redis_ledger.RedisLedger) admits them with one Lua script and writes the admitted ones
through the same batches. Either
way the service prices and checks an attempt first, hands it over here, and turns the outcome
into the HTTP answer.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kuajing.compliance.year_room import Held
from kuajing.errors import KuajingError


@dataclass(frozen=True, slots=True)
class DealFacts:
    """What never changes about a deal once created: safe to keep in a worker's memory."""

    id: int
    campaign_id: int
    product_id: int
    seller_id: int
    price_amount: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    owner: str
    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One buyer's priced attempt, checked against every CBEC rule that needs no counter."""

    deal: DealFacts
    buyer_id: int
    quantity: int
    # The buyer's CBEC year, taken by a guarded counter when the attempt is applied.
    id_number: str
    limit_year: int
    dutiable: int
    annual_limit: int
    capped: dict[str, tuple[int, int]]  # positive-list prefix -> (amount this order holds, yearly cap)
    # The columns of the order and of its lines, as the quote priced them at the deal price.
    order: dict[str, Any]
    lines: list[dict[str, Any]]
    idempotency: IdempotencyClaim | None = None
    # Set by the Redis ledger: the admission token of the attempt's stream entry, stored on the
    # reservation so a replay of that entry finds the order instead of writing it again.
    token: str | None = None
    # Set by the Redis ledger when Redis refused an attempt that carries an Idempotency-Key: the
    # batch then only claims the key, so a request racing an earlier one with the same key gets
    # that one's answer (Replayed), as on the SQL ledger, and any other gets this refusal.
    refused: KuajingError | None = None
    # What the database held of the buyer's year when the attempt was checked: the Redis
    # ledger sets the buyer's yearly room from it if Redis has none (compliance.year_room).
    held: Held | None = None
    # Whether the buyer may be answered before the order is written (an API purchase): the Redis
    # ledger then answers as soon as Redis admits the attempt, with the order id it set here from
    # ids taken ahead (`order_id`), and writes the order (and stores a key's answer) after.
    answer_early: bool = False
    order_id: int | None = None
    # Set by the Redis ledger's replayer: an entry left in the stream, whose order may already
    # be written (cancelled, refused after its early answer) under `order_id`.
    replayed: bool = False

    @property
    def promised(self) -> bool:
        """Whether its buyer was told 201 with `order_id` before the order was written (an early
        answer); never one Redis refused. The database must then write that order, cancelled
        with the reason if it refuses it. A purchase that waits for its order may still carry an
        id taken ahead (Redis asked it to wait, after a rebuild): that promises nothing."""
        return self.answer_early and self.order_id is not None and self.refused is None


@dataclass(frozen=True, slots=True)
class Reserved:
    order_id: int
    expires_at: datetime
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refused:
    error: KuajingError


@dataclass(frozen=True, slots=True)
class Replayed:
    """Another request with the same Idempotency-Key committed first: answer with its result."""


Outcome = Reserved | Refused | Replayed


class StockLedger(Protocol):
    def known_sold_out(self, deal_id: int) -> bool:
        """True when this worker learned recently that the deal has no units left: the answer
        is sold_out without asking the store."""
        ...

    def sold_out_trusted(self, deal_id: int) -> bool:
        """Like known_sold_out, but never elects this caller as the probe: for the losers' fast
        path, which then leaves the probe to the endpoint."""
        ...

    async def purchase(self, attempt: Attempt) -> Outcome: ...

    async def released(self, order_ids: list[int]) -> None:
        """Called after the commit that expired or cancelled these orders: a ledger that keeps
        its own count of a deal's units (Redis) gives theirs back. Idempotent."""
        ...

    async def close(self) -> None: ...
