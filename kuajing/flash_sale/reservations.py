"""A deal reservation's life: held by an unpaid order, then sold when it is paid or released
(back to the deal, not the product) when it expires or is cancelled.

Locks are taken in one order everywhere: the reservation, the deal row, the buyer's deal
counter, then (in the caller) the buyer's CBEC year; a purchase batch takes the deal row before
any buyer's rows, so no two writers can wait on each other in a circle.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import DealNotFound
from kuajing.models import DealReservation


class ReservationStatus(StrEnum):
    held = "held"
    sold = "sold"
    released = "released"


# Statuses whose units count as taken: the campaign's orders and GMV.
TAKEN = (ReservationStatus.held.value, ReservationStatus.sold.value)


class LedgerDrift(RuntimeError):
    """A deal's counters disagree with its reservation rows: a bug, never a client's doing."""


async def settle(session: AsyncSession, *, order_id: int, now: datetime) -> None:
    """The order was paid: the units it holds of a deal (if any) move from reserved to sold."""
    reservation = await repository.reservation_of(session, order_id)
    if reservation is None:
        return
    if await repository.move_reservation(
        session,
        reservation_id=reservation.id,
        from_status=ReservationStatus.held,
        to_status=ReservationStatus.sold,
        now=now,
    ) and not await repository.sell_units(
        session, deal_id=reservation.deal_id, quantity=reservation.quantity
    ):
        raise LedgerDrift(f"deal {reservation.deal_id} has fewer than {reservation.quantity} reserved")


async def release(session: AsyncSession, *, order_id: int, now: datetime) -> bool:
    """The unpaid order expired or was cancelled: the units it holds go back to the deal and to
    the buyer's per-deal allowance. False if the order holds no deal units (a normal order)."""
    reservation = await repository.reservation_of(session, order_id)
    if reservation is None:
        return False
    if await repository.move_reservation(
        session,
        reservation_id=reservation.id,
        from_status=ReservationStatus.held,
        to_status=ReservationStatus.released,
        now=now,
    ):
        if not await repository.return_units(
            session, deal_id=reservation.deal_id, quantity=reservation.quantity
        ):
            raise LedgerDrift(f"deal {reservation.deal_id} has fewer than {reservation.quantity} reserved")
        await repository.release_buyer_units(
            session, deal_id=reservation.deal_id, buyer_id=reservation.buyer_id, quantity=reservation.quantity
        )
    return True


async def holds_units(session: AsyncSession, *, order_id: int) -> bool:
    """Whether the order holds units of a deal until it is paid (a Singles' Day order not paid
    yet): units that go back to the sale when the order expires."""
    reservation = await repository.reservation_of(session, order_id)
    return reservation is not None and reservation.status == ReservationStatus.held


# -- what the Redis stock ledger reads of the rows, to give units back and to rebuild a deal -----


@dataclass(frozen=True, slots=True)
class LockedDeal:
    """A deal as a rebuild of its Redis state needs it, read with its row locked until commit."""

    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime
    remaining: int
    redis_loaded_at: datetime | None  # when it was first set in Redis (None: never yet)


async def lock_deal(session: AsyncSession, *, deal_id: int) -> LockedDeal:
    """Lock the deal row (the lock a purchase batch takes) and read it; DealNotFound if none."""
    found = await repository.get_deal(session, deal_id)
    if found is None:
        raise DealNotFound(message=f"No deal {deal_id}.")
    deal, campaign = found
    remaining, redis_loaded_at = await repository.lock_for_rebuild(session, deal_id)
    return LockedDeal(deal.per_buyer_limit, campaign.starts_at, campaign.ends_at, remaining, redis_loaded_at)


async def mark_redis_loaded(session: AsyncSession, *, deal_id: int, now: datetime) -> None:
    """Record that the deal is set in Redis, the first time it is (hold its row lock)."""
    await repository.mark_redis_loaded(session, deal_id=deal_id, now=now)


async def written_tokens(session: AsyncSession, tokens: list[str]) -> set[str]:
    """Which of these Redis admission tokens already have their reservation written."""
    return await repository.written_tokens(session, tokens)


async def units_by_buyer(session: AsyncSession, *, deal_id: int) -> dict[int, int]:
    """Units each buyer holds of the deal (reserved or bought), buyers holding none left out."""
    return await repository.buyer_units(session, deal_id)


async def taken_by_token(session: AsyncSession, *, deal_id: int) -> list[tuple[int, str | None, int]]:
    """(buyer, Redis token, units) of the deal's reservations that hold units."""
    return await repository.taken_units_by_token(session, deal_id=deal_id, statuses=list(TAKEN))


async def released(
    session: AsyncSession, *, deal_id: int | None = None, order_ids: list[int] | None = None
) -> list[DealReservation]:
    """Released reservations of one deal, or of some orders."""
    return await repository.reservations_in(
        session, status=ReservationStatus.released.value, deal_id=deal_id, order_ids=order_ids
    )


async def live_deal_ids(session: AsyncSession, *, now: datetime) -> list[int]:
    """Deals whose campaign has not ended."""
    return await repository.live_deal_ids(session, now=now)


async def campaigns_opening(
    session: AsyncSession, *, now: datetime, by: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(id, start, end) of the campaigns open at `by` or earlier that have not ended (no
    rehearsal's)."""
    return [
        (campaign.id, campaign.starts_at, campaign.ends_at)
        for campaign in await repository.open_campaigns(session, now=now)
        if campaign.starts_at <= by
    ]
