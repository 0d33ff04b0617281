"""The database-side reconciler: a deal's counters recomputed from its ledger rows.

The reservation rows are the truth. reserved and sold are the units of held and sold
reservations, remaining is what the allocation leaves, and each buyer's deal_buyers counter is
the units of that buyer's held and sold reservations. The reconciler reports every field that
disagrees and, when asked, overwrites the counters from the rows, all under the deal row's lock
(the lock a purchase batch takes), so no batch moves units between its reads and its writes.

Callers pass a write transaction: the lock needs one on PostgreSQL, and on SQLite it is what
makes the reads one consistent snapshot. A Redis backend compares Redis with these same rows.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import DealNotFound
from kuajing.flash_sale.reservations import TAKEN, LedgerDrift, ReservationStatus


@dataclass(frozen=True, slots=True)
class Drift:
    field: str  # "remaining", "reserved", "sold" or "buyer <id> units"
    expected: int  # from the reservation rows
    found: int  # as stored


@dataclass(frozen=True, slots=True)
class Reconciliation:
    deal_id: int
    drifts: list[Drift]
    repaired: bool

    @property
    def clean(self) -> bool:
        return not self.drifts


async def reconcile_deal(session: AsyncSession, *, deal_id: int, repair: bool = False) -> Reconciliation:
    """Compare the deal's counters and per-buyer counters with its reservation rows; with
    `repair`, overwrite the drifted ones in the caller's transaction. Rows that hold more than
    the allocation cannot be repaired by counting: that raises LedgerDrift."""
    counters = await repository.lock_counters(session, deal_id)
    if counters is None:
        raise DealNotFound(message=f"No deal {deal_id}.")
    quantity, remaining, reserved, sold = counters
    by_status = await repository.reserved_units_by_status(session, deal_id)
    held_units = by_status.get(ReservationStatus.held.value, 0)
    sold_units = by_status.get(ReservationStatus.sold.value, 0)
    drifts = [
        Drift(name, expected, found)
        for name, expected, found in (
            ("remaining", quantity - held_units - sold_units, remaining),
            ("reserved", held_units, reserved),
            ("sold", sold_units, sold),
        )
        if expected != found
    ]
    holding = await repository.units_held_per_buyer(session, deal_id, list(TAKEN))
    stored = await repository.buyer_units(session, deal_id)
    buyer_fixes = {
        buyer_id: holding.get(buyer_id, 0)
        for buyer_id in sorted(holding.keys() | stored.keys())
        if holding.get(buyer_id, 0) != stored.get(buyer_id, 0)
    }
    drifts += [
        Drift(f"buyer {buyer_id} units", units, stored.get(buyer_id, 0))
        for buyer_id, units in buyer_fixes.items()
    ]
    if not repair or not drifts:
        return Reconciliation(deal_id, drifts, repaired=False)
    if held_units + sold_units > quantity:
        raise LedgerDrift(
            f"deal {deal_id}: reservations hold {held_units + sold_units} units of {quantity} allocated"
        )
    if (remaining, reserved, sold) != (quantity - held_units - sold_units, held_units, sold_units):
        await repository.set_counters(session, deal_id=deal_id, reserved=held_units, sold=sold_units)
    if buyer_fixes:
        await repository.set_buyer_units(session, deal_id=deal_id, units=buyer_fixes)
    return Reconciliation(deal_id, drifts, repaired=True)
