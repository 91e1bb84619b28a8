"""Strict checks of our response XML: what botocore's parser is lenient about.

botocore ignores the root element's name, the namespace and list item tags, and accepts
any timestamp format. Real EC2 clients (the aws CLI, SDKs in other languages, Ansible's
XML-based tools) are not all that forgiving, so every operation's output is checked here
against the EC2 wire rules (DESIGN.md section 3) by walking lxml's tree alongside the
model's output shape.
"""

from __future__ import annotations

import base64
import math
import os
import re
import uuid
from datetime import UTC, datetime

import pytest
from lxml import etree

from tests.conformance.oracle import EC2_NAMESPACE, botocore_parse, ec2_model, operation_names
from tests.conformance.randomdata import (
    RandomData,
    first_difference,
    list_item_name,
    output_element_name,
)

OPERATION_NAMES = operation_names()
NO_OUTPUT = [n for n in OPERATION_NAMES if ec2_model().operation_model(n).output_shape is None]
SEEDS = range(int(os.environ.get("EC2API_CONFORMANCE_SEEDS", "3")))

XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>'
TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
INTEGER_RE = re.compile(r"-?\d+\Z")
BASE64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


@pytest.fixture(scope="module")
def operations():
    from generated.ec2 import OPERATIONS

    return OPERATIONS


def q(local: str) -> str:
    return f"{{{EC2_NAMESPACE}}}{local}"


def parse_strict(body: bytes) -> etree._Element:
    """lxml parse that refuses anything not well-formed (no recovery)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, remove_blank_text=False)
    return etree.fromstring(body, parser)


class XmlChecker:
    """Walks an element tree against a shape and the value it was serialised from."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, path: str, msg: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(f"{path}: {msg}")

    def element(self, el, shape, value, path: str) -> None:
        if el.attrib:
            self.err(path, f"unexpected attributes {dict(el.attrib)}")
        if el.prefix is not None:
            self.err(path, f"namespace prefix {el.prefix!r} (expected the default namespace)")
        if etree.QName(el).namespace != EC2_NAMESPACE:
            self.err(path, f"element in namespace {etree.QName(el).namespace!r}")
        kind = shape.type_name
        if kind == "structure":
            self.structure(el, shape, value, path)
        elif kind == "list":
            self.list(el, shape, value, path)
        else:
            if len(el):
                self.err(path, f"scalar element has children {[c.tag for c in el]}")
            self.scalar(el.text or "", shape, value, path)

    def structure(self, el, shape, value, path: str, skip: int = 0) -> None:
        """Check a structure element; ``skip`` leading children are not members (requestId)."""
        self.text_is_blank(el, path)
        by_name = {output_element_name(n, s): (n, s) for n, s in shape.members.items()}
        seen: dict[str, int] = {}
        for child in list(el)[skip:]:
            if not isinstance(child.tag, str):
                self.err(path, f"unexpected node {child!r} (comment or processing instruction)")
                continue
            local = etree.QName(child).localname
            seen[local] = seen.get(local, 0) + 1
            if local not in by_name:
                self.err(path, f"unexpected element <{local}>")
                continue
            name, mshape = by_name[local]
            if name not in value:
                self.err(path, f"<{local}> written although {name} is not in the result")
                continue
            self.element(child, mshape, value[name], f"{path}/{local}")
        for local, count in seen.items():
            if count > 1:
                self.err(path, f"<{local}> appears {count} times")
        for name, mshape in shape.members.items():
            local = output_element_name(name, mshape)
            if name in value and local not in seen:
                self.err(path, f"member {name} missing (expected <{local}>)")

    def list(self, el, shape, value, path: str) -> None:
        self.text_is_blank(el, path)
        want = list_item_name(shape)
        children = [c for c in el if isinstance(c.tag, str)]
        for i, child in enumerate(children):
            local = etree.QName(child).localname
            if local != want:
                self.err(f"{path}[{i}]", f"list child <{local}>, expected <{want}>")
        if len(children) != len(value):
            self.err(path, f"{len(children)} list children for {len(value)} values")
            return
        for i, (child, v) in enumerate(zip(children, value, strict=True)):
            self.element(child, shape.member, v, f"{path}/{want}[{i + 1}]")

    def text_is_blank(self, el, path: str) -> None:
        texts = [el.text] + [c.tail for c in el]
        if any(t and t.strip() for t in texts):
            self.err(path, f"stray text in a container element: {texts!r:.200}")

    def scalar(self, text: str, shape, value, path: str) -> None:
        kind = shape.type_name
        if kind == "boolean":
            if text not in ("true", "false"):
                self.err(path, f"boolean written as {text!r}")
            elif (text == "true") != value:
                self.err(path, f"boolean {value} written as {text!r}")
        elif kind == "timestamp":
            if not TIMESTAMP_RE.match(text):
                self.err(path, f"timestamp {text!r} is not YYYY-MM-DDTHH:MM:SS.mmmZ")
            else:
                got = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                if got != value:
                    self.err(path, f"timestamp {value.isoformat()} written as {text!r}")
        elif kind in ("integer", "long"):
            if not INTEGER_RE.match(text) or int(text) != value:
                self.err(path, f"integer {value} written as {text!r}")
        elif kind in ("double", "float"):
            if math.isnan(value):
                ok = text == "NaN"
            elif math.isinf(value):
                ok = text == ("Infinity" if value > 0 else "-Infinity")
            else:
                try:
                    ok = float(text) == value and text.strip() == text and text not in ("NaN", "Infinity", "-Infinity")
                except ValueError:
                    ok = False
            if not ok:
                self.err(path, f"double {value!r} written as {text!r}")
        elif kind == "blob":
            if not BASE64_RE.match(text) or base64.b64decode(text) != value:
                self.err(path, f"blob written as {text!r:.100} (expected standard padded base64)")
        elif kind == "string":
            if text != value:
                self.err(path, f"string {value!r:.100} came back as {text!r:.100}")
        else:
            self.err(path, f"unexpected shape type {kind}")


def check_envelope(body: bytes, action: str, rid: str) -> tuple[etree._Element, list[str]]:
    problems = []
    if not body.startswith(XML_DECL):
        problems.append(f"body does not start with {XML_DECL!r}: {body[:60]!r}")
    root = parse_strict(body)
    if root.tag != q(f"{action}Response"):
        problems.append(f"root element {root.tag!r}, expected {q(action + 'Response')!r}")
    if root.nsmap != {None: EC2_NAMESPACE}:
        problems.append(f"root namespace map {root.nsmap!r}, expected exactly {{None: {EC2_NAMESPACE!r}}}")
    if root.attrib:
        problems.append(f"root attributes {dict(root.attrib)}")
    children = [c for c in root if isinstance(c.tag, str)]
    if not children or children[0].tag != q("requestId"):
        problems.append(f"first child is {children[0].tag if children else None!r}, expected requestId")
    elif children[0].text != rid:
        problems.append(f"requestId {children[0].text!r}, expected {rid!r}")
    if b"\r" in body:
        problems.append("raw carriage return in the body (must be written as &#13;)")
    return root, problems


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_strict_output_xml(operations, name):
    op_model = ec2_model().operation_model(name)
    op = operations[name]
    for seed in SEEDS:
        result = RandomData(f"strict/{name}/{seed}", output=True).value(op_model.output_shape)
        rid = str(uuid.UUID(int=seed * 7919 + len(name), version=4))
        body = op.serialize(result, rid)
        root, problems = check_envelope(body, name, rid)
        children = [c for c in root if isinstance(c.tag, str)][1:]
        if op_model.output_shape is None:
            if [(c.tag, c.text) for c in children] != [(q("return"), "true")]:
                problems.append(f"expected only <return>true</return> after requestId, got {[(c.tag, c.text) for c in children]}")
        else:
            checker = XmlChecker()
            # The root is the output structure, after its leading requestId.
            checker.structure(root, op_model.output_shape, result, name, skip=1)
            problems.extend(checker.errors)
        assert not problems, f"{name} seed {seed}:\n  " + "\n  ".join(problems) + f"\nbody={body[:2000]!r}"


def test_every_no_output_operation_answers_return_true(operations):
    assert len(NO_OUTPUT) == 53
    rid = str(uuid.uuid4())
    bad = {}
    for name in NO_OUTPUT:
        body = operations[name].serialize({}, rid)
        root, problems = check_envelope(body, name, rid)
        children = [(etree.QName(c).localname, c.text) for c in root]
        if children != [("requestId", rid), ("return", "true")]:
            problems.append(f"children {children}")
        if problems:
            bad[name] = problems
    assert not bad, bad


def test_request_id_is_written_verbatim(operations):
    rid = str(uuid.uuid4())
    assert UUID4_RE.match(rid)
    root, problems = check_envelope(operations["DescribeRegions"].serialize({"Regions": []}, rid), "DescribeRegions", rid)
    assert not problems, problems


def test_hostile_text_survives_exactly(operations):
    """Every XML-special and awkward character, straight through a real DescribeTags answer."""
    nasty = "a&b<c>d\"e'f%g+h=i#j?k é中文😀\tline\nnext\rcr\r\nboth ]]> &amp; &#13; "
    result = {"Tags": [{"Key": " " + nasty, "Value": nasty, "ResourceId": "i-0abc", "ResourceType": "instance"}]}
    op_model = ec2_model().operation_model("DescribeTags")
    body = operations["DescribeTags"].serialize(result, "r-1")
    root, problems = check_envelope(body, "DescribeTags", "r-1")
    assert not problems, problems
    item = root.find(q("tagSet")).find(q("item"))
    assert item.find(q("value")).text == nasty
    assert item.find(q("key")).text == " " + nasty
    parsed = botocore_parse(body, op_model)
    parsed.pop("ResponseMetadata")
    assert first_difference(result, parsed) is None


def test_describe_instances_shape_is_the_familiar_one(operations):
    """The response every EC2 tool knows: reservationSet/item/instancesSet/item/..."""
    launch = datetime(2026, 11, 26, 7, 0, 0, 123000, tzinfo=UTC)
    result = {
        "Reservations": [
            {
                "ReservationId": "r-0123456789abcdef0",
                "OwnerId": "123456789012",
                "Groups": [{"GroupId": "sg-0123456789abcdef0", "GroupName": "default"}],
                "Instances": [
                    {
                        "InstanceId": "i-0123456789abcdef0",
                        "State": {"Code": 16, "Name": "running"},
                        "LaunchTime": launch,
                        "EbsOptimized": False,
                        "Tags": [{"Key": "Name", "Value": "web"}],
                    }
                ],
            }
        ]
    }
    body = operations["DescribeInstances"].serialize(result, "rid-1")
    root, problems = check_envelope(body, "DescribeInstances", "rid-1")
    assert not problems, problems
    ns = {"e": EC2_NAMESPACE}
    inst = root.xpath("e:reservationSet/e:item/e:instancesSet/e:item", namespaces=ns)
    assert len(inst) == 1
    assert inst[0].xpath("string(e:instanceId)", namespaces=ns) == "i-0123456789abcdef0"
    assert inst[0].xpath("string(e:instanceState/e:code)", namespaces=ns) == "16"
    assert inst[0].xpath("string(e:instanceState/e:name)", namespaces=ns) == "running"
    assert inst[0].xpath("string(e:launchTime)", namespaces=ns) == "2026-11-26T07:00:00.123Z"
    assert inst[0].xpath("string(e:ebsOptimized)", namespaces=ns) == "false"
    assert inst[0].xpath("string(e:tagSet/e:item/e:key)", namespaces=ns) == "Name"
    assert root.xpath("string(e:reservationSet/e:item/e:groupSet/e:item/e:groupId)", namespaces=ns) == "sg-0123456789abcdef0"


def _unusual_output_lists():
    """(operation, member path) for each output list whose items are not named ``item``
    by the model (either another locationName, or none at all, where EC2 still says item)."""
    model = ec2_model()
    found: dict[str, tuple[str, list[str]]] = {}

    def walk(shape, path, seen, op):
        if shape.name in seen:
            return
        seen = seen | {shape.name}
        if shape.type_name == "structure":
            for n, s in shape.members.items():
                walk(s, [*path, n], seen, op)
        elif shape.type_name == "list":
            if shape.member.serialization.get("name") != "item":
                found.setdefault(shape.name, (op, path))
            walk(shape.member, [*path, "[]"], seen, op)

    for name in OPERATION_NAMES:
        out = model.operation_model(name).output_shape
        if out is not None:
            walk(out, [], frozenset(), name)
    return sorted(found.items())


UNUSUAL_LISTS = _unusual_output_lists()


@pytest.mark.parametrize(("list_shape", "where"), UNUSUAL_LISTS, ids=[k for k, _ in UNUSUAL_LISTS])
def test_list_member_names_follow_the_model(operations, list_shape, where):
    """List children carry the model's member locationName, and ``item`` when it has none."""
    name, path = where
    op_model = ec2_model().operation_model(name)
    rng = RandomData(f"unusual/{list_shape}", output=True)

    def build(shape, rest):
        if not rest:
            assert shape.type_name == "list"
            return [rng._value(shape.member, 1, force=True) for _ in range(2)]
        if rest[0] == "[]":
            return [build(shape.member, rest[1:])]
        return {rest[0]: build(shape.members[rest[0]], rest[1:])}

    result = build(op_model.output_shape, path)
    body = operations[name].serialize(result, "rid")
    root, problems = check_envelope(body, name, "rid")
    assert not problems, problems
    # Walk down to the list element.
    el, shape = root, op_model.output_shape
    for step in path:
        if step == "[]":
            shape = shape.member
            el = [c for c in el][0]
        else:
            mshape = shape.members[step]
            el = el.find(q(output_element_name(step, mshape)))
            assert el is not None, f"{name}: <{output_element_name(step, mshape)}> not written"
            shape = mshape
    assert [etree.QName(c).localname for c in el] == [list_item_name(shape)] * 2, etree.tostring(el)
    parsed = botocore_parse(body, op_model)
    parsed.pop("ResponseMetadata")
    assert first_difference(result, parsed) is None


def test_empty_lists_reach_boto3_as_empty_lists(operations):
    """``{"Reservations": []}`` must reach a boto3 caller as ``Reservations: []``.

    Real EC2 writes ``<reservationSet/>`` for an empty list, and scripts index
    ``resp["Reservations"]`` without a default; dropping the element would turn an empty
    answer into a KeyError.
    """
    model = ec2_model()
    failures = []
    checked = 0
    for name in OPERATION_NAMES:
        op_model = model.operation_model(name)
        out = op_model.output_shape
        if out is None:
            continue
        lists = [m for m, s in out.members.items() if s.type_name == "list"]
        if not lists:
            continue
        checked += 1
        result = {m: [] for m in lists}
        parsed = botocore_parse(operations[name].serialize(result, "rid"), op_model)
        parsed.pop("ResponseMetadata", None)
        if first_difference(result, parsed):
            failures.append(name)
    assert checked > 300
    assert not failures, f"{len(failures)}/{checked} operations lose empty lists, e.g. {failures[:10]}"


# ---------------------------------------------------------------------- error envelope
@pytest.mark.parametrize(
    ("code", "message", "status"),
    [
        ("MissingParameter", "The request must contain the parameter MinCount", 400),
        ("InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist", 400),
        ("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
        ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412),
        ("InvalidParameterValue", "Value (a&b<c>\"d'\r\n😀) for parameter X is invalid.", 400),
        ("InternalError", "An internal error has occurred", 500),
    ],
)
def test_error_envelope(code, message, status):
    from ec2api_runtime.errors import EC2Error

    rid = str(uuid.uuid4())
    err = EC2Error(code, message, status)
    assert (err.code, err.message, err.status) == (code, message, status)
    body = err.to_xml(rid)
    assert isinstance(body, bytes)
    assert body.startswith(XML_DECL)
    assert b"\r" not in body
    root = parse_strict(body)
    assert root.tag == "Response" and root.nsmap == {}
    assert [c.tag for c in root] == ["Errors", "RequestID"]
    assert root.find("RequestID").text == rid
    errors = root.find("Errors")
    assert [c.tag for c in errors] == ["Error"]
    assert [c.tag for c in errors.find("Error")] == ["Code", "Message"]
    assert errors.findtext("Error/Code") == code
    assert errors.findtext("Error/Message") == message
    # And what a boto3 caller sees:
    op_model = ec2_model().operation_model("DescribeInstances")
    parsed = botocore_parse(body, op_model, status=status)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == message
    assert parsed["ResponseMetadata"]["RequestId"] == rid
