"""botocore as the oracle, for every operation of the EC2 model, in both directions.

Input:  random valid params -> botocore's EC2 serializer -> form body exactly as botocore
        sends it -> decoded fields (minus Action/Version) -> our ``parse`` == params.
Output: random valid result -> our ``serialize`` -> botocore's EC2 response parser
        == result, and ``ResponseMetadata.RequestId`` is the request id we passed.

One test per operation and direction; each loops over ``SEEDS`` seeds. The terminal
summary (tests/conformance/conftest.py) prints "input N/830, output N/830 operations".
"""

from __future__ import annotations

import os
import random
import uuid

import pytest

from tests.conformance.oracle import botocore_form, botocore_parse, ec2_model, operation_names
from tests.conformance.randomdata import RandomData, client_variant, describe, first_difference, normalise

SEEDS = range(int(os.environ.get("EC2API_CONFORMANCE_SEEDS", "6")))
OPERATION_NAMES = operation_names()


@pytest.fixture(scope="module")
def operations():
    from generated.ec2 import OPERATIONS

    return OPERATIONS


def request_id(name: str, seed: int) -> str:
    return str(uuid.UUID(int=random.Random(f"rid/{name}/{seed}").getrandbits(128), version=4))


def test_registry_has_every_operation(operations):
    assert len(OPERATION_NAMES) == 830
    assert sorted(operations) == sorted(OPERATION_NAMES)
    model = ec2_model()
    wrong = []
    for name in OPERATION_NAMES:
        op, op_model = operations[name], model.operation_model(name)
        want_in = op_model.input_shape.name if op_model.input_shape is not None else None
        want_out = op_model.output_shape.name if op_model.output_shape is not None else None
        if (op.name, op.input_shape, op.output_shape) != (name, want_in, want_out):
            wrong.append((name, op.name, op.input_shape, op.output_shape))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_input_roundtrip(operations, name):
    op_model = ec2_model().operation_model(name)
    op = operations[name]
    assert op.name == name
    for seed in SEEDS:
        params = RandomData(f"in/{name}/{seed}").value(op_model.input_shape)
        sent = client_variant(params, op_model.input_shape, random.Random(seed)) if seed % 2 else params
        form = botocore_form(sent, op_model)
        try:
            parsed = op.parse(form)
        except Exception as exc:  # an EC2Error here is a codec bug: the input is valid
            pytest.fail(f"{name} seed {seed}: parse raised {exc!r}\nform={form!r:.3000}")
        diff = first_difference(params, parsed)
        assert diff is None, f"{name} seed {seed}: {diff}\nform={form!r:.3000}\nparams={describe(params):.3000}"


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_output_roundtrip(operations, name):
    op_model = ec2_model().operation_model(name)
    op = operations[name]
    assert (op.output_shape is None) == (op_model.output_shape is None)
    for seed in SEEDS:
        result = RandomData(f"out/{name}/{seed}", output=True).value(op_model.output_shape)
        rid = request_id(name, seed)
        body = op.serialize(result, rid)
        assert isinstance(body, bytes), f"{name}: serialize returned {type(body).__name__}, not bytes"
        parsed = botocore_parse(body, op_model)
        meta = parsed.pop("ResponseMetadata", None) or {}
        assert meta.get("RequestId") == rid, f"{name} seed {seed}: ResponseMetadata {meta!r}, expected {rid}"
        diff = first_difference(result, parsed)
        assert diff is None, f"{name} seed {seed}: {diff}\nresult={describe(result):.3000}\nbody={body[:3000]!r}"


def test_empty_containers_round_trip(operations):
    """Empty lists and structures anywhere in a result reach boto3 unchanged (EC2 writes
    ``<tagSet/>``); in a request they are not on the wire, so parse gives the normalised
    params (empty containers dropped; an empty element inside a list keeps its place only
    when something after it was sent)."""
    model = ec2_model()
    failures = []
    for name in OPERATION_NAMES:
        op_model = model.operation_model(name)
        op = operations[name]
        for seed in range(2):
            result = RandomData(f"empty-out/{name}/{seed}", output=True, empties=0.3).value(op_model.output_shape)
            parsed = botocore_parse(op.serialize(result, "rid"), op_model)
            parsed.pop("ResponseMetadata", None)
            diff = first_difference(result, parsed)
            if diff:
                failures.append(f"output {name} seed {seed}: {diff}")
            params = RandomData(f"empty-in/{name}/{seed}", empties=0.3).value(op_model.input_shape)
            form = botocore_form(params, op_model)
            try:
                got = op.parse(form)
            except Exception as exc:
                # A required list or structure that came out empty is not sent: MissingParameter is right.
                if getattr(exc, "code", None) == "MissingParameter":
                    continue
                failures.append(f"input {name} seed {seed}: {exc!r} for {form!r:.300}")
                continue
            diff = first_difference(normalise(params), got)
            if diff:
                failures.append(f"input {name} seed {seed}: {diff}; form={form!r:.300}")
    assert not failures, f"{len(failures)} failures, e.g.:\n  " + "\n  ".join(failures[:15])
