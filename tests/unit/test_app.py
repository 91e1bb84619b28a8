"""The HTTP layer with a stub authenticator and a real SQLite database (no cloud needed).

Covers what the runtime decides before any handler touches OpenStack: protocol errors, validation,
DryRun, unsupported operations, the request id and the health check.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from falcon import testing
from lxml import etree

from ec2api_runtime.app import create_app
from ec2api_runtime.auth import Caller
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database
from ec2api_runtime.errors import EC2Error

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


class StubAuth:
    """Accepts access key ``good``; anything else is AuthFailure, as Keystone would answer."""

    def forget(self, access_key):
        pass

    def authenticate(self, method, host, path, query, headers, body, now=None):
        if b"AWSAccessKeyId=good" in body or "good/" in headers.get("authorization", ""):
            return Caller(access_key="good", user_id="u1", project_id="p1", project_name="demo",
                          domain_id="default", token="t", expires_at=datetime.now(UTC) + timedelta(hours=1),
                          roles=("member",), catalog={})
        raise EC2Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401)


@pytest.fixture()
def client(tmp_path):
    config = Config(database_url=f"sqlite:///{tmp_path / 'state.sqlite'}")
    db = Database(config.database_url)
    db.upgrade()
    return testing.TestClient(create_app(config, db=db, authenticator=StubAuth()))


def call(client, **fields):
    fields.setdefault("AWSAccessKeyId", "good")
    return client.simulate_post("/", body=urlencode(fields),
                                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def error_of(resp):
    root = etree.fromstring(resp.content)
    assert root.tag == "Response"
    code = root.findtext("Errors/Error/Code")
    request_id = root.findtext("RequestID")
    assert UUID4.match(request_id), request_id
    assert resp.headers["x-amzn-RequestId"] == request_id
    return code, root.findtext("Errors/Error/Message")


def test_describe_regions_answers_with_the_configured_region(client):
    resp = call(client, Action="DescribeRegions", Version="2016-11-15")
    assert resp.status_code == 200
    root = etree.fromstring(resp.content)
    ns = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
    assert root.tag == f"{ns}DescribeRegionsResponse"
    assert UUID4.match(root.findtext(f"{ns}requestId"))
    assert root.findtext(f"{ns}requestId") == resp.headers["x-amzn-RequestId"]
    assert [e.text for e in root.iter(f"{ns}regionName")] == ["RegionOne"]


def test_get_with_query_string_works_like_post(client):
    resp = client.simulate_get("/", query_string=urlencode({"Action": "DescribeRegions", "AWSAccessKeyId": "good"}),
                               headers={"Authorization": "AWS4-HMAC-SHA256 Credential=good/x"})
    assert resp.status_code == 200


@pytest.mark.parametrize("fields, status, code", [
    ({"Action": "NoSuchThing"}, 400, "InvalidAction"),
    ({}, 400, "MissingAction"),
    ({"Action": "CreateVpnGateway", "Type": "ipsec.1"}, 400, "UnsupportedOperation"),
    ({"Action": "DescribeRegions", "Bogus": "1"}, 400, "UnknownParameter"),
    ({"Action": "DescribeRegions", "DryRun": "maybe"}, 400, "InvalidParameterValue"),
    ({"Action": "DescribeRegions", "DryRun": "true"}, 412, "DryRunOperation"),
    ({"Action": "CreateKeyPair"}, 400, "MissingParameter"),
    ({"Action": "DescribeRegions", "AWSAccessKeyId": "bad"}, 401, "AuthFailure"),
])
def test_protocol_errors(client, fields, status, code):
    resp = call(client, **fields)
    assert resp.status_code == status
    assert error_of(resp)[0] == code


def test_dry_run_message_is_awss(client):
    resp = call(client, Action="DescribeRegions", DryRun="true")
    assert error_of(resp) == ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")


def test_unsupported_operation_names_the_operation(client):
    resp = call(client, Action="CreateVpnGateway", Type="ipsec.1")
    assert "CreateVpnGateway" in error_of(resp)[1]


def test_missing_parameter_message_names_it(client):
    resp = call(client, Action="CreateKeyPair")
    assert error_of(resp) == ("MissingParameter", "The request must contain the parameter KeyName")


def test_a_field_given_twice_is_refused(client):
    resp = client.simulate_post("/?Action=DescribeRegions", body="Action=DescribeRegions&AWSAccessKeyId=good",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 400


def test_unexpected_failure_is_500_internal_error_without_traceback(client, monkeypatch):
    from ec2api_runtime import dispatch

    def boom(ctx, params):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(dispatch.HANDLERS, "DescribeRegions",
                        dispatch.Handler("DescribeRegions", boom, "regions"))
    resp = call(client, Action="DescribeRegions")
    assert resp.status_code == 500
    code, message = error_of(resp)
    assert code == "InternalError" and "secret" not in resp.text and "Traceback" not in resp.text


def test_health_needs_no_credentials(client):
    assert client.simulate_get("/healthz").status_code == 200
    assert client.simulate_get("/healthz", query_string="deep=1").status_code == 200


def test_metrics_count_requests_by_status(client):
    call(client, Action="DescribeRegions")
    call(client, Action="NoSuchThing")
    text = client.simulate_get("/metrics").text
    assert 'ec2api_requests_total{status="200"} 1' in text
    assert 'ec2api_requests_total{status="400"} 1' in text


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/nothing/here", 404, "NotFound"), ("POST", "/v1/servers", 404, "NotFound"),
    ("PUT", "/", 405, "MethodNotAllowed"), ("DELETE", "/", 405, "MethodNotAllowed"),
    ("PATCH", "/", 405, "MethodNotAllowed"), ("OPTIONS", "/", 405, "MethodNotAllowed"),
])
def test_other_paths_and_methods_get_the_ec2_envelope(client, method, path, status, code):
    resp = client.simulate_request(method, path)
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("text/xml")
    assert error_of(resp)[0] == code


def test_a_chunked_body_is_read():
    from io import BytesIO

    from ec2api_runtime.app import EC2Resource

    class Req:
        content_length = None
        stream = BytesIO(b"Action=DescribeRegions&Version=2016-11-15&AWSAccessKeyId=good")

        @staticmethod
        def get_header(name):
            return "chunked" if name == "Transfer-Encoding" else None

    seen = []
    resource = EC2Resource.__new__(EC2Resource)
    resource._handle = lambda req, resp, body: seen.append(body)
    resource.on_post(Req, None)
    assert seen == [b"Action=DescribeRegions&Version=2016-11-15&AWSAccessKeyId=good"]


def test_a_405_names_the_methods_allowed(client):
    resp = client.simulate_request("PUT", "/")
    assert resp.status_code == 405 and set(resp.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
