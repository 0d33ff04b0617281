"""The seller vetting status machine: every legal decision is in TRANSITIONS, and nothing else is.

A seller signs up `pending`. An operator approves, asks for more (`info_requested`), rejects or
suspends; a seller asked for more who sends it (a document, the EIN) is `pending` again. Only an
`approved` seller's products are shown or sold. A rejection is final: the business applies anew
with another account, as platforms ask.
"""

from enum import StrEnum

from kuajing.errors import Conflict


class SellerStatus(StrEnum):
    pending = "pending"
    info_requested = "info_requested"
    approved = "approved"
    rejected = "rejected"
    suspended = "suspended"


class Decision(StrEnum):
    approve = "approve"
    request_info = "request_info"
    reject = "reject"
    suspend = "suspend"
    resubmit = "resubmit"  # the seller's own: they sent what was asked for


OPERATOR_DECISIONS = frozenset({Decision.approve, Decision.request_info, Decision.reject, Decision.suspend})

# decision -> (the statuses it may be taken from, the status it leads to)
TRANSITIONS: dict[Decision, tuple[frozenset[SellerStatus], SellerStatus]] = {
    Decision.approve: (
        frozenset({SellerStatus.pending, SellerStatus.info_requested, SellerStatus.suspended}),
        SellerStatus.approved,
    ),
    Decision.request_info: (
        frozenset({SellerStatus.pending, SellerStatus.suspended}),
        SellerStatus.info_requested,
    ),
    Decision.reject: (
        frozenset({SellerStatus.pending, SellerStatus.info_requested, SellerStatus.suspended}),
        SellerStatus.rejected,
    ),
    Decision.suspend: (frozenset({SellerStatus.approved}), SellerStatus.suspended),
    Decision.resubmit: (frozenset({SellerStatus.info_requested}), SellerStatus.pending),
}


class InvalidSellerTransition(Conflict):
    code = "invalid_seller_transition"


def next_status(current: str, decision: Decision) -> SellerStatus:
    """Where `decision` takes a seller who is `current`; InvalidSellerTransition if it may not."""
    sources, target = TRANSITIONS[decision]
    if SellerStatus(current) not in sources:
        raise InvalidSellerTransition(
            message=f"A seller who is {current} cannot be given the decision {decision.value}."
        )
    return target
