"""Deliberately refused operations: the code AWS uses and the reason, over HTTP, and in coverage."""

from __future__ import annotations

import pytest

from ec2api_runtime.coverage import listing
from ec2api_runtime.dispatch import load_handlers
from ec2api_runtime.refusals import REFUSED
from tests.unit.test_app import call, client, error_of  # noqa: F401 - client is the fixture


def test_no_operation_is_both_handled_and_refused():
    both = sorted(set(REFUSED) & set(load_handlers()))
    assert not both, f"implemented now: remove them from ec2api_runtime/refusals.py: {both}"


@pytest.mark.parametrize("fields", [
    {"Action": "AssociateIamInstanceProfile", "InstanceId": "i-0123456789abcdef0", "IamInstanceProfile.Name": "p"},
    {"Action": "CancelSpotInstanceRequests", "SpotInstanceRequestId.1": "sir-12345678", "DryRun": "true"},
    {"Action": "ModifyVpcTenancy", "VpcId": "vpc-0123456789abcdef0", "InstanceTenancy": "default"},
])
def test_refused_with_its_reason_even_on_dry_run(client, fields):  # noqa: F811
    resp = call(client, **fields)
    assert resp.status_code == 400
    code, message = error_of(resp)
    assert (code, message) == (REFUSED[fields["Action"]].code, REFUSED[fields["Action"]].reason)
    assert "not supported by this service" not in message


def test_a_refused_operation_is_still_validated_first(client):  # noqa: F811
    resp = call(client, Action="AssociateIamInstanceProfile", InstanceId="i-0123456789abcdef0")
    assert error_of(resp)[0] == "MissingParameter"


def test_coverage_list_marks_them_refused():
    lines = "\n".join(listing(load_handlers(), width=1000))
    for name, refusal in REFUSED.items():
        assert f"  {name}: refused ({refusal.code}): {refusal.reason}" in lines
        assert not any(name in line for line in lines.splitlines() if "not implemented" in line)


@pytest.mark.parametrize("fields, code", [
    ({"Action": "DescribeSpotInstanceRequests"}, None),
    ({"Action": "DescribeSpotInstanceRequests", "Filter.1.Name": "state", "Filter.1.Value.1": "open"}, None),
    ({"Action": "DescribeSpotInstanceRequests", "Filter.1.Name": "bogus", "Filter.1.Value.1": "x"},
     "InvalidParameterValue"),
    ({"Action": "DescribeSpotInstanceRequests", "SpotInstanceRequestId.1": "sir-12345678"},
     "InvalidSpotInstanceRequestID.NotFound"),
    ({"Action": "DescribeIamInstanceProfileAssociations"}, None),
    ({"Action": "DescribeIamInstanceProfileAssociations", "AssociationId.1": "iip-assoc-0123456789abcdef0"},
     "InvalidAssociationID.NotFound"),
])
def test_truthful_empty_reads(client, fields, code):  # noqa: F811
    resp = call(client, **fields)
    if code is None:
        assert resp.status_code == 200, resp.text
    else:
        assert error_of(resp)[0] == code
