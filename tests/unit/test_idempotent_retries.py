"""Concurrent retries with one ClientToken: one run, every retry gets its result (real SQLite)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from ec2api_runtime import idempotent
from ec2api_runtime.errors import EC2Error
from tests.unit.conftest import make_ctx

OP = SimpleNamespace(name="RunInstances", idempotency_token="ClientToken")
PARAMS = {"ImageId": "ami-1", "MinCount": 1, "MaxCount": 1, "ClientToken": "tok"}


@pytest.fixture()
def ctx(db):
    return make_ctx(db, operation="RunInstances")


def _together(n, target):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def one(i):
        barrier.wait()
        try:
            results[i] = target()
        except Exception as exc:   # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_twenty_simultaneous_retries_run_once_and_all_get_the_result(ctx):
    calls = []

    def launch(_ctx, _params):
        calls.append(1)
        time.sleep(0.5)
        return {"ReservationId": "r-1", "Instances": [{"InstanceId": "i-1"}]}

    results, errors = _together(20, lambda: idempotent.run(ctx, OP, dict(PARAMS), launch))
    assert not errors, errors
    assert len(calls) == 1
    assert all(r == {"ReservationId": "r-1", "Instances": [{"InstanceId": "i-1"}]} for r in results)


def test_a_retry_runs_anew_when_the_first_run_failed(ctx):
    calls = []

    def flaky(_ctx, _params):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.3)
            raise EC2Error("InsufficientInstanceCapacity", "no room")
        return {"ReservationId": "r-2"}

    results, errors = _together(2, lambda: idempotent.run(ctx, OP, dict(PARAMS), flaky))
    assert [e.code for e in errors] == ["InsufficientInstanceCapacity"]
    assert {"ReservationId": "r-2"} in results and len(calls) == 2


def test_the_wait_is_bounded(ctx):
    started = threading.Event()

    def slow(_ctx, _params):
        started.set()
        time.sleep(1.5)
        return {}

    t = threading.Thread(target=idempotent.run, args=(ctx, OP, dict(PARAMS), slow))
    t.start()
    started.wait()
    with pytest.raises(EC2Error) as e:
        idempotent.run(ctx, OP, dict(PARAMS), slow, wait=0.3)
    t.join()
    assert e.value.code == "IncorrectState"
