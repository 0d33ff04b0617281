"""The states' names on the pages (kuajing/web/us_states.py), in Chinese and in English."""

import pytest

from kuajing.kit.us_states import NAMES, state_name
from kuajing.seller.states import US_STATES


@pytest.mark.once
def test_every_state_a_seller_may_name_has_a_name_in_both_languages():
    assert set(NAMES) == set(US_STATES)
    assert (state_name("WA", "zh_CN"), state_name("WA", "en")) == ("华盛顿州", "Washington")
