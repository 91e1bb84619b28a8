"""With Keystone or Nova stopped, requests get 503 Unavailable (not 500, not a hang) and recover.

Each test takes one real API of the test cloud away (``cloud.sh stop-api``) and brings it back.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

pytestmark = pytest.mark.cloud
CLOUD_SH = Path(__file__).resolve().parents[1] / "cloud" / "cloud.sh"


def _cloud(*args: str) -> None:
    subprocess.run(["bash", str(CLOUD_SH), *args], check=True, capture_output=True, timeout=120)


def _client(url, creds, region):
    return boto3.client("ec2", endpoint_url=url, region_name=region, aws_access_key_id=creds["access"],
                        aws_secret_access_key=creds["secret"],
                        config=BotoConfig(retries={"max_attempts": 1}, read_timeout=30, connect_timeout=5))


def _assert_unavailable_quickly(call) -> None:
    """``call`` fails with 503 Unavailable, and within 25 s (no hang on the missing service)."""
    started = time.monotonic()
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == "Unavailable"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert time.monotonic() - started < 25


def _until_ok(call, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except ClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_nova_down_is_503_then_recovers(ec2_demo):
    ec2_demo.describe_availability_zones()
    _cloud("stop-api", "nova-api")
    try:
        _assert_unavailable_quickly(ec2_demo.describe_availability_zones)
        # What does not need Nova keeps working.
        assert ec2_demo.describe_regions()["Regions"]
    finally:
        _cloud("start-api", "nova-api")
    assert _until_ok(ec2_demo.describe_availability_zones)["AvailabilityZones"]


def test_keystone_down_is_503_for_new_keys_then_recovers(ec2api_url, cloud_info):
    creds = cloud_info["ec2_credentials"]["alt"]
    # The alt key is verified once while Keystone is up, so the service has it cached; a credential
    # created for this test is one the service has never seen.
    _client(ec2api_url, creds, cloud_info["region"]).describe_regions()
    fresh = _fresh_credential(cloud_info)
    client = _client(ec2api_url, fresh, cloud_info["region"])
    _cloud("stop-api", "keystone")
    try:
        _assert_unavailable_quickly(client.describe_regions)
        # A key the service already verified keeps working from its cache.
        assert _client(ec2api_url, creds, cloud_info["region"]).describe_regions()["Regions"]
    finally:
        _cloud("start-api", "keystone")
    assert _until_ok(client.describe_regions)["Regions"]


def _fresh_credential(cloud_info) -> dict:
    """A new EC2 credential of the alt user (so the service has not cached it)."""
    import openstack

    alt = cloud_info["ec2_credentials"]["alt"]
    conn = openstack.connect(auth_url=cloud_info["auth_url"], username="alt", password="alt-pw",
                             project_name="alt", user_domain_name="Default", project_domain_name="Default",
                             region_name=cloud_info["region"])
    resp = conn.identity.post(f"/users/{alt['user_id']}/credentials/OS-EC2", json={"tenant_id": alt["project_id"]})
    cred = resp.json()["credential"]
    return {"access": cred["access"], "secret": cred["secret"]}
