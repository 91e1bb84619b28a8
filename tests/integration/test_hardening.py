"""Hostile but fair clients against the real service on the real test cloud (issue: hardening).

Stalled connections, chunked bodies, foreign signature scopes, filters without names on every
Describe, and create operations that must refuse bad input before their first OpenStack write.
"""

from __future__ import annotations

import socket
import time
import uuid

import boto3
import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from ec2api_runtime.dispatch import load_handlers
from generated.ec2 import OPERATIONS
from tests.integration._kit import code_of

pytestmark = pytest.mark.cloud


def _signed(url: str, body: str, creds: dict, region: str, service: str = "ec2") -> dict[str, str]:
    req = AWSRequest(method="POST", url=url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(Credentials(creds["access"], creds["secret"]), service, region).add_auth(req)
    return dict(req.headers.items())


def _metric(url: str, name: str) -> float:
    for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def test_a_thousand_stalled_connections_do_not_stop_the_service(ec2api_url, ec2_demo):
    port = int(ec2api_url.rsplit(":", 1)[1])
    held = []
    try:
        for i in range(1000):
            s = socket.create_connection(("127.0.0.1", port))
            # Half stall in the body, half in the headers; none ever finishes.
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nAction=" if i % 2 else
                      b"POST / HTTP/1.1\r\nHost: x\r\n")
            held.append(s)
        started = time.perf_counter()
        regions = ec2_demo.describe_regions()["Regions"]
        elapsed = time.perf_counter() - started
    finally:
        for s in held:
            s.close()
    assert regions and elapsed < 1.0, f"a new client waited {elapsed:.2f} s"


def test_a_signed_chunked_request_is_read(ec2api_url, cloud_info):
    body = "Action=DescribeRegions&Version=2016-11-15"
    headers = _signed(ec2api_url, body, cloud_info["ec2_credentials"]["demo"], cloud_info["region"])
    headers.pop("Content-Length", None)
    resp = requests.post(ec2api_url + "/", data=iter([body[:10].encode(), body[10:].encode()]), headers=headers,
                         timeout=30)
    assert resp.request.headers.get("Transfer-Encoding") == "chunked"
    assert resp.status_code == 200, resp.text
    assert b"<regionName>" in resp.content


@pytest.mark.parametrize(("region", "service"), [("us-east-1", "ec2"), (None, "s3"), (None, "sts")])
def test_a_signature_for_another_region_or_service_is_refused(ec2api_url, cloud_info, region, service):
    body = "Action=DescribeRegions&Version=2016-11-15"
    headers = _signed(ec2api_url, body, cloud_info["ec2_credentials"]["demo"], region or cloud_info["region"],
                      service)
    resp = requests.post(ec2api_url + "/", data=body, headers=headers, timeout=30)
    assert resp.status_code == 401 and b"<Code>AuthFailure</Code>" in resp.content, resp.text
    assert (f"'{cloud_info['region']}'" if region else "'ec2'").encode() in resp.content


def test_boto3_with_the_wrong_region_gets_auth_failure(ec2api_url, cloud_info):
    creds = cloud_info["ec2_credentials"]["demo"]
    client = boto3.client("ec2", endpoint_url=ec2api_url, region_name="us-east-1",
                          aws_access_key_id=creds["access"], aws_secret_access_key=creds["secret"],
                          config=BotoConfig(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        client.describe_regions()
    assert code_of(e) == "AuthFailure"


def _describes_with_filters() -> list[str]:
    implemented = load_handlers()
    out = []
    for name in sorted(implemented):
        op = OPERATIONS[name]
        if name.startswith("Describe") and "Filters" in str(getattr(op.module, f"_IN_FIELDS_{op.input_shape}", {})):
            out.append(name)
    return out


@pytest.mark.parametrize("operation", _describes_with_filters())
def test_a_filter_without_a_name_is_a_400_on_every_describe(ec2_demo, operation):
    method = getattr(ec2_demo, botocore.xform_name(operation))
    with pytest.raises(ClientError) as e:
        method(Filters=[{"Values": ["x"]}])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert code_of(e) == "InvalidParameterValue"


def test_describe_filters_have_aws_s_limit(ec2_demo):
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_images(Filters=[{"Name": "name", "Values": [f"n{i}" for i in range(201)]}])
    assert code_of(e) == "FilterLimitExceeded"
    images = ec2_demo.describe_images(Filters=[{"Name": "name", "Values": ["*" * 30 + "Z"]}])["Images"]
    assert images == []


@pytest.mark.parametrize("tags", [[{"Key": "aws:reserved", "Value": "x"}], [{"Key": "k" * 129, "Value": "v"}],
                                  [{"Key": f"k{i}", "Value": "v"} for i in range(51)]])
def test_run_instances_refuses_bad_tags_before_touching_openstack(ec2api_url, ec2_demo, tags):
    before = _metric(ec2api_url, "ec2api_openstack_calls_total")
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId="ami-00000000000000000", MinCount=1, MaxCount=1,
                               TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    assert code_of(e) in ("InvalidParameterValue", "TagLimitExceeded")
    assert _metric(ec2api_url, "ec2api_openstack_calls_total") == before   # not one OpenStack call


def test_run_instances_refuses_network_interface_tags_it_cannot_honour(ec2_demo):
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId="ami-00000000000000000", MinCount=1, MaxCount=1, TagSpecifications=[
            {"ResourceType": "network-interface", "Tags": [{"Key": "k", "Value": "v"}]}])
    assert code_of(e) == "InvalidParameterValue" and "network-interface" in e.value.response["Error"]["Message"]


def test_import_key_pair_with_empty_material_is_missing_parameter(ec2_demo):
    with pytest.raises(ClientError) as e:
        ec2_demo.import_key_pair(KeyName=f"empty-{uuid.uuid4().hex[:8]}", PublicKeyMaterial=b"")
    assert code_of(e) == "MissingParameter"


def test_account_attributes_the_model_omits_are_accepted(ec2_demo, aws_cli):
    out = ec2_demo.describe_account_attributes(AttributeNames=["max-instances"])["AccountAttributes"]
    assert [a["AttributeName"] for a in out] == ["max-instances"]
    assert int(out[0]["AttributeValues"][0]["AttributeValue"]) > 0
    cli = aws_cli("demo", "describe-account-attributes", "--attribute-names", "max-elastic-ips")
    assert [a["AttributeName"] for a in cli["AccountAttributes"]] == ["max-elastic-ips"]
