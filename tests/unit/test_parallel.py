"""ec2api_runtime.parallel.gather: order, overlap, errors, request context."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from ec2api_runtime.parallel import gather

REQUEST = contextvars.ContextVar("REQUEST", default="none")


def test_results_come_back_in_argument_order():
    assert gather(lambda: 1, lambda: "two", lambda: [3]) == [1, "two", [3]]
    assert gather() == []
    assert gather(lambda: 5) == [5]


def test_calls_overlap():
    # All three must be waiting at once for the barrier to open; run one after another, the first
    # would time out (BrokenBarrierError).
    barrier = threading.Barrier(3, timeout=5)
    assert sorted(gather(barrier.wait, barrier.wait, barrier.wait)) == [0, 1, 2]


def test_first_failure_in_argument_order_is_raised_after_all_finish():
    finished = []

    def slow_ok():
        time.sleep(0.2)
        finished.append("slow")

    def fails(msg):
        def run():
            raise LookupError(msg)
        return run

    with pytest.raises(LookupError, match="first"):
        gather(slow_ok, fails("first"), fails("second"))
    assert finished == ["slow"]
    with pytest.raises(ValueError):
        gather(lambda: (_ for _ in ()).throw(ValueError("inline")), slow_ok)
    assert finished == ["slow", "slow"]


def test_pool_threads_see_the_callers_context():
    token = REQUEST.set("req-123")
    try:
        assert gather(REQUEST.get, REQUEST.get, REQUEST.get) == ["req-123"] * 3
    finally:
        REQUEST.reset(token)
