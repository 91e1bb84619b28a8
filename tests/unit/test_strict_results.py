"""The serializer in strict mode (on in every test: tests/conftest.py) refuses result keys the
output shape lacks, at any depth, and private ``_keys`` a handler forgot to strip."""

from __future__ import annotations

import pytest

from ec2api_runtime import codec
from ec2api_runtime.codec import ResultShapeError
from generated.ec2 import OPERATIONS

RESERVATION = {"ReservationId": "r-1", "OwnerId": "123456789012",
               "Instances": [{"InstanceId": "i-1", "State": {"Code": 16, "Name": "running"},
                              "Tags": [{"Key": "a", "Value": "b"}]}]}


def test_the_tests_run_strict():
    assert codec.STRICT_RESULTS


def test_a_result_of_known_keys_passes():
    assert b"<instanceId>i-1</instanceId>" in OPERATIONS["RunInstances"].serialize(RESERVATION, "rid")


@pytest.mark.parametrize("bad, where", [
    ({**RESERVATION, "Reservationid": "r-2"}, "'Reservationid' is not a member of Reservation"),
    ({**RESERVATION, "Instances": [{**RESERVATION["Instances"][0], "_OwnerId": "1"}]},
     "result.Instances[0]: '_OwnerId' is not a member of Instance"),
    ({**RESERVATION, "Instances": [{"State": {"Code": 16, "Nmae": "running"}}]},
     "result.Instances[0].State: 'Nmae' is not a member of InstanceState"),
    ({**RESERVATION, "Instances": {"InstanceId": "i-1"}}, "result.Instances: a list expected"),
])
def test_unknown_keys_fail_at_any_depth(bad, where):
    with pytest.raises(ResultShapeError, match=where.replace("[", r"\[").replace("]", r"\]")):
        OPERATIONS["RunInstances"].serialize(bad, "rid")


def test_outside_strict_mode_unknown_keys_are_skipped():
    body = OPERATIONS["RunInstances"].serialize({**RESERVATION, "_Private": 1}, "rid", strict=False)
    assert b"_Private" not in body


def test_an_operation_without_output_takes_no_result():
    assert b"<return>true</return>" in OPERATIONS["RebootInstances"].serialize({}, "rid")
    with pytest.raises(ResultShapeError, match="no output shape"):
        OPERATIONS["RebootInstances"].serialize({"Return": True}, "rid")
