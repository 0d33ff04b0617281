"""Applying purchase attempts on one deal together, in the caller's transaction: the heart of the
SQL stock ledger's group commit (stock_ledger.group_commit), which the Redis ledger also writes
through. One lock of the deal row and one guarded UPDATE for the batch's units, each buyer's
allowance, CBEC year and capped quantities taken a statement per table for all of them, and one
INSERT per table for the orders and their reservations.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance import year
from kuajing.compliance.errors import AnnualLimitReached, YearlyQuantityCapReached
from kuajing.errors import Conflict, KuajingError
from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import BuyerLimitReached, SoldOut
from kuajing.flash_sale.ledger import Attempt, DealFacts, Outcome, Refused, Replayed, Reserved
from kuajing.flash_sale.purchase import receipt, window_refusal
from kuajing.flash_sale.reservations import LedgerDrift, ReservationStatus
from kuajing.idempotency import service as idempotency_service
from kuajing.order import service as order_service
from kuajing.order.status import OrderStatus


@dataclass(frozen=True, slots=True)
class BatchResult:
    outcomes: list[Outcome]
    remaining: int  # units the deal has left after the batch


def _reserved(order_id: int, status: str, expires_at: datetime) -> Reserved:
    return Reserved(order_id, expires_at, receipt(order_id, status, expires_at))


async def _take_buyer_rooms(session: AsyncSession, attempts: Sequence[Attempt]) -> list[KuajingError | None]:
    """Take each attempt's per-deal allowance, CBEC year and capped quantities by guarded
    updates, a statement per counter table for all of them rather than per attempt (the deal's
    lock is held meanwhile, so this is the batch's serial part). An attempt refused by one
    counter gets back what the others took, and its refusal in the answer's place.

    One statement cannot update a row twice, so an attempt whose buyer or person (two accounts
    may name one ID number) is already in the statement waits for the next round."""
    refusals: list[KuajingError | None] = [None] * len(attempts)
    rounds: list[list[int]] = []
    for index, attempt in enumerate(attempts):
        for members in rounds:
            if all(
                attempts[other].buyer_id != attempt.buyer_id
                and attempts[other].id_number != attempt.id_number
                for other in members
            ):
                members.append(index)
                break
        else:
            rounds.append([index])
    for members in rounds:
        for index, refusal in zip(
            members, await _take_round(session, [attempts[i] for i in members]), strict=True
        ):
            refusals[index] = refusal
    return refusals


async def _take_round(session: AsyncSession, attempts: list[Attempt]) -> list[KuajingError | None]:
    """_take_buyer_rooms for attempts of distinct buyers and people. Row locks are taken table
    by table (deal buyers, years, capped lines), each sorted, the order every batch follows."""
    deal = attempts[0].deal
    refusals: list[KuajingError | None] = [None] * len(attempts)
    by_buyer = sorted(range(len(attempts)), key=lambda i: attempts[i].buyer_id)
    taken = await repository.consume_buyers_units(
        session,
        deal_id=deal.id,
        taking=[(attempts[i].buyer_id, attempts[i].quantity) for i in by_buyer],
        limit=deal.per_buyer_limit,
    )
    for i, ok in zip(by_buyer, taken, strict=True):
        if not ok:
            refusals[i] = BuyerLimitReached(
                message=f"Deal {deal.id} allows at most {deal.per_buyer_limit} per buyer."
            )

    by_person = sorted(
        (i for i in range(len(attempts)) if refusals[i] is None), key=lambda i: attempts[i].id_number
    )
    annual_taken: set[int] = set()
    for limit in sorted({attempts[i].annual_limit for i in by_person}):
        group = [i for i in by_person if attempts[i].annual_limit == limit]
        taken = await year.take_annuals(
            session,
            taking=[(attempts[i].id_number, attempts[i].limit_year, attempts[i].dutiable) for i in group],
            limit=limit,
        )
        for i, ok in zip(group, taken, strict=True):
            if ok:
                annual_taken.add(i)
            else:
                attempt = attempts[i]
                refusals[i] = AnnualLimitReached(
                    message=f"This order would pass your {attempt.limit_year} cross-border yearly limit."
                )

    lines = sorted(
        (attempts[i].id_number, prefix, i, amount, cap)
        for i in annual_taken
        for prefix, (amount, cap) in attempts[i].capped.items()
    )
    capped_taken: dict[int, list[tuple[str, int]]] = {}
    over: dict[int, list[str]] = {}  # attempt -> capped lines it would pass
    for cap in sorted({cap for *_rest, cap in lines}):
        capped_group = [line for line in lines if line[4] == cap]
        taken = await year.take_capped(
            session,
            taking=[
                (id_number, attempts[i].limit_year, prefix, amount)
                for id_number, prefix, i, amount, _ in capped_group
            ],
            cap=cap,
        )
        for (_id_number, prefix, i, amount, _cap), ok in zip(capped_group, taken, strict=True):
            if ok:
                capped_taken.setdefault(i, []).append((prefix, amount))
            else:
                over.setdefault(i, []).append(prefix)
    for i, prefixes in over.items():
        refusals[i] = YearlyQuantityCapReached(
            message=f"This order would pass your {attempts[i].limit_year} cap on HS {min(prefixes)} goods."
        )

    for i, refusal in enumerate(refusals):
        if refusal is not None and not isinstance(refusal, BuyerLimitReached):
            await _give_back(session, attempts[i], capped_taken.get(i, []), annual=i in annual_taken)
    return refusals


async def _give_back(
    session: AsyncSession, attempt: Attempt, capped: list[tuple[str, int]], *, annual: bool
) -> None:
    """Return what a refused attempt's other counters took: its year and capped lines (rows
    this transaction already holds), then its units of the deal."""
    await year.untake(
        session,
        id_number=attempt.id_number,
        year=attempt.limit_year,
        dutiable=attempt.dutiable if annual else 0,
        capped=dict(capped),
    )
    await repository.release_buyer_units(
        session, deal_id=attempt.deal.id, buyer_id=attempt.buyer_id, quantity=attempt.quantity
    )


def _with_id(attempt: Attempt) -> dict[str, Any]:
    """The order's columns, with the id its buyer was given if answered early."""
    return attempt.order if attempt.order_id is None else {**attempt.order, "id": attempt.order_id}


async def _write_broken_promises(
    session: AsyncSession, deal: DealFacts, settled: list[tuple[Attempt, Outcome | None]], *, now: datetime
) -> None:
    """An attempt answered early whose order the database refuses (Redis held more units or
    yearly room than the database: around a flush, or a room set from a read older than a
    commit) is written all the same, cancelled at once with the refusal's code as the reason,
    so that the order id its buyer was given shows what happened. Once only: a replay finds it."""
    broken = [
        (attempt, outcome.error.code if isinstance(outcome, Refused) else "idempotency_replayed")
        for attempt, outcome in settled
        if attempt.promised and isinstance(outcome, Refused | Replayed)
    ]
    if not broken:
        return
    written = await order_service.present(
        session, [attempt.order_id for attempt, _code in broken if attempt.order_id is not None]
    )
    for code in sorted({code for _attempt, code in broken}):
        cancelled = [
            ({**_with_id(attempt), "status": OrderStatus.cancelled.value}, attempt.lines)
            for attempt, refused in broken
            if refused == code and attempt.order_id not in written
        ]
        if cancelled:
            await order_service.add_orders(
                session, cancelled, reason=f"refused after it was answered: {code} (deal {deal.id})", now=now
            )


async def apply_batch(
    session: AsyncSession, *, deal: DealFacts, attempts: Sequence[Attempt], now: datetime
) -> BatchResult:
    """Apply attempts on one deal in the caller's transaction: claim their Idempotency-Keys, lock
    the deal row, take each buyer's room, then one guarded update of the deal for the batch's
    units and one INSERT per table for its orders. Refused attempts write nothing that stays.

    Locks follow one order: keys (sorted), the deal row, then the buyers' rows in rounds that go
    in ID-number order, each round's rows table by table (deal buyers, years, capped lines) and
    sorted by ID number within a table. A person's year is locked before their capped lines in
    every transaction that takes both, so two batches (or a batch and an expiring order) never
    wait on each other in a circle. Within a batch, units go to attempts in ID-number order.
    """
    outcomes: list[Outcome | None] = [None] * len(attempts)
    claimed: dict[tuple[str, str], int] = {}
    same_key_as: dict[int, int] = {}
    # Of several attempts with one key, one the Redis ledger admitted claims it (not one it
    # refused and sent only for its key), so the others share that one's answer.
    claims = sorted(
        ((attempt.idempotency, i) for i, attempt in enumerate(attempts) if attempt.idempotency is not None),
        key=lambda pair: (pair[0].owner, pair[0].key, attempts[pair[1]].refused is not None),
    )
    for claim, i in claims:
        name = (claim.owner, claim.key)
        if name in claimed:
            same_key_as[i] = claimed[name]
            continue
        if await idempotency_service.claim(
            session, owner=claim.owner, key=claim.key, request_hash=claim.request_hash, now=now
        ):
            claimed[name] = i
        else:
            outcomes[i] = Replayed()

    # The same Redis admission twice in one batch (a replay racing its own worker): one write,
    # one answer for both, like one Idempotency-Key sent twice.
    first_with_token: dict[str, int] = {}
    for i, attempt in enumerate(attempts):
        if attempt.token is None or i in same_key_as:
            continue
        first = first_with_token.setdefault(attempt.token, i)
        if first != i:
            same_key_as[i] = first

    for i, attempt in enumerate(attempts):
        if outcomes[i] is None and i not in same_key_as and attempt.refused is not None:
            outcomes[i] = Refused(attempt.refused)

    # An attempt answered already (answer_early) was admitted inside the window: it is written
    # however late its batch runs.
    refusal: KuajingError | None = window_refusal(deal, now)
    for i, attempt in enumerate(attempts):
        if outcomes[i] is None and i not in same_key_as and refusal is not None and not attempt.promised:
            outcomes[i] = Refused(refusal)

    left = await repository.lock_remaining(session, deal.id)
    # A Redis-admitted attempt already written (its stream entry replayed by another worker, or
    # twice): answer with that order. Only a batch holding this deal's lock writes its
    # reservations, so what this read finds cannot change before the commit.
    tokens = [attempt.token for attempt in attempts if attempt.token is not None]
    written = await repository.orders_of_tokens(session, tokens) if tokens else {}
    for i, attempt in enumerate(attempts):
        if attempt.token in written and i not in same_key_as:
            found = written[attempt.token]
            outcomes[i] = _reserved(found.id, found.status, found.expires_at)
    # A replayed answered attempt whose order was written cancelled (refused,
    # _write_broken_promises) has no reservation for the token look-up to find: its order id
    # tells, and it stays refused. (Only a replay can find one: a first write finds nothing.)
    unsettled = [
        attempt.order_id
        for i, attempt in enumerate(attempts)
        if outcomes[i] is None
        and i not in same_key_as
        and attempt.replayed
        and attempt.promised
        and attempt.order_id is not None
    ]
    refused_before = await order_service.present(session, unsettled) if unsettled else set()
    for i, attempt in enumerate(attempts):
        if outcomes[i] is None and attempt.order_id in refused_before:
            outcomes[i] = Refused(
                Conflict("order_refused", f"Order {attempt.order_id} was refused after it was answered.")
            )
    waiting = sorted(
        (i for i in range(len(attempts)) if outcomes[i] is None and i not in same_key_as),
        key=lambda i: (attempts[i].id_number, i),
    )
    winners: list[int] = []
    position = 0
    while position < len(waiting):
        # Units go in ID-number order. A round takes the attempts that fit what is left, and
        # stops at the first that would fit only if one of them were refused: it is settled
        # first, so rows are still locked in ID-number order and no later buyer is served
        # before an earlier one the units could have covered.
        picked, budget = [], left
        while position < len(waiting):
            i = waiting[position]
            if attempts[i].quantity > left:
                outcomes[i] = Refused(SoldOut(message=f"Deal {deal.id} is sold out."))
            elif attempts[i].quantity > budget:
                break
            else:
                picked.append(i)
                budget -= attempts[i].quantity
            position += 1
        if not picked:
            continue
        refusals = await _take_buyer_rooms(session, [attempts[i] for i in picked])
        for i, refusal in zip(picked, refusals, strict=True):
            if refusal is None:
                left -= attempts[i].quantity
                winners.append(i)
            else:
                outcomes[i] = Refused(refusal)

    if winners:
        units = sum(attempts[i].quantity for i in winners)
        if not await repository.hold_units(session, deal_id=deal.id, quantity=units):
            raise LedgerDrift(f"deal {deal.id} had fewer than {units} units under its lock")
        order_ids = await order_service.add_orders(
            session,
            [(_with_id(attempts[i]), attempts[i].lines) for i in winners],
            reason=f"placed: deal {deal.id}",
            now=now,
        )
        await repository.add_reservations(
            session,
            [
                {
                    "deal_id": deal.id,
                    "order_id": order_id,
                    "buyer_id": attempts[i].buyer_id,
                    "quantity": attempts[i].quantity,
                    "status": ReservationStatus.held.value,
                    "redis_token": attempts[i].token,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, order_id in zip(winners, order_ids, strict=True)
            ],
        )
        for i, order_id in zip(winners, order_ids, strict=True):
            order = attempts[i].order
            outcomes[i] = _reserved(order_id, order["status"], order["expires_at"])

    await _write_broken_promises(
        session,
        deal,
        [(attempts[i], outcome) for i, outcome in enumerate(outcomes) if i not in same_key_as],
        now=now,
    )
    for i, first in same_key_as.items():
        outcomes[i] = outcomes[first]
    refused_keys = []
    for (owner, key), i in claimed.items():
        outcome = outcomes[i]
        if isinstance(outcome, Reserved):
            await idempotency_service.complete(
                session, owner=owner, key=key, status_code=201, response=outcome.answer
            )
        elif attempts[i].promised:
            # answered early, then refused (its order written cancelled): the key keeps the
            # answer its buyer was given, as any key does
            promised = _with_id(attempts[i])
            await idempotency_service.complete(
                session,
                owner=owner,
                key=key,
                status_code=201,
                response=receipt(promised["id"], promised["status"], promised["expires_at"]),
            )
        else:
            refused_keys.append((owner, key))
    if refused_keys:
        await idempotency_service.discard(session, refused_keys)
    answered = [outcome for outcome in outcomes if outcome is not None]
    assert len(answered) == len(attempts)
    return BatchResult(answered, left)
