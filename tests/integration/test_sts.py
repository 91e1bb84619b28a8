"""STS GetCallerIdentity at ec2api's endpoint (what Ansible's ec2_security_group asks first), through
boto3's and the aws CLI's own STS clients; every other STS action is refused in STS's envelope."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

pytestmark = pytest.mark.cloud

BIN = Path(sys.executable).parent


def _sts(url: str, creds: dict, region: str, **kwargs):
    return boto3.client("sts", endpoint_url=url, region_name=region, aws_access_key_id=creds["access"],
                        aws_secret_access_key=creds["secret"], config=BotoConfig(retries={"max_attempts": 1}),
                        **kwargs)


def test_get_caller_identity_names_the_account_ec2_shows(ec2api_url, cloud_info, ec2_demo, ec2_alt):
    region = cloud_info["region"]
    demo = _sts(ec2api_url, cloud_info["ec2_credentials"]["demo"], region).get_caller_identity()
    alt = _sts(ec2api_url, cloud_info["ec2_credentials"]["alt"], region).get_caller_identity()
    # The account is the OwnerId of the caller's resources (the default VPC here).
    assert demo["Account"] == ec2_demo.describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["OwnerId"]
    assert alt["Account"] != demo["Account"] and len(alt["Account"]) == 12
    assert demo["Arn"] == f"arn:aws:iam::{demo['Account']}:user/{demo['UserId']}"
    assert demo["UserId"] and demo["UserId"] != alt["UserId"]


def test_aws_cli_sts_get_caller_identity(ec2api_url, cloud_info, tmp_path):
    config = tmp_path / "config"
    config.write_text(f"[profile demo]\nregion = {cloud_info['region']}\nendpoint_url = {ec2api_url}\n"
                      "output = json\n")
    env = dict(os.environ, AWS_CONFIG_FILE=str(config),
               AWS_SHARED_CREDENTIALS_FILE=cloud_info["files"]["aws_credentials"], AWS_MAX_ATTEMPTS="1")
    proc = subprocess.run([str(BIN / "aws"), "--profile", "demo", "sts", "get-caller-identity"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    identity = json.loads(proc.stdout)
    assert identity["Arn"].startswith(f"arn:aws:iam::{identity['Account']}:user/")


def test_other_sts_actions_and_foreign_scopes_are_refused(ec2api_url, cloud_info):
    creds, region = cloud_info["ec2_credentials"]["demo"], cloud_info["region"]
    with pytest.raises(ClientError) as e:
        _sts(ec2api_url, creds, region).get_session_token()
    assert e.value.response["Error"]["Code"] == "InvalidAction"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:   # a wrong secret: STS's envelope, AuthFailure
        _sts(ec2api_url, {**creds, "secret": "x" * 40}, region).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "AuthFailure"
    # A signature for another region is not one for this endpoint, for STS as for EC2.
    with pytest.raises(ClientError) as e:
        _sts(ec2api_url, creds, "us-west-2").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "AuthFailure"
    assert "scoped to a valid region" in e.value.response["Error"]["Message"]
