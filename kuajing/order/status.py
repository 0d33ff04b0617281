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
    return_requested = "return_requested"
    returned = "returned"
    return_rejected = "return_rejected"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.pending_payment: frozenset({OrderStatus.paid, OrderStatus.cancelled, OrderStatus.expired}),
    # a paid order refunded in full before it ships is cancelled
    OrderStatus.paid: frozenset({OrderStatus.shipped, OrderStatus.cancelled}),
    OrderStatus.shipped: frozenset({OrderStatus.delivered}),
    OrderStatus.delivered: frozenset({OrderStatus.return_requested}),
    OrderStatus.cancelled: frozenset(),
    OrderStatus.expired: frozenset(),
    # A return is asked for once: a refused one ends in return_rejected, which goes nowhere,
    # so a buyer cannot ask again and again.
    OrderStatus.return_requested: frozenset({OrderStatus.returned, OrderStatus.return_rejected}),
    OrderStatus.returned: frozenset(),
    OrderStatus.return_rejected: frozenset(),
}

# Orders whose goods were paid for and kept: the jobs report counts these. A requested return
# still counts until it is accepted; a returned order was refunded in full and does not.
PAID = frozenset(
    {
        OrderStatus.paid,
        OrderStatus.shipped,
        OrderStatus.delivered,
        OrderStatus.return_requested,
        OrderStatus.return_rejected,
    }
)


class InvalidTransition(Conflict):
    code = "invalid_status_transition"


def check_transition(current: str, target: OrderStatus) -> None:
    if target not in TRANSITIONS[OrderStatus(current)]:
        raise InvalidTransition(message=f"An order that is {current} cannot become {target.value}.")
