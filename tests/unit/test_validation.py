"""Request validation by the generated codec: the EC2 error each bad request earns.

Rules (DESIGN.md section 3): a missing required member is ``MissingParameter`` with the
message ``The request must contain the parameter <WireName>``; a wrong type, a number out of
its min/max, a string or list outside its length bounds, or a value not in the enum is
``InvalidParameterValue`` with a message naming the parameter; a field the operation does
not have is ``UnknownParameter`` naming the field; a non-numeric or zero list index is
``InvalidParameterValue``. All are status 400. Pattern traits are *not* validated.

First a sample of named operations, then generic sweeps over the whole model built from
random valid requests (tests/conformance/randomdata.py) serialised by botocore.
"""

from __future__ import annotations

import copy
import math
import re
from datetime import UTC, datetime

import pytest

from tests.conformance.oracle import botocore_form, ec2_model, operation_names
from tests.conformance.randomdata import RandomData, input_wire_name

OPERATION_NAMES = operation_names()


@pytest.fixture(scope="module")
def operations():
    from generated.ec2 import OPERATIONS

    return OPERATIONS


def parse_error(operations, op_name: str, form: dict[str, str]):
    from ec2api_runtime.errors import EC2Error

    with pytest.raises(EC2Error) as info:
        operations[op_name].parse(form)
    err = info.value
    assert err.status == 400, f"{op_name} {form!r:.300}: status {err.status} for {err.code}: {err.message}"
    return err


def assert_error(operations, op_name, form, code, names):
    err = parse_error(operations, op_name, form)
    assert err.code == code, f"{op_name} {form!r:.300}: {err.code} ({err.message}), expected {code}"
    names = [names] if isinstance(names, str) else names
    assert any(n in err.message for n in names), f"{op_name}: message {err.message!r} names none of {names}"
    return err


# ---------------------------------------------------------------------- named samples
RUN = {"ImageId": "ami-0123456789abcdef0", "MinCount": "1", "MaxCount": "1"}


def test_valid_run_instances_parses(operations):
    params = operations["RunInstances"].parse({**RUN, "InstanceType": "t3.micro", "DryRun": "false",
                                               "SecurityGroupId.1": "sg-1", "SecurityGroupId.2": "sg-2"})
    assert params == {"ImageId": "ami-0123456789abcdef0", "MinCount": 1, "MaxCount": 1,
                      "InstanceType": "t3.micro", "DryRun": False, "SecurityGroupIds": ["sg-1", "sg-2"]}


@pytest.mark.parametrize("missing", ["MinCount", "MaxCount"])
def test_missing_required(operations, missing):
    form = {k: v for k, v in RUN.items() if k != missing}
    err = assert_error(operations, "RunInstances", form, "MissingParameter", missing)
    assert err.message == f"The request must contain the parameter {missing}"


def test_missing_required_uses_the_wire_name(operations):
    # DescribeInstanceAttribute: members Attribute (locationName "attribute") and InstanceId
    # (locationName "instanceId") are required; the message names the wire names.
    err = parse_error(operations, "DescribeInstanceAttribute", {"Attribute": "kernel"})
    assert (err.code, err.message) == ("MissingParameter", "The request must contain the parameter InstanceId")


@pytest.mark.parametrize(
    ("op_name", "form", "param"),
    [
        ("RunInstances", {**RUN, "MinCount": "abc"}, "MinCount"),
        ("RunInstances", {**RUN, "MinCount": "1.5"}, "MinCount"),
        ("RunInstances", {**RUN, "MinCount": ""}, "MinCount"),
        ("RunInstances", {**RUN, "DryRun": "yes"}, "DryRun"),
        ("RunInstances", {**RUN, "DryRun": "True"}, "DryRun"),
        ("RunInstances", {**RUN, "DryRun": "1"}, "DryRun"),
        ("RunInstances", {**RUN, "EbsOptimized": ""}, "EbsOptimized"),
        ("DescribeSpotPriceHistory", {"StartTime": "yesterday"}, "StartTime"),
        ("DescribeSpotPriceHistory", {"StartTime": "2026-13-45T99:00:00Z"}, "StartTime"),
        ("ImportKeyPair", {"KeyName": "k", "PublicKeyMaterial": "not base64!"}, "PublicKeyMaterial"),
    ],
)
def test_wrong_type(operations, op_name, form, param):
    assert_error(operations, op_name, form, "InvalidParameterValue", param)


@pytest.mark.parametrize(
    ("op_name", "form", "param"),
    [
        ("RunInstances", {**RUN, "InstanceType": "bogus"}, "InstanceType"),
        ("RunInstances", {**RUN, "InstanceType": "T3.MICRO"}, "InstanceType"),
        ("RunInstances", {**RUN, "InstanceInitiatedShutdownBehavior": "explode"}, "InstanceInitiatedShutdownBehavior"),
        ("DescribeInstanceAttribute", {"InstanceId": "i-1", "Attribute": "colour"}, "Attribute"),
    ],
)
def test_enum_miss(operations, op_name, form, param):
    assert_error(operations, op_name, form, "InvalidParameterValue", param)


@pytest.mark.parametrize(
    ("op_name", "form", "param"),
    [
        ("DescribeSecurityGroups", {"MaxResults": "1"}, "MaxResults"),  # min 5
        ("DescribeSecurityGroups", {"MaxResults": "4"}, "MaxResults"),
        ("DescribeSecurityGroups", {"MaxResults": "1001"}, "MaxResults"),  # max 1000
        ("DescribeVpcs", {"MaxResults": "-5"}, "MaxResults"),
        ("DescribeRouteTables", {"MaxResults": "101"}, "MaxResults"),  # max 100
        ("CreateCapacityReservation",
         {"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX", "InstanceCount": "1", "CommitmentDuration": "0"},
         "CommitmentDuration"),  # long, min 1
        ("CreateLaunchTemplateVersion", {"LaunchTemplateData.ImageId": "ami-1", "LaunchTemplateName": "ab"},
         "LaunchTemplateName"),  # string, min length 3
        ("CreateLaunchTemplateVersion", {"LaunchTemplateData.ImageId": "ami-1", "LaunchTemplateName": "x" * 129},
         "LaunchTemplateName"),  # string, max length 128
    ],
)
def test_out_of_bounds(operations, op_name, form, param):
    assert_error(operations, op_name, form, "InvalidParameterValue", param)


@pytest.mark.parametrize(
    ("op_name", "form"),
    [
        ("DescribeSecurityGroups", {"MaxResults": "5"}),
        ("DescribeSecurityGroups", {"MaxResults": "1000"}),
        ("CreateLaunchTemplateVersion", {"LaunchTemplateData.ImageId": "ami-1", "LaunchTemplateName": "abc"}),
        ("CreateLaunchTemplateVersion", {"LaunchTemplateData.ImageId": "ami-1", "LaunchTemplateName": "x" * 128}),
        # DescribeInstances' MaxResults has no min/max in the model (its documented 5..1000
        # is prose only), so the codec accepts 1; a handler may still refuse it.
        ("DescribeInstances", {"MaxResults": "1"}),
    ],
)
def test_bounds_are_inclusive(operations, op_name, form):
    operations[op_name].parse(form)


@pytest.mark.parametrize(
    ("op_name", "form"),
    [
        # AccountID: pattern [0-9]{12}, length 12..12 -- the pattern is not checked.
        ("AssociateCapacityReservationBillingOwner",
         {"CapacityReservationId": "cr-1", "UnusedReservationBillingOwnerId": "abcdefghijkl"}),
        # IpAddress: pattern ^([0-9]{1,3}.){3}[0-9]{1,3}$ -- not checked.
        ("CreateNetworkInsightsPath",
         {"Source": "i-1", "Protocol": "tcp", "ClientToken": "t", "SourceIp": "not-an-ip"}),
    ],
)
def test_patterns_are_not_validated(operations, op_name, form):
    operations[op_name].parse(form)


@pytest.mark.parametrize(
    ("op_name", "form", "field"),
    [
        ("DescribeInstances", {"Bogus": "1"}, "Bogus"),
        ("DescribeInstances", {"InstanceId.1": "i-1", "Instanceid.2": "i-2"}, "Instanceid.2"),
        ("DescribeInstances", {"Filter.1.Name": "x", "Filter.1.Bogus": "y"}, "Filter.1.Bogus"),
        ("RunInstances", {**RUN, "UserData.1": "x"}, "UserData.1"),
        ("RunInstances", {**RUN, "minCount": "1"}, "minCount"),  # wire names are case-sensitive
        ("DescribeRegions", {"Action": "DescribeRegions"}, "Action"),  # the runtime strips it
    ],
)
def test_unknown_parameter(operations, op_name, form, field):
    err = assert_error(operations, op_name, form, "UnknownParameter", field)
    assert err.code == "UnknownParameter"


@pytest.mark.parametrize(
    "form",
    [
        {"InstanceId.0": "i-1"},
        {"InstanceId.x": "i-1"},
        {"InstanceId.-1": "i-1"},
        {"InstanceId.": "i-1"},
        {"InstanceId.1.5": "i-1"},
        {"Filter.0.Name": "x"},
        {"Filter.a.Name": "x"},
        {"Filter.1.Name": "x", "Filter.1.Value.0": "y"},
    ],
)
def test_malformed_list_index(operations, form):
    from ec2api_runtime.errors import EC2Error

    with pytest.raises(EC2Error) as info:
        operations["DescribeInstances"].parse(form)
    err = info.value
    assert err.status == 400
    assert err.code in ("InvalidParameterValue", "UnknownParameter"), err
    key = next(iter(form)) if len(form) == 1 else "Filter.1.Value.0"
    if key.split(".")[1] in ("0", "x", "a") or key.endswith(".0"):
        assert err.code == "InvalidParameterValue", err
    assert key.split(".")[0] in err.message, err.message


def test_list_without_index_is_rejected(operations):
    from ec2api_runtime.errors import EC2Error

    with pytest.raises(EC2Error) as info:
        operations["DescribeInstances"].parse({"InstanceId": "i-1"})
    assert info.value.status == 400
    assert info.value.code in ("InvalidParameterValue", "UnknownParameter")
    assert "InstanceId" in info.value.message


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\ufffe", "\uffff", "ok\x00then"])
def test_characters_xml_cannot_carry(operations, bad):
    form = {"ResourceId.1": "i-1", "Tag.1.Key": "Name", "Tag.1.Value": bad}
    assert_error(operations, "CreateTags", form, "InvalidParameterValue", ["Tag.1.Value", "Value"])


@pytest.mark.parametrize("good", ["\t", "\n", "\r", "\r\n", " lead", "trail ", "é中文😀", "\u00a0", "a&b<c>"])
def test_characters_xml_can_carry(operations, good):
    params = operations["CreateTags"].parse({"ResourceId.1": "i-1", "Tag.1.Key": "Name", "Tag.1.Value": good})
    assert params["Tags"] == [{"Key": "Name", "Value": good}]


def test_error_is_an_ec2error_with_xml(operations):
    from ec2api_runtime.errors import EC2Error

    err = parse_error(operations, "RunInstances", {"MaxCount": "1"})
    assert isinstance(err, EC2Error)
    body = err.to_xml("req-1")
    assert b"<Code>MissingParameter</Code>" in body and b"<RequestID>req-1</RequestID>" in body


# ---------------------------------------------------------------------- valid variants
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T07:00:00Z", datetime(2026, 11, 26, 7, 0, 0, tzinfo=UTC)),
        ("2026-11-26T07:00:00.123Z", datetime(2026, 11, 26, 7, 0, 0, 123000, tzinfo=UTC)),
        ("2026-11-26T07:00:00.123456Z", datetime(2026, 11, 26, 7, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-26T08:30:00+01:30", datetime(2026, 11, 26, 7, 0, 0, tzinfo=UTC)),
    ],
)
def test_timestamp_forms_accepted(operations, text, expected):
    params = operations["DescribeSpotPriceHistory"].parse({"StartTime": text})
    got = params["StartTime"]
    assert got == expected and got.utcoffset() is not None and got.utcoffset().total_seconds() == 0, got


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e-05", "-0.0", "1.7976931348623157e+308", "42"])
def test_special_doubles_accepted(operations, text):
    # ImportImage.ClientData.UploadSize is an unbounded double and the operation has no
    # required members.
    shape = ec2_model().operation_model("ImportImage").input_shape
    client_data = shape.members["ClientData"]
    key = ".".join([input_wire_name("ClientData", client_data),
                    input_wire_name("UploadSize", client_data.members["UploadSize"])])
    value = operations["ImportImage"].parse({key: text})["ClientData"]["UploadSize"]
    want = float(text)
    assert isinstance(value, float), type(value)
    assert value == want or (math.isnan(value) and math.isnan(want)), value


def test_list_indices_order_numerically_not_textually(operations):
    form = {f"InstanceId.{i}": f"i-{i}" for i in (10, 2, 1, 9, 11, 3, 4, 5, 6, 7, 8)}
    params = operations["DescribeInstances"].parse(form)
    assert params["InstanceIds"] == [f"i-{i}" for i in range(1, 12)]


def test_parse_does_not_mutate_the_form(operations):
    form = {**RUN, "SecurityGroupId.1": "sg-1"}
    before = dict(form)
    operations["RunInstances"].parse(form)
    assert form == before


# ---------------------------------------------------------------------- generic sweeps
SEEDS = range(2)


def resolve(op_model, key: str):
    """Shape and leaf wire name (the last non-index segment) of a form key."""
    shape = op_model.input_shape
    leaf = None
    for seg in key.split("."):
        if shape.type_name == "list":
            assert seg.isdigit(), key
            shape = shape.member
            continue
        by_wire = {input_wire_name(n, s): s for n, s in shape.members.items()}
        shape = by_wire[seg]
        leaf = seg
    return shape, leaf


def valid_forms(op_model):
    for seed in SEEDS:
        params = RandomData(f"validation/{op_model.name}/{seed}").value(op_model.input_shape)
        yield params, botocore_form(params, op_model)


def assert_sweep(failures, checked, what):
    assert checked, f"no {what} checks ran"
    assert not failures, f"{len(failures)}/{checked} {what} checks failed, e.g.:\n  " + "\n  ".join(failures[:15])


def run_expect(operations, op_name, form, code, name, failures, exact=None):
    from ec2api_runtime.errors import EC2Error

    try:
        operations[op_name].parse(form)
    except EC2Error as err:
        if err.code != code or err.status != 400:
            failures.append(f"{op_name} {form!r:.200}: {err.code}/{err.status} ({err.message}), expected {code}")
        elif exact is not None and err.message != exact:
            failures.append(f"{op_name}: message {err.message!r}, expected {exact!r}")
        elif name not in err.message:
            failures.append(f"{op_name}: message {err.message!r} does not name {name}")
        return
    except Exception as exc:
        failures.append(f"{op_name} {form!r:.200}: raised {exc!r}, expected EC2Error {code}")
        return
    failures.append(f"{op_name} {form!r:.200}: accepted, expected {code} for {name}")


def test_sweep_missing_top_level_required(operations):
    """Every operation, every required member: omitting it is MissingParameter naming its wire name."""
    failures, checked = [], 0
    model = ec2_model()
    for op_name in OPERATION_NAMES:
        op_model = model.operation_model(op_name)
        shape = op_model.input_shape
        for member in shape.required_members:
            wire = input_wire_name(member, shape.members[member])
            params = RandomData(f"required/{op_name}").value(shape)
            form = {k: v for k, v in botocore_form(params, op_model).items()
                    if k != wire and not k.startswith(wire + ".")}
            checked += 1
            run_expect(operations, op_name, form, "MissingParameter", wire, failures,
                       exact=f"The request must contain the parameter {wire}")
    assert_sweep(failures, checked, "top-level required")


def _nested_required(value, shape, path):
    """(path, member) for each required member of a structure nested below the top."""
    if shape.type_name == "structure":
        if path:
            for member in shape.required_members:
                if member in value and len(value) > 1:
                    yield path, member
        for k, v in value.items():
            yield from _nested_required(v, shape.members[k], [*path, k])
    elif shape.type_name == "list":
        for i, v in enumerate(value):
            yield from _nested_required(v, shape.member, [*path, i])


def test_sweep_missing_nested_required(operations):
    """A present structure without one of its required members is MissingParameter too."""
    failures, checked = [], 0
    model = ec2_model()
    for op_name in OPERATION_NAMES:
        op_model = model.operation_model(op_name)
        for params, _ in valid_forms(op_model):
            for path, member in list(_nested_required(params, op_model.input_shape, []))[:5]:
                broken = copy.deepcopy(params)
                target = broken
                shape = op_model.input_shape
                for step in path:
                    target = target[step]
                    shape = shape.member if isinstance(step, int) else shape.members[step]
                del target[member]
                wire = input_wire_name(member, shape.members[member])
                checked += 1
                run_expect(operations, op_name, botocore_form(broken, op_model), "MissingParameter", wire, failures)
    assert_sweep(failures, checked, "nested required")


BAD_BY_TYPE = {
    "integer": ["abc", "1.5", "", "0x10", "1e3"],
    "long": ["abc", "1.5", ""],
    "boolean": ["yes", "True", "1", ""],
    "double": ["abc", ""],
    "float": ["abc", ""],
    "timestamp": ["not-a-time", "2026-02-30T00:00:00Z"],
}


def test_sweep_wrong_types_enums_and_bounds(operations):
    """For every field of every valid random request: a wrong-typed value, an enum miss,
    and a value just outside the member's min/max (or length) bounds are all
    InvalidParameterValue naming the parameter."""
    failures, checked = [], 0
    model = ec2_model()
    for op_name in OPERATION_NAMES:
        op_model = model.operation_model(op_name)
        for _, form in valid_forms(op_model):
            for key in form:
                shape, leaf = resolve(op_model, key)
                kind = shape.type_name
                bad_values = list(BAD_BY_TYPE.get(kind, []))
                meta = shape.metadata
                if kind == "string" and meta.get("enum"):
                    bad_values.append("not-an-enum-value")
                    bad_values.append(meta["enum"][0].upper() + "x")
                if kind in ("integer", "long"):
                    if "min" in meta:
                        bad_values.append(str(int(meta["min"]) - 1))
                    if "max" in meta:
                        bad_values.append(str(int(meta["max"]) + 1))
                if kind in ("double", "float"):
                    if "min" in meta:
                        bad_values.append(repr(float(meta["min"]) - 0.0005))
                    if "max" in meta:
                        bad_values.append(repr(float(meta["max"]) + 0.0005))
                if kind == "string" and not meta.get("enum"):
                    if int(meta.get("min", 0)) > 0:
                        bad_values.append("x" * (int(meta["min"]) - 1))
                    if "max" in meta:
                        bad_values.append("x" * (int(meta["max"]) + 1))
                for bad in bad_values:
                    checked += 1
                    run_expect(operations, op_name, {**form, key: bad}, "InvalidParameterValue", leaf, failures)
    assert_sweep(failures, checked, "type/enum/bounds")


def test_sweep_list_length_bounds(operations):
    """Lists with a model max: one element too many is InvalidParameterValue naming the list."""
    failures, checked = [], 0
    model = ec2_model()
    for op_name in OPERATION_NAMES:
        op_model = model.operation_model(op_name)
        shape = op_model.input_shape
        for member, mshape in shape.members.items():
            if mshape.type_name != "list" or "max" not in mshape.metadata:
                continue
            limit = int(mshape.metadata["max"])
            if limit > 2000:
                continue
            params = RandomData(f"listmax/{op_name}").value(shape)
            one = RandomData(f"listmax/{op_name}/{member}")._value(mshape.member, 1, force=True)
            params = {**params, member: [one] * (limit + 1)}
            wire = input_wire_name(member, mshape)
            checked += 1
            run_expect(operations, op_name, botocore_form(params, op_model), "InvalidParameterValue", wire, failures)
            # ... while exactly the max is fine.
            params[member] = [one] * limit
            try:
                operations[op_name].parse(botocore_form(params, op_model))
            except Exception as exc:
                failures.append(f"{op_name}.{member}: {limit} items (the max) refused: {exc!r}")
    assert_sweep(failures, checked, "list length")


def _nested_structure_prefix(op_model, form):
    """A form-key prefix that names a structure below the top level, if the form has one."""
    for key in form:
        segs = key.split(".")
        for n in range(len(segs) - 1, 0, -1):
            prefix = ".".join(segs[:n])
            shape, _ = resolve(op_model, prefix)
            if shape.type_name == "structure":
                return prefix
    return None


def test_sweep_unknown_parameters(operations):
    """A field the operation does not have, at the top or inside a structure, is UnknownParameter."""
    failures, checked = [], 0
    model = ec2_model()
    for op_name in OPERATION_NAMES:
        op_model = model.operation_model(op_name)
        params, form = next(valid_forms(op_model))
        checked += 1
        run_expect(operations, op_name, {**form, "NoSuchParameter": "1"}, "UnknownParameter",
                   "NoSuchParameter", failures)
        prefix = _nested_structure_prefix(op_model, form)
        if prefix:
            checked += 1
            run_expect(operations, op_name, {**form, prefix + ".NoSuchMember": "1"}, "UnknownParameter",
                       "NoSuchMember", failures)
    assert_sweep(failures, checked, "unknown parameter")


def test_sweep_malformed_indices(operations):
    """Replacing a list index with 0 or a non-number is InvalidParameterValue, never a crash."""
    failures, checked = [], 0
    model = ec2_model()
    for op_name in OPERATION_NAMES:
        op_model = model.operation_model(op_name)
        _, form = next(valid_forms(op_model))
        for key in form:
            m = re.match(r"(.*?)\.(\d+)(\..*)?$", key)
            if not m:
                continue
            list_name = m.group(1).split(".")[-1] if not m.group(1).split(".")[-1].isdigit() else m.group(1)
            for bad in ("0", "x"):
                bad_key = f"{m.group(1)}.{bad}{m.group(3) or ''}"
                checked += 1
                run_expect(operations, op_name, {**form, bad_key: form[key]}, "InvalidParameterValue",
                           list_name, failures)
            break  # one list field per operation is enough
    assert_sweep(failures, checked, "malformed index")
