"""What must hold after a rehearsal, read from the database and compared with what the buyers
were answered. Each check names what it expected and what it found, so a failing rehearsal says
which promise broke and by how much."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import reconciler
from kuajing.flash_sale.reservations import TAKEN
from kuajing.rehearsal import repository
from kuajing.rehearsal.load import Answer


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    expected: int
    found: int
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.expected == self.found

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "expected": self.expected,
            "found": self.found,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    checks: list[Check]
    oversold: int  # units the reservation rows hold beyond the allocation
    units_taken: int  # units of held and sold reservations
    drift: list[reconciler.Drift]
    sweep_error: str | None = None  # the expiry sweep failed (on any deal of the database)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def answered_orders(answers: Sequence[Answer]) -> dict[int, set[int]]:
    """order id -> the buyers (indexes into the stage's buyers) who were told it was theirs."""
    buyers: dict[int, set[int]] = defaultdict(set)
    for answer in answers:
        if answer.order_id is not None:
            buyers[answer.order_id].add(answer.buyer_index)
    return dict(buyers)


def keys_with_two_orders(answers: Sequence[Answer]) -> list[str]:
    """Idempotency-Keys whose answers named more than one order: a duplicate."""
    orders: dict[tuple[int, str], set[int]] = defaultdict(set)
    for answer in answers:
        if answer.key is not None and answer.order_id is not None:
            orders[(answer.buyer_index, answer.key)].add(answer.order_id)
    return sorted(key for (_buyer, key), found in orders.items() if len(found) > 1)


async def judge(
    session: AsyncSession,
    *,
    deal_id: int,
    product_id: int,
    quantity_per_attempt: int,
    buyer_ids: Sequence[int],
    answers: Sequence[Answer],
) -> Verdict:
    """Check the deal against its rows and the answers. Pass a write transaction: the reconciler
    reads under the deal row's lock (report only, nothing is repaired)."""
    # the reconciler first: it locks the deal row, so the reads below see no batch in between
    reconciliation = await reconciler.reconcile_deal(session, deal_id=deal_id, repair=False)
    quantity, remaining, reserved, sold, limit = await repository.deal_counters(session, deal_id)
    taken = await repository.taken_reservations(session, deal_id, list(TAKEN))
    units_taken = sum(units for _buyer, units in taken.values())
    answered = answered_orders(answers)
    order_rows = await repository.count_orders(session, list(answered))
    per_buyer = await repository.units_per_buyer(session, deal_id, list(TAKEN))
    product_orders = set(await repository.orders_of_product(session, product_id))
    reservation_orders = await repository.reservation_orders(session, deal_id)
    duplicated_keys = keys_with_two_orders(answers)
    checks = [
        Check(
            "ledger adds up: remaining + reserved + sold = allocated", quantity, remaining + reserved + sold
        ),
        Check(
            "counters match reservation rows (reconciler drift)",
            0,
            len(reconciliation.drifts),
            "; ".join(
                f"{d.field}: expected {d.expected}, found {d.found}" for d in reconciliation.drifts[:5]
            ),
        ),
        Check("units taken = reserved + sold", reserved + sold, units_taken),
        Check("units answered 201 = units taken", units_taken, len(answered) * quantity_per_attempt),
        Check(
            "every answered order exists exactly once",
            len(answered),
            sum(1 for order_id in answered if order_rows.get(order_id) == 1),
        ),
        Check(
            "every answered order holds a reservation of the deal",
            len(answered),
            sum(1 for order_id in answered if order_id in taken),
        ),
        Check(
            "each answered order went to one buyer, the one holding it",
            len(answered),
            sum(
                1
                for order_id, who in answered.items()
                if len(who) == 1 and order_id in taken and taken[order_id][0] == buyer_ids[min(who)]
            ),
        ),
        Check("buyers over the per-buyer limit", 0, sum(1 for units in per_buyer.values() if units > limit)),
        Check(
            "orders without a reservation, or reservations without an order",
            0,
            len(product_orders.symmetric_difference(reservation_orders)),
        ),
        Check(
            "replayed keys answered with two orders", 0, len(duplicated_keys), ", ".join(duplicated_keys[:5])
        ),
        Check("oversold units", 0, max(0, units_taken - quantity)),
    ]
    return Verdict(checks, max(0, units_taken - quantity), units_taken, reconciliation.drifts)
