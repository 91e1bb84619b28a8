"""ec2api_runtime.filters.only_requested: the ids (or names) a Describe asks for."""

from __future__ import annotations

import pytest

from ec2api_runtime.errors import EC2Error
from ec2api_runtime.filters import only_requested

ITEMS = [{"Id": "a"}, {"Id": "b"}, {"Id": "c"}]


def _key(item: dict) -> str:
    return item["Id"]


def _not_found(missing: list[str]) -> EC2Error:
    return EC2Error("Thing.NotFound", ",".join(missing))


def test_nothing_requested_keeps_every_item():
    assert only_requested(ITEMS, None, _key, _not_found) == ITEMS
    assert only_requested(ITEMS, [], _key, _not_found) == ITEMS


def test_requested_items_are_kept_in_their_own_order():
    assert only_requested(ITEMS, ["c", "a"], _key, _not_found) == [{"Id": "a"}, {"Id": "c"}]


def test_missing_ids_fail_the_call_in_request_order():
    with pytest.raises(EC2Error) as e:
        only_requested(ITEMS, ["x", "b", "y"], _key, _not_found)
    assert (e.value.code, e.value.message) == ("Thing.NotFound", "x,y")
