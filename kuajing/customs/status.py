"""The customs message status machine: every legal move is in TRANSITIONS, and nothing else is."""

from enum import StrEnum

from kuajing.errors import Conflict


class CustomsStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    accepted = "accepted"
    rejected = "rejected"


TRANSITIONS: dict[CustomsStatus, frozenset[CustomsStatus]] = {
    CustomsStatus.draft: frozenset({CustomsStatus.sent}),
    CustomsStatus.sent: frozenset({CustomsStatus.accepted, CustomsStatus.rejected}),
    CustomsStatus.accepted: frozenset(),
    CustomsStatus.rejected: frozenset(),
}


class InvalidCustomsTransition(Conflict):
    code = "invalid_customs_transition"


def check_transition(current: str, target: CustomsStatus) -> None:
    if target not in TRANSITIONS[CustomsStatus(current)]:
        raise InvalidCustomsTransition(
            message=f"A customs message that is {current} cannot become {target.value}."
        )
