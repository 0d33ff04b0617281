"""The sold-out memory: trusted for its re-check interval, then one probe goes to the database."""

import time

import pytest

from kuajing.stock_ledger.sold_out import SoldOutMemo


@pytest.mark.once
def test_a_learned_sell_out_is_trusted_then_probed_once_per_interval():
    memo = SoldOutMemo(recheck_seconds=0.2)
    assert memo.known(7) is False  # never heard of it: ask the database
    memo.learn(7)
    assert [memo.known(7), memo.known(7), memo.known(8)] == [True, True, False]
    time.sleep(0.25)
    assert memo.known(7) is False  # this caller is the probe
    assert memo.known(7) is True  # the others keep their fast answer meanwhile
    memo.forget(7)  # the probe's batch found units
    assert memo.known(7) is False


@pytest.mark.once
def test_a_zero_interval_never_answers_from_memory():
    memo = SoldOutMemo(recheck_seconds=0)
    memo.learn(7)
    assert memo.known(7) is False


@pytest.mark.once
def test_trusted_never_takes_the_probe_from_the_endpoint():
    memo = SoldOutMemo(recheck_seconds=0.2)
    memo.learn(7)
    assert [memo.trusted(7), memo.trusted(8)] == [True, False]
    time.sleep(0.25)
    # the fast path asks first and passes the request on; the endpoint is then the probe
    assert [memo.trusted(7), memo.trusted(7)] == [False, False]
    assert memo.known(7) is False
    assert memo.trusted(7) is True
