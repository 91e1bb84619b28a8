"""Thousands of random and malformed requests never get a 5xx (hypothesis, stub auth, real SQLite).

Forms mix real operation names and their real field names with garbage: wrong types, bad list
indices, deep nesting, huge and non-UTF-8 values, odd headers. The stub caller has no service
catalog, so a valid request that reaches a handler needing OpenStack gets 503 ``Unavailable`` (the
backend is out of reach, which is what the service says when it really is); any other 5xx fails.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from falcon import testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2api_runtime.app import create_app
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database
from generated.ec2 import OPERATIONS
from tests.unit.test_app import StubAuth

ACTIONS = sorted(OPERATIONS)
FIELD_PARTS = ["InstanceId", "Filter", "Name", "Value", "MaxResults", "DryRun", "KeyName", "KeyType",
               "Tag", "Key", "ResourceId", "TagSpecification", "ResourceType", "MinCount", "MaxCount",
               "ImageId", "0", "1", "2", "01", "-1", "999999999999", "x", "", "Action", "Version"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["true", "false", "True", "1", "0", "-1", "1e309", "NaN", "rsa", "ed25519", "pem",
                     "key-0123456789abcdef0", "i-123", "2026-11-26T07:00:00Z", "\x00", "\ud7ff", "*", "?"]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
            max_size=20),
)
FIELDS = st.lists(st.sampled_from(FIELD_PARTS), min_size=1, max_size=5).map(".".join)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "state.sqlite"
    config = Config(database_url=f"sqlite:///{path}")
    db = Database(config.database_url)
    db.upgrade()
    return testing.TestClient(create_app(config, db=db, authenticator=StubAuth()))


def _encode(pairs):
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(action=st.one_of(st.sampled_from(ACTIONS), st.text(max_size=30)),
       fields=st.lists(st.tuples(FIELDS, VALUES), max_size=12),
       method=st.sampled_from(["GET", "POST"]),
       content_type=st.sampled_from(["application/x-www-form-urlencoded; charset=utf-8", "text/plain",
                                     "application/json", None]),
       raw_tail=st.binary(max_size=16))
def test_random_requests_never_get_a_server_error(client, action, fields, method, content_type, raw_tail):
    pairs = [("Action", action), ("AWSAccessKeyId", "good"), *fields]
    body = _encode(pairs).encode() + (b"&junk=" + raw_tail if raw_tail else b"")
    headers = {"Content-Type": content_type} if content_type else {}
    if method == "GET":
        resp = client.simulate_get("/", query_string=_encode(pairs), headers=headers)
    else:
        resp = client.simulate_post("/", body=body, headers=headers)
    assert resp.status_code < 500 or (resp.status_code == 503 and b"<Code>Unavailable</Code>" in resp.content), \
        resp.text
    assert resp.headers.get("x-amzn-RequestId")
