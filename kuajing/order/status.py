"""The order status machine: every legal move is in TRANSITIONS, and nothing else is."""

from enum import StrEnum

from kuajing.errors import Conflict


class OrderStatus(StrEnum):
    pending_payment = "pending_payment"
    paid = "paid"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"
    expired = "expired"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.pending_payment: frozenset({OrderStatus.paid, OrderStatus.cancelled, OrderStatus.expired}),
    OrderStatus.paid: frozenset({OrderStatus.shipped}),
    OrderStatus.shipped: frozenset({OrderStatus.delivered}),
    OrderStatus.delivered: frozenset(),
    OrderStatus.cancelled: frozenset(),
    OrderStatus.expired: frozenset(),
}

# Orders whose goods were paid for: the jobs report counts these.
PAID = frozenset({OrderStatus.paid, OrderStatus.shipped, OrderStatus.delivered})


class InvalidTransition(Conflict):
    code = "invalid_status_transition"


def check_transition(current: str, target: OrderStatus) -> None:
    if target not in TRANSITIONS[OrderStatus(current)]:
        raise InvalidTransition(message=f"An order that is {current} cannot become {target.value}.")
