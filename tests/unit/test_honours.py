"""Every input member honoured or refused, never ignored.

The declarations (``@handler(..., honours=..., partly=...)``) are checked against the model, and the
runtime's refusal over HTTP (stub authenticator, no cloud): a member not declared never reaches the
handler, whatever else the request says.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.serialize import EC2Serializer
from lxml import etree

from ec2api_runtime import honours
from ec2api_runtime.dispatch import HANDLERS, load_handlers, runtime_members
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.honours import ANY
from generated.ec2 import OPERATIONS
from generated.ec2.metadata import INPUT_MEMBERS
from tests.unit.test_app import client  # noqa: F401 - the fixture

MODEL = json.loads((Path(__file__).parents[2] / "service-models/ec2/2016-11-15/service-2.json").read_text())
SHAPES = MODEL["shapes"]
IMPLEMENTED = sorted(load_handlers())
PY_TYPES = {"boolean": bool, "integer": int, "long": int, "string": str, "double": float, "float": float}


def _input_members(operation: str) -> list[str]:
    op = MODEL["operations"][operation]
    return list(SHAPES[op["input"]["shape"]]["members"]) if "input" in op else []


def test_input_members_table_is_the_models():
    assert set(INPUT_MEMBERS) == set(OPERATIONS) == set(MODEL["operations"])
    for name in MODEL["operations"]:
        assert list(INPUT_MEMBERS[name]) == _input_members(name), name


def _check_spec(shape_name: str, spec, path: str) -> None:
    """A ``partly`` spec names only sub-members the model has, and values of the member's type."""
    shape = SHAPES[shape_name]
    if spec is ANY:
        return
    if shape["type"] == "list":
        _check_spec(shape["member"]["shape"], spec, path)
        return
    if isinstance(spec, Mapping):
        assert shape["type"] == "structure", f"{path} is a {shape['type']}, not a structure"
        assert spec, f"{path}: an empty spec honours nothing; leave the member out instead"
        for name, sub in spec.items():
            assert name in shape["members"], f"{path}.{name} is not a member of {shape_name}"
            _check_spec(shape["members"][name]["shape"], sub, f"{path}.{name}")
        return
    assert isinstance(spec, tuple) and spec, f"{path}: a spec is ANY, a non-empty tuple or a dict"
    for value in spec:
        assert type(value) is PY_TYPES[shape["type"]], f"{path}: {value!r} is not a {shape['type']}"
        assert value in shape.get("enum", [value]), f"{path}: {value!r} is not in the model's enum"


@pytest.mark.parametrize("operation", IMPLEMENTED)
def test_declaration_names_only_real_members(operation):
    h = HANDLERS[operation]
    members = _input_members(operation)
    declared = h.honours | set(h.partly)
    assert declared <= set(members), sorted(declared - set(members))
    assert not declared & runtime_members(operation) - {"ClientToken"}, "DryRun is the runtime's"
    input_shape = SHAPES[MODEL["operations"][operation]["input"]["shape"]]
    for member, spec in h.partly.items():
        _check_spec(input_shape["members"][member]["shape"], spec, member)


def test_every_required_member_is_honoured():
    # A required member the handler refused would make the operation unusable: a declaration slip.
    for operation in IMPLEMENTED:
        shape = SHAPES[MODEL["operations"][operation]["input"]["shape"]]
        for member in shape.get("required", []):
            assert member in HANDLERS[operation].accepted, (operation, member)


def test_a_declaration_of_a_member_the_model_lacks_fails_at_import():
    from ec2api_runtime.dispatch import handler

    with pytest.raises(ValueError, match="Bogus"):
        handler("DescribeRegions", honours=("RegionNames", "Bogus"))
    with pytest.raises(ValueError, match="DryRun"):
        handler("DescribeRegions", honours=("DryRun",))
    with pytest.raises(ValueError, match="both"):
        handler("DescribeRegions", honours=("AllRegions",), partly={"AllRegions": (True,)})


# ---------------------------------------------------------------------------------------------
# The checks themselves

def test_refuse_unhonoured_names_every_member_in_model_order():
    order = ("A", "B", "C", "D")
    honours.refuse_unhonoured({"A": 1}, {"A"}, order)
    with pytest.raises(EC2Error) as e:
        honours.refuse_unhonoured({"D": 1, "A": 1}, {"A"}, order)
    assert (e.value.code, e.value.message) == ("InvalidParameterValue",
                                               "The parameter D is not supported by this cloud.")
    with pytest.raises(EC2Error) as e:
        honours.refuse_unhonoured({"D": 1, "B": 2, "A": 1}, {"A"}, order)
    assert e.value.message == "The parameters B, D are not supported by this cloud."


@pytest.mark.parametrize(("params", "message"), [
    ({"M": {"Enabled": True}}, "The value 'true' for the parameter M.Enabled is not supported by this cloud."),
    ({"M": {"Other": "x"}}, "The parameter M.Other is not supported by this cloud."),
    ({"L": [{"K": 1}, {"K": 2}]}, "The value '2' for the parameter L.2.K is not supported by this cloud."),
    ({"L": [{"K": True}]}, "The value 'true' for the parameter L.1.K is not supported by this cloud."),
    ({"S": "terminate"}, "The value 'terminate' for the parameter S is not supported by this cloud."),
])
def test_refuse_values(params, message):
    partly = {"M": {"Enabled": (False,)}, "L": {"K": (1,), "Free": ANY}, "S": ("stop",)}
    with pytest.raises(EC2Error) as e:
        honours.refuse_values(params, partly)
    assert (e.value.code, e.value.message) == ("InvalidParameterValue", message)


def test_refuse_values_accepts_what_the_spec_honours():
    partly = {"M": {"Enabled": (False,)}, "L": {"K": (1,), "Free": ANY}, "S": ("stop",)}
    honours.refuse_values({"M": {"Enabled": False}, "L": [{"K": 1, "Free": {"x": [1]}}], "S": "stop",
                           "Other": 1}, partly)


# ---------------------------------------------------------------------------------------------
# Over HTTP: refused before the handler runs (so before any OpenStack call), DryRun or not

_EC2 = botocore.session.get_session().get_service_model("ec2")


def _form(operation: str, params: dict) -> dict:
    """The form boto3 sends for ``params`` (botocore's own serializer: the wire names are its)."""
    body = EC2Serializer().serialize_to_request(params, _EC2.operation_model(operation))["body"]
    return {**body, "AWSAccessKeyId": "good"}


@pytest.fixture()
def reached(monkeypatch):
    """Replace every handler by a recorder: the operations it was called for."""
    calls: list[str] = []
    for name, h in list(HANDLERS.items()):
        def record(ctx, params, name=name):
            calls.append(name)
        monkeypatch.setitem(HANDLERS, name, dataclasses.replace(h, fn=record))
    return calls


def _post(client, operation, params):  # noqa: F811 - client is the fixture
    resp = client.simulate_post("/", body=urlencode(_form(operation, params)),
                                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    root = etree.fromstring(resp.content)
    return resp.status_code, root.findtext("Errors/Error/Code"), root.findtext("Errors/Error/Message")


RUN = {"ImageId": "ami-0123456789abcdef0", "MinCount": 1, "MaxCount": 1}
REFUSED = [
    ("RunInstances", {**RUN, "CpuOptions": {"CoreCount": 8, "ThreadsPerCore": 2}}, "CpuOptions"),
    ("RunInstances", {**RUN, "HibernationOptions": {"Configured": True}}, "HibernationOptions.Configured"),
    # Monitoring and CreditSpecification are stored now (handlers/_instance_settings.py).
    ("RunInstances", {**RUN, "EnclaveOptions": {"Enabled": True}}, "EnclaveOptions.Enabled"),
    ("RunInstances", {**RUN, "CapacityReservationSpecification": {"CapacityReservationPreference": "none"}},
     "CapacityReservationSpecification.CapacityReservationPreference"),
    ("RunInstances", {**RUN, "Placement": {"AvailabilityZone": "nova", "HostId": "h-1"}}, "Placement.HostId"),
    ("RunInstances", {**RUN, "InstanceInitiatedShutdownBehavior": "terminate"}, "InstanceInitiatedShutdownBehavior"),
    ("RunInstances", {**RUN, "BlockDeviceMappings": [{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1}},
                                                     {"DeviceName": "/dev/sdg", "Ebs": {"KmsKeyId": "k1"}}]},
     "BlockDeviceMappings.2.Ebs.KmsKeyId"),
    ("RunInstances", {**RUN, "BlockDeviceMappings": [{"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}]},
     "BlockDeviceMappings.1.VirtualName"),
    ("RunInstances", {**RUN, "NetworkInterfaces": [{"DeviceIndex": 0, "InterfaceType": "efa"}]},
     "NetworkInterfaces.1.InterfaceType"),
    ("RunInstances", {**RUN, "IamInstanceProfile": {"Name": "x"}, "KernelId": "aki-1"}, "KernelId, IamInstanceProfile"),
    ("StartInstances", {"InstanceIds": ["i-0123456789abcdef0"], "AdditionalInfo": "x"}, "AdditionalInfo"),
    ("StopInstances", {"InstanceIds": ["i-0123456789abcdef0"], "Hibernate": True}, "Hibernate"),
    ("CreateImage", {"InstanceId": "i-0123456789abcdef0", "Name": "image-1", "BootModeOverride": "uefi"},
     "BootModeOverride"),
    ("CopyImage", {"SourceImageId": "ami-0123456789abcdef0", "SourceRegion": "RegionOne", "Name": "image-1",
                   "DestinationAvailabilityZone": "nova"}, "DestinationAvailabilityZone"),
    ("ModifyInstanceAttribute", {"InstanceId": "i-0123456789abcdef0", "Kernel": {"Value": "aki-1"}}, "Kernel"),
    ("ModifyInstanceAttribute", {"InstanceId": "i-0123456789abcdef0", "Attribute": "kernel", "Value": "aki-1"},
     "Attribute"),
]


@pytest.mark.parametrize(("operation", "params", "named"), REFUSED, ids=[f"{r[0]}-{r[2]}" for r in REFUSED])
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_member_not_honoured_is_refused_before_the_handler(client, reached, operation, params, named,  # noqa: F811
                                                             dry_run):
    status, code, message = _post(client, operation, {**params, "DryRun": dry_run} if dry_run else params)
    assert (status, code) == (400, "InvalidParameterValue"), message
    assert named in message and "not supported by this cloud" in message
    assert reached == []


@pytest.mark.parametrize(("operation", "params"), [
    ("RunInstances", {**RUN, "Monitoring": {"Enabled": False}, "CreditSpecification": {"CpuCredits": "standard"},
                      "HibernationOptions": {"Configured": False}, "EbsOptimized": False,
                      "Placement": {"AvailabilityZone": "nova", "Tenancy": "default"},
                      "MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"},
                      "InstanceInitiatedShutdownBehavior": "stop", "ClientToken": "t-1",
                      "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0123456789abcdef0",
                                             "AssociatePublicIpAddress": False}]}),
    ("StopInstances", {"InstanceIds": ["i-0123456789abcdef0"], "Hibernate": False}),
    ("DescribeInstances", {"InstanceIds": ["i-0123456789abcdef0"], "IncludeManagedResources": True}),
    ("DescribeRegions", {"AllRegions": True}),
])
def test_what_the_handler_honours_reaches_it(client, reached, operation, params):  # noqa: F811
    status, code, message = _post(client, operation, params)
    assert (status, code) == (200, None), message
    assert reached == [operation]
    status, code, _ = _post(client, operation, {**params, "DryRun": True})
    assert (status, code) == (412, "DryRunOperation")
