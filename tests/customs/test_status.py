"""The customs message status machine allows exactly three moves."""

import pytest

from kuajing.customs.status import CustomsStatus, InvalidCustomsTransition, check_transition

# none of these depends on the database
pytestmark = pytest.mark.once

ALLOWED = {("draft", "sent"), ("sent", "accepted"), ("sent", "rejected")}


@pytest.mark.parametrize("current", [s.value for s in CustomsStatus])
@pytest.mark.parametrize("target", list(CustomsStatus))
def test_only_the_listed_moves_are_allowed(current, target):
    if (current, target.value) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidCustomsTransition) as raised:
            check_transition(current, target)
        assert (raised.value.status, raised.value.code) == (409, "invalid_customs_transition")
