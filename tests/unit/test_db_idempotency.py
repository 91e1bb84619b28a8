"""Idempotency records: result encoding and the parameter digest (no database)."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from ec2api_runtime.db import idempotency


def test_result_round_trip_keeps_types() -> None:
    value = {
        "When": dt.datetime(2026, 11, 26, 7, 0, 1, 123456, tzinfo=dt.UTC),
        "Day": dt.date(2026, 11, 26),
        "Blob": b"\x00\x01\xfe\xff",
        "Price": decimal.Decimal("0.0116"),
        "Pair": (1, "a"),
        "List": [1, 2.5, None, True, "ü", {"nested": b"x"}],
        "$t": "a real key that looks like our tag",
        "Inf": float("inf"),
    }
    text = idempotency.encode(value)
    assert isinstance(text, str)
    assert idempotency.decode(text) == value


def test_unsupported_type_is_refused() -> None:
    with pytest.raises(TypeError):
        idempotency.encode({"x": object()})


def test_digest_ignores_token_dryrun_and_order() -> None:
    a = idempotency.digest({"ImageId": "ami-1", "MinCount": 1, "ClientToken": "t1", "DryRun": True})
    b = idempotency.digest({"MinCount": 1, "ImageId": "ami-1", "ClientToken": "t2"})
    assert a == b and len(a) == 64
    assert a != idempotency.digest({"MinCount": 2, "ImageId": "ami-1"})
    assert idempotency.digest({"X": [1, 2]}) != idempotency.digest({"X": [2, 1]})
    assert idempotency.digest({"X": b"1"}) != idempotency.digest({"X": "1"})
    assert idempotency.digest({"T": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}) == \
        idempotency.digest({"T": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)})
