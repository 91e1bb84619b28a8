"""The first handlers through the real service and the real test cloud, with boto3 and the aws CLI.

Regions, availability zones, account attributes, key pairs and tags; DryRun; isolation between
projects; authentication failures.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.integration._kit import code_of

pytestmark = pytest.mark.cloud


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_regions_and_zones(ec2_demo, cloud_info, aws_cli):
    regions = ec2_demo.describe_regions()["Regions"]
    assert [r["RegionName"] for r in regions] == [cloud_info["region"]]
    zones = ec2_demo.describe_availability_zones()["AvailabilityZones"]
    assert zones and all(z["State"] == "available" and z["RegionName"] == cloud_info["region"] for z in zones)
    assert "nova" in {z["ZoneName"] for z in zones}
    only = ec2_demo.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["no*"]}])
    assert {z["ZoneName"] for z in only["AvailabilityZones"]} == {z["ZoneName"] for z in zones
                                                                   if z["ZoneName"].startswith("no")}
    cli = aws_cli("demo", "describe-availability-zones")
    assert {z["ZoneName"] for z in cli["AvailabilityZones"]} == {z["ZoneName"] for z in zones}
    assert aws_cli("demo", "describe-regions")["Regions"][0]["RegionName"] == cloud_info["region"]


def test_unknown_zone_and_bad_filter_are_rejected(ec2_demo):
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_availability_zones(ZoneNames=["atlantis"])
    assert code_of(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_regions(Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
    assert code_of(e) == "InvalidParameterValue"


def test_account_attributes(ec2_demo):
    attrs = {a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]]
             for a in ec2_demo.describe_account_attributes()["AccountAttributes"]}
    assert attrs["supported-platforms"] == ["VPC"]
    assert attrs["default-vpc"][0].startswith("vpc-")
    assert int(attrs["max-instances"][0]) > 0
    # Asked again, the default VPC keeps its id.
    again = ec2_demo.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert again[0]["AttributeValues"][0]["AttributeValue"] == attrs["default-vpc"][0]


@pytest.mark.parametrize("key_type, key_format", [("rsa", "pem"), ("ed25519", "pem"), ("rsa", "ppk"),
                                                  ("ed25519", "ppk")])
def test_create_key_pair(ec2_demo, key_type, key_format):
    name = unique("kp")
    created = ec2_demo.create_key_pair(KeyName=name, KeyType=key_type, KeyFormat=key_format)
    try:
        assert created["KeyName"] == name and created["KeyPairId"].startswith("key-")
        material = created["KeyMaterial"]
        if key_format == "ppk":
            assert material.startswith("PuTTY-User-Key-File-3: ")
        elif key_type == "rsa":
            key = serialization.load_pem_private_key(material.encode(), None)
            assert isinstance(key, rsa.RSAPrivateKey)
            der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            assert created["KeyFingerprint"] == ":".join(f"{b:02x}" for b in hashlib.sha1(der).digest())
        else:
            key = serialization.load_ssh_private_key(material.encode(), None)
            assert isinstance(key, ed25519.Ed25519PrivateKey)
        found = ec2_demo.describe_key_pairs(KeyNames=[name])["KeyPairs"]
        assert [(k["KeyName"], k["KeyPairId"], k["KeyType"], k["KeyFingerprint"]) for k in found] == [
            (name, created["KeyPairId"], key_type, created["KeyFingerprint"])]
    finally:
        ec2_demo.delete_key_pair(KeyName=name)
    assert name not in {k["KeyName"] for k in ec2_demo.describe_key_pairs()["KeyPairs"]}


def test_import_key_pair_fingerprints_like_aws(ec2_demo):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key()
    openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    name = unique("imported")
    out = ec2_demo.import_key_pair(KeyName=name, PublicKeyMaterial=openssh)
    try:
        assert out["KeyFingerprint"] == ":".join(f"{b:02x}" for b in hashlib.md5(der).digest())
        listed = ec2_demo.describe_key_pairs(KeyPairIds=[out["KeyPairId"]], IncludePublicKey=True)["KeyPairs"][0]
        assert listed["PublicKey"].split()[:2] == openssh.decode().split()[:2]
        ed = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        name2 = unique("imported-ed")
        out2 = ec2_demo.import_key_pair(KeyName=name2, PublicKeyMaterial=ed)
        blob = base64.b64decode(ed.split()[1])
        assert out2["KeyFingerprint"] == base64.b64encode(hashlib.sha256(blob).digest()).decode()
        ec2_demo.delete_key_pair(KeyPairId=out2["KeyPairId"])
    finally:
        ec2_demo.delete_key_pair(KeyName=name)


def test_describe_key_pairs_create_time(ec2_demo, demo_conn):
    """CreateTime for a key ec2api made and for one made in Nova directly (Nova's created_at)."""
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    name, outside = unique("kp-time"), unique("kp-nova")
    ec2_demo.create_key_pair(KeyName=name)
    demo_conn.compute.create_keypair(name=outside)
    try:
        found = {k["KeyName"]: k for k in ec2_demo.describe_key_pairs(KeyNames=[name, outside])["KeyPairs"]}
        after = datetime.now(UTC) + timedelta(seconds=5)
        for key in (name, outside):
            assert before <= found[key]["CreateTime"] <= after, (key, found[key].get("CreateTime"))
        nova_time = demo_conn.compute.get_keypair(outside).created_at
        assert found[outside]["CreateTime"].isoformat()[:19] == nova_time[:19]
        # Asked again, the same times (recorded, not re-read or re-invented).
        again = {k["KeyName"]: k["CreateTime"] for k in ec2_demo.describe_key_pairs(
            KeyNames=[name, outside])["KeyPairs"]}
        assert again == {k: v["CreateTime"] for k, v in found.items()}
    finally:
        ec2_demo.delete_key_pair(KeyName=name)
        demo_conn.compute.delete_keypair(outside, ignore_missing=True)


def test_key_pair_errors(ec2_demo):
    name = unique("dup")
    ec2_demo.create_key_pair(KeyName=name)
    try:
        with pytest.raises(ClientError) as e:
            ec2_demo.create_key_pair(KeyName=name)
        assert code_of(e) == "InvalidKeyPair.Duplicate"
    finally:
        ec2_demo.delete_key_pair(KeyName=name)
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_key_pairs(KeyNames=[unique("nope")])
    assert code_of(e) == "InvalidKeyPair.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.import_key_pair(KeyName=unique("bad"), PublicKeyMaterial=b"not a key")
    assert code_of(e) == "InvalidKey.Format"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_key_pair(KeyName=unique("dry"), DryRun=True)
    assert code_of(e) == "DryRunOperation"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_key_pair(KeyName=unique("kt"), KeyType="dsa")
    assert code_of(e) == "InvalidParameterValue"
    # A malformed key pair id (not key-<hex>), whichever call carries it.
    for call, code in ((lambda: ec2_demo.describe_key_pairs(KeyPairIds=["key-nothex"]), "InvalidParameterValue"),
                       (lambda: ec2_demo.delete_key_pair(KeyPairId="kp-12345678"), "InvalidParameterValue"),
                       (lambda: ec2_demo.create_tags(Resources=["key-xyz"], Tags=[{"Key": "k", "Value": "v"}]),
                        "InvalidID")):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == code and "key-" in str(e.value)
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_key_pairs(KeyPairIds=["key-0123456789abcdef0"])
    assert code_of(e) == "InvalidKeyPair.NotFound"


def test_key_pair_tags_filters_and_isolation(ec2_demo, ec2_alt, aws_cli):
    name = unique("tagged")
    created = ec2_demo.create_key_pair(KeyName=name, TagSpecifications=[
        {"ResourceType": "key-pair", "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "a:b:c", "Value": "x"}]}])
    try:
        assert sorted(t["Key"] for t in created["Tags"]) == ["a:b:c", "team"]
        by_tag = ec2_demo.describe_key_pairs(Filters=[{"Name": "tag:team", "Values": ["bl*"]}])["KeyPairs"]
        assert name in {k["KeyName"] for k in by_tag}
        by_colon_key = ec2_demo.describe_key_pairs(Filters=[{"Name": "tag:a:b:c", "Values": ["x"]}])["KeyPairs"]
        assert name in {k["KeyName"] for k in by_colon_key}
        assert ec2_demo.describe_key_pairs(Filters=[{"Name": "tag:team", "Values": ["red"]}])["KeyPairs"] == [] or \
            name not in {k["KeyName"] for k in ec2_demo.describe_key_pairs(
                Filters=[{"Name": "tag:team", "Values": ["red"]}])["KeyPairs"]}
        by_name = ec2_demo.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name[:4] + "*"]}])
        assert name in {k["KeyName"] for k in by_name["KeyPairs"]}
        # alt sees none of it, by listing, by name, by id or by tag
        assert name not in {k["KeyName"] for k in ec2_alt.describe_key_pairs()["KeyPairs"]}
        with pytest.raises(ClientError) as e:
            ec2_alt.describe_key_pairs(KeyPairIds=[created["KeyPairId"]])
        assert code_of(e) == "InvalidKeyPair.NotFound"
        assert ec2_alt.describe_tags(Filters=[{"Name": "resource-id", "Values": [created["KeyPairId"]]}])["Tags"] == []
        with pytest.raises(ClientError) as e:
            ec2_alt.create_tags(Resources=[created["KeyPairId"]], Tags=[{"Key": "x", "Value": "y"}])
        assert code_of(e) == "InvalidKeyPair.NotFound"
        cli = aws_cli("demo", "describe-key-pairs", "--key-names", name)
        assert cli["KeyPairs"][0]["KeyPairId"] == created["KeyPairId"]
    finally:
        ec2_demo.delete_key_pair(KeyName=name)


def test_tags_lifecycle_filters_and_paginator(ec2_demo, aws_cli):
    names = [unique("tags") for _ in range(3)]
    key_ids = [ec2_demo.create_key_pair(KeyName=n)["KeyPairId"] for n in names]
    marker = unique("m")
    try:
        ec2_demo.create_tags(Resources=key_ids, Tags=[{"Key": marker, "Value": f"v{i}"} for i in range(4)][:1] +
                             [{"Key": f"{marker}-{i}", "Value": "same"} for i in range(4)])
        tags = ec2_demo.describe_tags(Filters=[{"Name": "key", "Values": [f"{marker}*"]}])["Tags"]
        assert len(tags) == 3 * 5
        assert {t["ResourceType"] for t in tags} == {"key-pair"}
        one = ec2_demo.describe_tags(Filters=[{"Name": "resource-id", "Values": [key_ids[0]]},
                                              {"Name": "key", "Values": [marker]}])["Tags"]
        assert one == [{"Key": marker, "ResourceId": key_ids[0], "ResourceType": "key-pair", "Value": "v0"}]
        pages = list(ec2_demo.get_paginator("describe_tags").paginate(
            Filters=[{"Name": "key", "Values": [f"{marker}*"]}], PaginationConfig={"PageSize": 5}))
        assert [len(p["Tags"]) for p in pages] == [5, 5, 5]
        seen = [(t["ResourceId"], t["Key"]) for p in pages for t in p["Tags"]]
        assert len(set(seen)) == 15
        ec2_demo.delete_tags(Resources=[key_ids[0]], Tags=[{"Key": marker, "Value": "wrong"}])
        assert len(ec2_demo.describe_tags(Filters=[{"Name": "resource-id", "Values": [key_ids[0]]}])["Tags"]) == 5
        ec2_demo.delete_tags(Resources=[key_ids[0]], Tags=[{"Key": marker}])
        assert len(ec2_demo.describe_tags(Filters=[{"Name": "resource-id", "Values": [key_ids[0]]}])["Tags"]) == 4
        cli = aws_cli("demo", "describe-tags", "--filters", f"Name=resource-id,Values={key_ids[1]}")
        assert len(cli["Tags"]) == 5
        with pytest.raises(ClientError) as e:
            ec2_demo.describe_tags(MaxResults=5, NextToken="forged-token")
        assert code_of(e) == "InvalidPaginationToken"
        with pytest.raises(ClientError) as e:
            ec2_demo.create_tags(Resources=["i-123"], Tags=[{"Key": "a", "Value": "b"}])
        assert code_of(e) == "InvalidID"
        with pytest.raises(ClientError) as e:
            ec2_demo.create_tags(Resources=["i-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}])
        assert code_of(e) == "InvalidInstanceID.NotFound"
    finally:
        for n in names:
            ec2_demo.delete_key_pair(KeyName=n)


def test_auth_failures(ec2api_url, cloud_info):
    region = cloud_info["region"]
    creds = cloud_info["ec2_credentials"]["demo"]

    def client(access, secret):
        return boto3.client("ec2", endpoint_url=ec2api_url, region_name=region, aws_access_key_id=access,
                            aws_secret_access_key=secret, config=BotoConfig(retries={"max_attempts": 1}))

    for access, secret in ((creds["access"], "wrong-secret"), ("AKIDNOTAKEYATALL", "x")):
        with pytest.raises(ClientError) as e:
            client(access, secret).describe_regions()
        assert code_of(e) == "AuthFailure"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    # An unsigned request, and one whose date is an hour old.
    assert requests.post(ec2api_url, data={"Action": "DescribeRegions"}).status_code == 401
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest("POST", ec2api_url + "/", data="Action=DescribeRegions&Version=2016-11-15",
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    import datetime as dt
    from unittest import mock
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with mock.patch("botocore.auth.datetime.datetime") as fake:
        fake.now.return_value = old
        fake.utcnow.return_value = old.replace(tzinfo=None)
        fake.strptime = dt.datetime.strptime
        SigV4Auth(Credentials(creds["access"], creds["secret"]), "ec2", region).add_auth(req)
    resp = requests.post(ec2api_url, data=req.body, headers=dict(req.headers))
    assert resp.status_code == 400 and b"RequestExpired" in resp.content


def _metrics(url: str) -> dict[str, float]:
    text = requests.get(url + "/metrics", timeout=10).text
    return {name: float(value) for name, value in (line.split(" ") for line in text.splitlines())
            if name.startswith("ec2api_openstack_")}


def test_metrics_show_what_a_request_costs_the_cloud(ec2api_url, ec2_demo):
    before = _metrics(ec2api_url)
    ec2_demo.describe_availability_zones()
    after = _metrics(ec2api_url)
    # Nova's availability zones: at least one call, and some time spent waiting for it.
    assert after["ec2api_openstack_calls_total"] > before["ec2api_openstack_calls_total"]
    assert after["ec2api_openstack_call_seconds_total"] > before["ec2api_openstack_call_seconds_total"]

