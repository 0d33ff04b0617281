import pytest

from kuajing.seller.status import TRANSITIONS, Decision, InvalidSellerTransition, SellerStatus, next_status

ALLOWED = {
    (SellerStatus.pending, Decision.approve): SellerStatus.approved,
    (SellerStatus.info_requested, Decision.approve): SellerStatus.approved,
    (SellerStatus.suspended, Decision.approve): SellerStatus.approved,
    (SellerStatus.pending, Decision.request_info): SellerStatus.info_requested,
    (SellerStatus.suspended, Decision.request_info): SellerStatus.info_requested,
    (SellerStatus.pending, Decision.reject): SellerStatus.rejected,
    (SellerStatus.info_requested, Decision.reject): SellerStatus.rejected,
    (SellerStatus.suspended, Decision.reject): SellerStatus.rejected,
    (SellerStatus.approved, Decision.suspend): SellerStatus.suspended,
    (SellerStatus.info_requested, Decision.resubmit): SellerStatus.pending,
}


@pytest.mark.once
@pytest.mark.parametrize("status", list(SellerStatus))
@pytest.mark.parametrize("decision", list(Decision))
def test_every_decision_from_every_status_is_allowed_exactly_as_the_table_says(status, decision):
    expected = ALLOWED.get((status, decision))
    if expected is None:
        with pytest.raises(InvalidSellerTransition):
            next_status(status.value, decision)
    else:
        assert next_status(status.value, decision) == expected


@pytest.mark.once
def test_a_rejection_is_final():
    assert [d for d, (sources, _) in TRANSITIONS.items() if SellerStatus.rejected in sources] == []
