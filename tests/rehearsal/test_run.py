"""The rehearsal's plan: who sends what, and which buyers replay their key."""

import pytest

from kuajing.rehearsal import run
from kuajing.rehearsal.run import Options
from kuajing.rehearsal.setup import Buyer, Stage


@pytest.mark.once
def test_the_plan_sends_each_buyer_once_and_every_third_twice_with_one_key():
    buyers = [Buyer(id=10 + i, token=f"kj_{i}") for i in range(7)]
    stage = Stage(
        tag="t", operator_id=1, seller_id=2, product_id=3, campaign_id=4, deal_id=5, stock=1,
        per_buyer_limit=1, buyers=buyers,
    )  # fmt: skip

    jobs = run.plan(stage, Options(replay_every=3))

    assert [(job.buyer_index, job.key, job.times) for job in jobs] == [
        (0, "t-0", 2), (1, None, 1), (2, None, 1), (3, "t-3", 2), (4, None, 1), (5, None, 1), (6, "t-6", 2),
    ]  # fmt: skip
    assert [job.token for job in jobs] == [f"kj_{i}" for i in range(7)]
