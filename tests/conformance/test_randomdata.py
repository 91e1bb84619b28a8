"""The random data itself: valid by botocore's own validator, deterministic, hostile enough."""

from __future__ import annotations

from botocore.validate import ParamValidator

from tests.conformance.oracle import ec2_model, operation_names
from tests.conformance.randomdata import HOSTILE_PIECES, RandomData, describe, is_xml_char


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_random_inputs_are_valid_for_botocore():
    model = ec2_model()
    validator = ParamValidator()
    bad = []
    for name in operation_names():
        shape = model.operation_model(name).input_shape
        for seed in range(3):
            params = RandomData(f"in/{name}/{seed}").value(shape)
            report = validator.validate(params, shape)
            if report.has_errors():
                bad.append(f"{name} seed {seed}: {report.generate_report()[:300]}")
    assert not bad, "\n".join(bad[:10])


def test_random_data_is_deterministic_and_xml_safe():
    model = ec2_model()
    seen_hostile = set()
    for name in ("RunInstances", "DescribeInstances", "CreateTags", "DescribeImages"):
        op = model.operation_model(name)
        for output in (False, True):
            shape = op.output_shape if output else op.input_shape
            for seed in range(5):
                a = RandomData(f"{name}/{seed}", output=output).value(shape)
                b = RandomData(f"{name}/{seed}", output=output).value(shape)
                assert describe(a) == describe(b)
                for s in _strings(a):
                    assert all(is_xml_char(c) for c in s), repr(s)
                    seen_hostile.update(p for p in HOSTILE_PIECES if p in s)
    # The generator does reach the characters that break careless encoders.
    assert {"&", "<", "+", "%", "\r", "\n", "\t", "😀"} <= seen_hostile, seen_hostile
