"""AWS's protocol test vectors (botocore's ``tests/unit/protocols/{input,output}/ec2.json``).

Every case brings its own small model; the project's generator turns each suite group into
a codec package (tests/conformance/vectors.py), then:

* input cases: the case's serialized form body, decoded, minus Action/Version, parsed by our
  ``parse`` must equal the case's ``params`` (epoch numbers there mean UTC datetimes, blobs
  may be given as str, floats as "NaN"/"Infinity"/"-Infinity");
* output cases: our ``serialize(result)`` must parse with botocore back to the case's
  ``result``, and have the same element structure as the case's expected body (root element
  name and namespace aside; ``requestId`` only when the case has one; leaf text compared by
  meaning, with a timestamp's *format family* -- ISO 8601, epoch seconds, RFC 822 -- kept,
  so a model's ``timestampFormat`` is honoured);
* error cases: ``EC2Error(code, message, status).to_xml(rid)`` must parse with botocore to
  the case's error code and message, in the case's envelope structure.

Principled deviations (each applied by name, with its reason, below):

* ``member`` and ``item`` are treated alike as the element name of a list member that has no
  locationName. The vectors use Smithy's generic ``member``; the EC2 service itself writes
  ``item`` (DESIGN.md section 3) and botocore reads either.
* Cases without a serialized body (request-compression cases) get their body from
  botocore's own serializer: compression is a transport concern outside the codec.
* An idempotency token a client auto-filled is part of what the server receives, so the
  expected params include it.
* Where botocore cannot read a vector's own expected body (Ec2XmlLists' flattened lists
  whose list member has a locationName: botocore looks for the member's name, the vector
  repeats the structure member's name), those members are checked against the vector's
  structure only, not against botocore's reading.
* Empty lists in a case's params are not on the wire (the EC2 protocol does not send them),
  so the expected params drop them.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from botocore.model import ServiceModel
from botocore.serialize import EC2Serializer
from lxml import etree

from tests.conformance import vectors
from tests.conformance.oracle import botocore_parse, decode_form, encode_body
from tests.conformance.randomdata import describe, first_difference, normalise

# Cases that cannot pass for a reason outside the codec's control, with that reason.
XFAIL_REASONS = {
    "Ec2ComplexError": (
        "modeled error members (TopLevel, Nested.Foo) cannot be carried: the codec contract's "
        "EC2Error has only code, message and status, and the real EC2 service never sends "
        "members beyond Code and Message in its error envelope"
    ),
}


def _load(kind):
    try:
        groups = vectors.load_suite(kind)
    except vectors.VectorsUnavailable as exc:
        return [], str(exc)
    cases, seen = [], set()
    for gi, group in enumerate(groups):
        for ci, case in enumerate(group["cases"]):
            cid = case.get("id") or f"{kind}-{gi}-{ci}"
            while cid in seen:
                cid += "_"
            seen.add(cid)
            cases.append(pytest.param(gi, ci, id=cid))
    return cases, None


INPUT_CASES, INPUT_PROBLEM = _load("input")
OUTPUT_CASES, OUTPUT_PROBLEM = _load("output")


@pytest.fixture(scope="session")
def input_suite(tmp_path_factory):
    groups = vectors.load_suite("input")
    return groups, vectors.generate_packages("input", groups, tmp_path_factory.mktemp("protocol-input"))


@pytest.fixture(scope="session")
def output_suite(tmp_path_factory):
    groups = vectors.load_suite("output")
    return groups, vectors.generate_packages("output", groups, tmp_path_factory.mktemp("protocol-output"))


def _operation(modules, gi, case):
    module = modules[gi]
    if isinstance(module, Exception):
        pytest.fail(f"case {case.get('id')}: generated package unavailable: {module}")
    return module.OPERATIONS[case["given"]["name"]]


# ---------------------------------------------------------------------- value coercion
def to_datetime(value):
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        # Keep millisecond fractions exact (946845296.123 is not exact as a float).
        d = Decimal(str(value))
        seconds = int(d)
        micros = int((d - seconds) * 1_000_000)
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
    from botocore.utils import parse_timestamp

    return parse_timestamp(value).astimezone(UTC)


def coerce(value, shape):
    """A case's JSON value as the Python value boto3 would hold for that shape."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: coerce(v, shape.members[k]) for k, v in value.items()}
    if kind == "list":
        return [coerce(v, shape.member) for v in value]
    if kind == "map":
        return {coerce(k, shape.key): coerce(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        return to_datetime(value)
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else value
    if kind in ("float", "double"):
        return float(value)
    return value


# ---------------------------------------------------------------------- input cases
class SmithyEc2Serializer(EC2Serializer):
    """botocore's EC2 serializer with Smithy's ec2Query naming rule for members that have
    neither queryName nor locationName: the member name with its first letter upper-cased
    (the vector bodies follow it: ``Label``, ``Token``, ``Hi``; botocore sends the name as
    is). No member of the EC2 model is affected: all of its input members that lack a
    locationName already start with a capital letter."""

    def _get_serialized_name(self, shape, default_name):
        name = super()._get_serialized_name(shape, default_name)
        return name[:1].upper() + name[1:] if name else name


@pytest.mark.parametrize(("gi", "ci"), INPUT_CASES or [pytest.param(0, 0, id="unavailable")])
def test_input_vector(input_suite, gi, ci):
    if INPUT_PROBLEM:
        pytest.fail(INPUT_PROBLEM)
    groups, modules = input_suite
    case = groups[gi]["cases"][ci]
    cid = case.get("id")
    model = ServiceModel(vectors.group_model(groups[gi]), service_name="protocoltest")
    op_model = model.operation_model(case["given"]["name"])
    body = case["serialized"].get("body")
    if body is None:
        # Request-compression cases carry only headers; the form is what a client writes
        # before compressing.
        body = encode_body(SmithyEc2Serializer().serialize_to_request(case["params"], op_model)["body"])
    form = decode_form(body)
    assert form.pop("Action") == op_model.name, cid
    assert form.pop("Version") == model.api_version, cid
    # Empty lists and structures are not sent (Ec2EmptyQueryLists): the wire cannot carry them.
    expected = normalise(coerce(case["params"], op_model.input_shape))
    if op_model.input_shape is not None:
        for name, mshape in op_model.input_shape.members.items():
            if mshape.metadata.get("idempotencyToken") and name not in expected:
                wire = mshape.serialization.get("name") or name
                wire = wire[0].upper() + wire[1:]
                if wire in form:  # auto-filled by the client: the server receives it
                    expected[name] = form[wire]
    op = _operation(modules, gi, case)
    try:
        parsed = op.parse(form)
    except Exception as exc:
        pytest.fail(f"case {cid}: parse({form!r:.500}) raised {exc!r}")
    diff = first_difference(expected, parsed)
    assert diff is None, f"case {cid}: {diff}\nform={form!r:.500}\nexpected={describe(expected):.500}"


# ---------------------------------------------------------------------- output cases
ISO_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")
RFC822_RE = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\Z")
NUMBER_RE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?\Z")


def leaf_meaning(text):
    text = text or ""
    if ISO_RE.match(text):
        return ("iso8601", to_datetime(text).timestamp())
    if RFC822_RE.match(text):
        return ("rfc822", email.utils.parsedate_to_datetime(text).timestamp())
    if NUMBER_RE.match(text):
        return ("number", float(Decimal(text)))
    if text in ("NaN", "Infinity", "-Infinity"):
        return ("number", text)
    return ("text", text)


def canonical(el, root_ns, drop_request_id):
    """An order-insensitive structural fingerprint of an element's content."""
    items = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        qn = etree.QName(child)
        local = qn.localname
        if drop_request_id and el.getparent() is None and local == "requestId":
            continue
        if local in ("member", "item"):
            local = "member|item"  # see the module docstring
        tag = local if qn.namespace in (None, root_ns) else f"{{{qn.namespace}}}{local}"
        if len(child):
            items.append((tag, canonical(child, qn.namespace, False)))
        else:
            items.append((tag, leaf_meaning(child.text)))
    return tuple(sorted(items, key=repr))


def pretty(items, indent=0):
    lines = []
    for tag, content in items:
        if isinstance(content, tuple) and content and isinstance(content[0], tuple):
            lines.append("  " * indent + f"<{tag}>")
            lines.extend(pretty(content, indent + 1))
        else:
            lines.append("  " * indent + f"<{tag}> {content!r}")
    return lines


@pytest.mark.parametrize(("gi", "ci"), OUTPUT_CASES or [pytest.param(0, 0, id="unavailable")])
def test_output_vector(output_suite, gi, ci, request):
    if OUTPUT_PROBLEM:
        pytest.fail(OUTPUT_PROBLEM)
    groups, modules = output_suite
    case = groups[gi]["cases"][ci]
    cid = case.get("id")
    if cid in XFAIL_REASONS:
        request.applymarker(pytest.mark.xfail(reason=XFAIL_REASONS[cid], strict=True))
    model = ServiceModel(vectors.group_model(groups[gi]), service_name="protocoltest")
    op_model = model.operation_model(case["given"]["name"])
    expected_root = etree.fromstring(case["response"]["body"].encode("utf-8"))
    status = case["response"].get("status_code", 200)
    if "errorCode" in case:
        from ec2api_runtime.errors import EC2Error

        message = case.get("errorMessage") or expected_root.findtext("Errors/Error/Message") or ""
        body = EC2Error(case["errorCode"], message, status).to_xml("foo-id")
        parsed = botocore_parse(body, op_model, status=status)
        assert parsed["Error"]["Code"] == case["errorCode"], cid
        assert parsed["Error"]["Message"] == message, cid
        assert parsed["ResponseMetadata"]["RequestId"] == "foo-id", cid
        for member, value in case.get("error", {}).items():
            if member != "Message":
                assert parsed["Error"].get(member) == value, f"case {cid}: error member {member} not carried"
        ours = etree.fromstring(body)
        assert canonical(ours, None, False) == canonical(expected_root, None, False), (
            f"case {cid}: envelope differs\nours:\n" + "\n".join(pretty(canonical(ours, None, False)))
            + "\nexpected:\n" + "\n".join(pretty(canonical(expected_root, None, False))))
        return

    op = _operation(modules, gi, case)
    result = coerce(case["result"], op_model.output_shape)
    body = op.serialize(result, "requestid")
    parsed = botocore_parse(body, op_model)
    meta = parsed.pop("ResponseMetadata", {})
    assert meta.get("RequestId") == "requestid", f"case {cid}: ResponseMetadata {meta!r}"
    # Members botocore cannot read even from the vector's own body (flattened lists whose
    # list member has a locationName, Ec2XmlLists) are held to the vector's structure
    # below, not to botocore's reading.
    oracle = botocore_parse(case["response"]["body"].encode("utf-8"), op_model)
    unreadable = {k for k in result if first_difference(result[k], oracle.get(k)) is not None}
    diff = first_difference({k: v for k, v in result.items() if k not in unreadable},
                            {k: v for k, v in parsed.items() if k not in unreadable})
    assert diff is None, f"case {cid}: botocore reads our XML differently: {diff}\nbody={body!r:.1500}"

    ours_root = etree.fromstring(body)
    has_rid = expected_root.find("{*}requestId") is not None
    ours = canonical(ours_root, etree.QName(ours_root).namespace, drop_request_id=not has_rid)
    theirs = canonical(expected_root, etree.QName(expected_root).namespace, drop_request_id=False)
    assert ours == theirs, (
        f"case {cid}: element structure differs from the vector's body\nours:\n" + "\n".join(pretty(ours))
        + "\nexpected:\n" + "\n".join(pretty(theirs)) + f"\nour body: {body!r:.1500}")


def test_vectors_are_all_collected():
    assert not INPUT_PROBLEM and not OUTPUT_PROBLEM, INPUT_PROBLEM or OUTPUT_PROBLEM
    assert len(INPUT_CASES) >= 25 and len(OUTPUT_CASES) >= 25, (len(INPUT_CASES), len(OUTPUT_CASES))
