"""A deal reservation's life: held by an unpaid order, then sold when it is paid or released
(back to the deal, not the product) when it expires or is cancelled.

Locks are taken in one order everywhere: the reservation, the deal row, the buyer's deal
counter, then (in the caller) the buyer's CBEC year; a purchase batch takes the deal row before
any buyer's rows, so no two writers can wait on each other in a circle.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import repository


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
