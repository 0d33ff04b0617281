"""Buying a deal: the one flow behind POST /api/v1/deals/{id}/purchase and the Singles' Day page.

A purchase is refused from memory when it cannot succeed (outside the window, above the per-buyer
limit, a deal this worker knows is sold out), priced and checked against every CBEC rule a read
can check (prepare_attempt), then handed to the stock ledger, which applies it with others on the
same deal in one transaction (batch.py) and answers with the order or the refusal.

No write transaction is held here: the reads happen in a short read session, which gives its
connection back before waiting on work shared with other requests (a batched lookup, the batch).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog.snapshots import Snapshots
from kuajing.checkout import service as checkout
from kuajing.checkout.calculations import for_buyer
from kuajing.compliance import year
from kuajing.compliance.year import BuyerYear, BuyerYearLoader
from kuajing.compliance.year_room import Held
from kuajing.db import Database, end_read
from kuajing.errors import Conflict, KuajingError
from kuajing.flash_sale.errors import BuyerLimitReached, Ended, NotStarted, SoldOut
from kuajing.flash_sale.ledger import (
    Attempt,
    DealFacts,
    IdempotencyClaim,
    Refused,
    Replayed,
    Reserved,
    StockLedger,
)
from kuajing.flash_sale.snapshots import DealSnapshots
from kuajing.flash_sale.templates import DealTemplates
from kuajing.idempotency import service as idempotency_service
from kuajing.kit.time import beijing_year
from kuajing.observability import metrics


@dataclass(frozen=True, slots=True)
class PurchaseContext:
    """What a purchase uses of the running process, built once at start-up."""

    database: Database
    ledger: StockLedger
    deals: DealSnapshots
    snapshots: Snapshots
    buyer_years: BuyerYearLoader
    templates: DealTemplates
    ttl_seconds: float  # how long an unpaid deal order holds its units


@dataclass(frozen=True, slots=True)
class PurchaseRequest:
    deal_id: int
    quantity: int
    risk_notice_accepted: bool
    risk_notice_version: str | None = None
    shipping_address: dict[str, str] | None = None
    idempotency_key: str | None = None
    body: dict[str, Any] | None = None  # what the client sent, fingerprinted with its key
    # The client takes a 201 whose order is written a moment later (the API; not a page, which
    # shows the order next). With an Idempotency-Key, the answer is stored with the order, and a
    # request sent again meanwhile waits for it (redis_ledger).
    answer_early: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """The purchase's answer: 201 and the receipt, or the first answer to a replayed key."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False  # the stored answer to an earlier request with the same key


# The buyer's user id, read from the request's credentials (raising when there are none, or
# they are not a buyer's); called once the losers' refusals have been made.
Buyer = Callable[[AsyncSession], Awaitable[int]]


def window_refusal(deal: DealFacts, now: datetime) -> NotStarted | Ended | None:
    if now < deal.starts_at:
        return NotStarted(message=f"Deal {deal.id} starts at {deal.starts_at.isoformat()}.")
    if now >= deal.ends_at:
        return Ended(message=f"Deal {deal.id} ended at {deal.ends_at.isoformat()}.")
    return None


def refusal_from_memory(context: PurchaseContext, deal_id: int, *, now: datetime) -> KuajingError | None:
    """What `admit` refuses whatever the request says, for a deal whose facts this worker holds:
    outside the campaign's window, or known sold out. None when it may sell or is not in memory."""
    deal = context.deals.known(deal_id)
    if deal is None:
        return None
    refusal = window_refusal(deal, now)
    if refusal is not None:
        return refusal
    # trusted, not known: once the memory is due for a re-check, the request goes on to the
    # endpoint, whose admit() lets exactly one probe through to the store
    if context.ledger.sold_out_trusted(deal_id):
        return SoldOut(message=f"Deal {deal_id} is sold out.")
    return None


def admit(ledger: StockLedger, deal: DealFacts, *, quantity: int, now: datetime) -> None:
    """Refuse, without touching the database, what cannot succeed: outside the campaign's
    window, more than one buyer may ever hold, or a deal this worker knows is sold out."""
    refusal = window_refusal(deal, now)
    if refusal is not None:
        raise refusal
    if quantity > deal.per_buyer_limit:
        raise BuyerLimitReached(message=f"Deal {deal.id} allows at most {deal.per_buyer_limit} per buyer.")
    if ledger.known_sold_out(deal.id):
        raise SoldOut(message=f"Deal {deal.id} is sold out.")


async def prepare_attempt(
    session: AsyncSession,
    snapshots: Snapshots,
    templates: DealTemplates,
    *,
    deal: DealFacts,
    buyer_id: int,
    quantity: int,
    risk_notice_accepted: bool,
    risk_notice_version: str | None,
    shipping_address: dict[str, str] | None,
    ttl_seconds: float,
    idempotency: IdempotencyClaim | None,
    now: datetime,
    buyer: BuyerYear | None = None,
) -> Attempt:
    """Check every CBEC rule a read can check (risk notice, positive list, category rules,
    per-order limit, identity, age, the year as it stands) and fill in the buyer; the counters
    themselves are taken when the batch is applied.

    The deal's template (templates.py) holds the quote at the deal price and the order's priced
    columns for this quantity, computed once while the product, the seller's fee, the FX rate
    and the rules stay as the worker's snapshots (at most KUAJING_READ_CACHE_SECONDS old) hold
    them: the goods are priced at the deal's own fixed price and the order records the rate it
    used. The buyer's identity and year are read fresh (`buyer`, when the caller read them in a
    batch with other buyers'), and the year and caps are taken by guarded counters when the
    attempt is applied."""
    notice = checkout.accepted_notice(risk_notice_accepted, risk_notice_version, now=now)
    template = await templates.priced(session, snapshots, deal=deal, quantity=quantity, now=now)
    if buyer is None:
        buyer = (await year.buyer_years(session, [(buyer_id, template.quote.limit_year)]))[
            buyer_id, template.quote.limit_year
        ]
    priced = for_buyer(template.quote, buyer)
    checkout.refuse_problems(priced)
    assert priced.identity is not None  # for_buyer adds identity_required without one
    return Attempt(
        deal=deal,
        buyer_id=buyer_id,
        quantity=quantity,
        id_number=priced.identity.id_number,
        limit_year=priced.limit_year,
        dutiable=priced.amounts.dutiable,
        annual_limit=priced.limits.annual,
        capped={prefix: (amount, cap) for prefix, (amount, cap, _unit) in priced.capped.items()},
        order=checkout.buyer_fields(
            template.order,
            priced,
            buyer_id=buyer_id,
            shipping_address=shipping_address or {},
            notice=notice,
            now=now,
            ttl_seconds=ttl_seconds,
        ),
        lines=template.lines,
        idempotency=idempotency,
        held=Held(buyer.annual_used, buyer.quantities_used),
    )


def receipt(order_id: int, status: str, expires_at: datetime) -> dict[str, object]:
    """The purchase's answer, as sent and as stored for an Idempotency-Key replay."""
    return {"order_id": order_id, "status": status, "expires_at": expires_at.isoformat()}


async def purchase(
    context: PurchaseContext, request: PurchaseRequest, *, buyer: Buyer, now: datetime
) -> Answer:
    """Buy `request.quantity` units of the deal for the buyer `buyer` names: the order reserved
    (201), or the first answer to the same Idempotency-Key; a refusal is raised. Every attempt
    is counted by its outcome (reserved, replayed, or the refusal's code)."""
    try:
        answer = await _purchase(context, request, buyer=buyer, now=now)
    except KuajingError as refusal:
        metrics.flash_sale_purchase(refusal.code)
        raise
    metrics.flash_sale_purchase("replayed" if answer.replayed else "reserved")
    return answer


async def _purchase(
    context: PurchaseContext, request: PurchaseRequest, *, buyer: Buyer, now: datetime
) -> Answer:
    ledger = context.ledger
    claim = None
    async with context.database.transaction(write=False) as session:
        deal = await context.deals.facts(session, deal_id=request.deal_id)
        await end_read(session)  # before waiting on the buyer's batched lookups
        if request.idempotency_key is None:
            # The losers' refusals come before the buyer is looked up: at 00:00 almost every
            # attempt loses, and a refusal from memory is far cheaper than a token lookup.
            admit(ledger, deal, quantity=request.quantity, now=now)
        buyer_id = await buyer(session)
        if request.idempotency_key is not None:
            # A replay answers with the first result even once the deal has sold out.
            idempotency_service.check_key(request.idempotency_key)
            claim = IdempotencyClaim(
                owner=f"user:{buyer_id}",
                key=request.idempotency_key,
                request_hash=idempotency_service.fingerprint(
                    f"POST /deals/{request.deal_id}/purchase", request.body
                ),
            )
            stored = await idempotency_service.replay(
                session, owner=claim.owner, key=claim.key, request_hash=claim.request_hash
            )
            if stored is not None:
                return Answer(stored.status_code, stored.body, replayed=True)
            await end_read(session)  # before waiting on the buyer's batched lookup
            admit(ledger, deal, quantity=request.quantity, now=now)
        year = await context.buyer_years.load(session, (buyer_id, beijing_year(now)))
        attempt = await prepare_attempt(
            session,
            context.snapshots,
            context.templates,
            deal=deal,
            buyer_id=buyer_id,
            quantity=request.quantity,
            risk_notice_accepted=request.risk_notice_accepted,
            risk_notice_version=request.risk_notice_version,
            shipping_address=request.shipping_address,
            ttl_seconds=context.ttl_seconds,
            idempotency=claim,
            now=now,
            buyer=year,
        )
        if request.answer_early:
            attempt = replace(attempt, answer_early=True)
    outcome = await ledger.purchase(attempt)
    if isinstance(outcome, Reserved):
        return Answer(201, outcome.answer)
    if isinstance(outcome, Refused):
        raise outcome.error
    assert isinstance(outcome, Replayed) and claim is not None
    async with context.database.transaction(write=False) as session:
        stored = await idempotency_service.replay(
            session, owner=claim.owner, key=claim.key, request_hash=claim.request_hash
        )
    if stored is None:
        raise Conflict("idempotency_in_progress", "A request with this Idempotency-Key is in progress.")
    return Answer(stored.status_code, stored.body, replayed=True)
