"""Hostile but well-formed input: huge and gapped list indices, long digit strings, timestamps that
overflow, wildcard bombs, too many filter values, forged pagination tokens.

Each of these crashed a worker, made it allocate without bound or held it for seconds before the
fixes; each must now be a quick 4xx with EC2's error code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ec2api_runtime import filters, pagination
from ec2api_runtime.errors import EC2Error
from generated.ec2 import OPERATIONS


def _code(op: str, form: dict) -> str:
    with pytest.raises(EC2Error) as e:
        OPERATIONS[op].parse(form)
    return e.value.code


# --- list indices ------------------------------------------------------------------------------

@pytest.mark.parametrize("index", ["1" + "0" * 30, "1000000", "9" * 5000, "1001"])
def test_huge_list_indices_are_refused_before_anything_is_allocated(index):
    tracemalloc.start()
    try:
        assert _code("DescribeRegions", {f"Filter.{index}.Name": "x"}) == "InvalidParameterValue"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"parsing allocated {peak:,} bytes"


def test_the_models_own_list_maximum_bounds_the_index():
    # DescribeInstanceTypes' InstanceTypes: at most 100 in the model.
    OPERATIONS["DescribeInstanceTypes"].parse({"InstanceType.100": "m1.small"})
    assert _code("DescribeInstanceTypes", {"InstanceType.101": "m1.small"}) == "InvalidParameterValue"


def test_a_gap_is_validated_like_any_element():
    # Filter has no required member: the gap is kept as an empty element ...
    params = OPERATIONS["DescribeRegions"].parse({"Filter.2.Name": "region-name", "Filter.2.Value.1": "r"})
    assert params["Filters"] == [{}, {"Name": "region-name", "Values": ["r"]}]
    # ... but an element with a required member misses it in the gap as a real element would.
    with pytest.raises(EC2Error) as e:
        OPERATIONS["ModifySecurityGroupRules"].parse({
            "GroupId": "sg-1", "SecurityGroupRule.2.SecurityGroupRuleId": "sgr-1"})
    assert (e.value.code, e.value.status) == ("MissingParameter", 400)
    assert "SecurityGroupRule.1.SecurityGroupRuleId" in e.value.message


def test_gaps_across_the_request_are_bounded():
    # Each field alone is within the cap, together they would need a million placeholders.
    form = {f"Filter.{i}.Value.1": "x" for i in range(1000, 0, -1) if i % 2 == 0}
    form.update({f"Filter.{i}.Name": "region-name" for i in range(1, 1001) if i % 2})
    OPERATIONS["DescribeRegions"].parse(form)   # 1,000 elements, 1,000 fields: fine
    nested = {f"IpPermissions.{i}.IpRanges.1000.CidrIp": "10.0.0.0/8" for i in range(1, 50)}
    nested["GroupId"] = "sg-1"
    assert _code("AuthorizeSecurityGroupIngress", nested) == "InvalidParameterValue"


def test_long_digit_strings_and_out_of_range_integers():
    assert _code("DescribeInstances", {"MaxResults": "9" * 5000}) == "InvalidParameterValue"
    assert _code("RunInstances", {"ImageId": "ami-1", "MinCount": "99999999999", "MaxCount": "1"}) == "InvalidParameterValue"
    assert _code("DescribeSpotPriceHistory", {"StartTime": "9999-12-31T23:59:59-23:59"}) == "InvalidParameterValue"
    assert _code("DescribeSpotPriceHistory", {"StartTime": "0001-01-01T00:00:00+23:59"}) == "InvalidParameterValue"


# --- wildcard filters --------------------------------------------------------------------------

def _reference(pattern: str, text: str) -> bool:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.fullmatch("".join(out), text, re.S) is not None


@settings(max_examples=3000, deadline=None)
@given(pattern=st.text(alphabet="ab*?\\.", max_size=10), text=st.text(alphabet="ab*?\\.\n", max_size=12))
def test_wildcards_match_as_the_regex_translation_does(pattern, text):
    assert filters.matches([pattern], text) == _reference(pattern, text)


def test_a_wildcard_bomb_is_answered_at_once():
    # A backtracking regex takes ~2.6x longer per star; 30 stars would not finish in a lifetime.
    assert not filters.matches(["*" * 30 + "Z"], "a" * 10_000)
    assert not filters.matches(["*a" * 300 + "Z"], "a" * 10_000)
    assert filters.matches(["*a" * 300], "a" * 10_000)


def _apply(f):
    return filters.apply_filters("DescribeRegions", f, [{"RegionName": "r"}],
                                 {"region-name": lambda r: r["RegionName"]})


def test_filter_limits_are_aws_s():
    with pytest.raises(EC2Error) as e:
        _apply([{"Name": "region-name", "Values": [str(i) for i in range(201)]}])
    assert e.value.code == "FilterLimitExceeded"
    with pytest.raises(EC2Error) as e:
        _apply([{"Name": "region-name", "Values": ["x"]} for _ in range(101)] * 2)
    assert e.value.code == "FilterLimitExceeded"
    with pytest.raises(EC2Error) as e:
        _apply([{"Name": "region-name", "Values": ["*" * 2000]}])
    assert e.value.code == "InvalidParameterValue"
    assert _apply([{"Name": "region-name", "Values": [str(i) for i in range(199)] + ["r"]}])


def test_a_filter_without_a_name_is_a_client_error():
    with pytest.raises(EC2Error) as e:
        _apply([{"Values": ["x"]}])
    assert (e.value.code, e.value.status) == ("InvalidParameterValue", 400)


def test_no_pattern_cache_outlives_the_request():
    assert not hasattr(filters, "_pattern")


# --- pagination tokens -------------------------------------------------------------------------

def _forge(secret: bytes, payload) -> str:
    raw = json.dumps(payload).encode()
    mac = hmac.new(secret, raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + raw).decode().rstrip("=")


@pytest.mark.parametrize("payload", [["DescribeInstances", {"a": 1}], ["DescribeInstances"], {"x": 1},
                                     ["DescribeInstances", [{"a": 1}]], "x", ["DescribeInstances", True]])
def test_tokens_of_another_structure_are_invalid_not_a_crash(payload):
    with pytest.raises(EC2Error) as e:
        pagination.paginate(b"s", "DescribeInstances", [{"k": "a"}], lambda i: i["k"], 5, _forge(b"s", payload))
    assert e.value.code == "InvalidPaginationToken"


def test_a_token_with_a_key_of_another_type_is_invalid():
    token = pagination.encode_token(b"s", "DescribeInstances", ["a", "b"])
    with pytest.raises(EC2Error) as e:
        pagination.paginate(b"s", "DescribeInstances", [{"k": "a"}], lambda i: i["k"], 5, token)
    assert e.value.code == "InvalidPaginationToken"


def test_the_pagination_secret_is_random_stored_and_shared(tmp_path):
    from ec2api_runtime.db import Database, secrets

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    first = Database(url)
    first.upgrade()
    key = first.secret(secrets.PAGINATION)
    assert len(key) == 32
    assert Database(url).secret(secrets.PAGINATION) == key           # another worker, same key
    other = Database(f"sqlite:///{tmp_path / 't.sqlite'}")
    other.upgrade()
    assert other.secret(secrets.PAGINATION) != key                  # not derived from anything
    with first.session() as s:
        secrets.rotate(s, secrets.PAGINATION)
    assert Database(url).secret(secrets.PAGINATION) != key


# --- model corrections -------------------------------------------------------------------------

def test_corrections_widen_the_model_where_ec2_accepts_more():
    params = OPERATIONS["DescribeAccountAttributes"].parse({"AttributeName.1": "max-instances"})
    assert params == {"AttributeNames": ["max-instances"]}
    assert _code("DescribeAccountAttributes", {"AttributeName.1": "max-nothing"}) == "InvalidParameterValue"


def test_a_stale_correction_fails_the_generation():
    from codegen.generate import apply_corrections

    raw = {"shapes": {"S": {"type": "string", "enum": ["a", "b"]}}}
    apply_corrections(raw, {"corrections": [{"shape": "S", "add_enum": ["c"], "reason": "r", "source": "s"}]})
    assert raw["shapes"]["S"]["enum"] == ["a", "b", "c"]
    for bad in ({"shape": "S", "add_enum": ["a"], "reason": "r", "source": "s"},      # the model caught up
                {"shape": "T", "add_enum": ["x"], "reason": "r", "source": "s"},      # renamed shape
                {"shape": "S", "add_enum": ["x"]},                                    # no reason, no source
                {"shape": "S", "remove_enum": ["a"], "reason": "r", "source": "s"}):  # only widening
        with pytest.raises(ValueError):
            apply_corrections({"shapes": {"S": {"type": "string", "enum": ["a", "b"]}}}, {"corrections": [bad]})
