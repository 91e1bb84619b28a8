"""Elastic IPs on floating IPs through boto3 and the aws CLI: allocate, associate, move between two
instances (AllowReassociation), release rules, isolation from the other project."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST

pytestmark = pytest.mark.cloud


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def allocate(ec2_demo):
    made: list[str] = []

    def make(**kwargs) -> dict:
        out = ec2_demo.allocate_address(Domain="vpc", **kwargs)
        made.append(out["AllocationId"])
        return out

    yield make
    for allocation_id in made:
        try:
            found = ec2_demo.describe_addresses(AllocationIds=[allocation_id])["Addresses"][0]
        except ClientError:
            continue
        if found.get("AssociationId"):
            ec2_demo.disassociate_address(AssociationId=found["AssociationId"])
        ec2_demo.release_address(AllocationId=allocation_id)


@pytest.fixture(scope="module")
def two_instances(ec2_demo, cloud_info):
    image_id = ec2_demo.describe_images(
        Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"][0]["ImageId"]
    run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=2, MaxCount=2)
    instance_ids = [i["InstanceId"] for i in run["Instances"]]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=instance_ids, WaiterConfig=FAST)
        yield instance_ids
    finally:
        ec2_demo.terminate_instances(InstanceIds=instance_ids)
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=instance_ids, WaiterConfig=FAST)


def _instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_allocate_describe_release(ec2_demo, allocate, aws_cli):
    marker = uuid.uuid4().hex[:8]
    out = allocate(TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "marker", "Value": marker}]}])
    assert out["AllocationId"].startswith("eipalloc-") and out["Domain"] == "vpc"
    (found,) = ec2_demo.describe_addresses(AllocationIds=[out["AllocationId"]])["Addresses"]
    assert found["PublicIp"] == out["PublicIp"] and found["Tags"] == [{"Key": "marker", "Value": marker}]
    assert "AssociationId" not in found
    assert [a["AllocationId"] for a in ec2_demo.describe_addresses(PublicIps=[out["PublicIp"]])["Addresses"]] == \
        [out["AllocationId"]]
    assert [a["AllocationId"] for a in ec2_demo.describe_addresses(
        Filters=[{"Name": "tag:marker", "Values": [marker]}])["Addresses"]] == [out["AllocationId"]]
    assert [a["AllocationId"] for a in ec2_demo.describe_addresses(
        Filters=[{"Name": "public-ip", "Values": [out["PublicIp"]]}])["Addresses"]] == [out["AllocationId"]]
    cli = aws_cli("demo", "describe-addresses", "--allocation-ids", out["AllocationId"])
    assert cli["Addresses"][0]["PublicIp"] == out["PublicIp"]
    attr = ec2_demo.describe_addresses_attribute(AllocationIds=[out["AllocationId"]], Attribute="domain-name")
    assert attr["Addresses"] == [{"AllocationId": out["AllocationId"], "PublicIp": out["PublicIp"]}]
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_address_attribute(AllocationId=out["AllocationId"], DomainName="example.com")
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.allocate_address(Domain="standard")
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_addresses(AllocationIds=["eipalloc-0123456789abcdef0"])
    assert _code(e) == "InvalidAllocationID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.release_address(AllocationId="eipalloc-zz")
    assert _code(e) == "InvalidAllocationID.Malformed"
    ec2_demo.release_address(AllocationId=out["AllocationId"])
    with pytest.raises(ClientError) as e:
        ec2_demo.release_address(AllocationId=out["AllocationId"])
    assert _code(e) == "InvalidAllocationID.NotFound"


def test_move_between_instances(ec2_demo, allocate, two_instances, demo_conn):
    first, second = two_instances
    address = allocate()
    allocation_id, public_ip = address["AllocationId"], address["PublicIp"]
    assoc = ec2_demo.associate_address(AllocationId=allocation_id, InstanceId=first)["AssociationId"]
    assert assoc.startswith("eipassoc-")
    assert _instance(ec2_demo, first).get("PublicIpAddress") == public_ip
    (found,) = ec2_demo.describe_addresses(AllocationIds=[allocation_id])["Addresses"]
    assert found["InstanceId"] == first and found["AssociationId"] == assoc
    assert found["NetworkInterfaceId"].startswith("eni-") and found["PrivateIpAddress"]
    assert [a["AllocationId"] for a in ec2_demo.describe_addresses(
        Filters=[{"Name": "instance-id", "Values": [first]}])["Addresses"]] == [allocation_id]
    with pytest.raises(ClientError) as e:
        ec2_demo.release_address(AllocationId=allocation_id)
    assert _code(e) == "InvalidIPAddress.InUse"
    with pytest.raises(ClientError) as e:
        ec2_demo.associate_address(AllocationId=allocation_id, InstanceId=second, AllowReassociation=False)
    assert _code(e) == "Resource.AlreadyAssociated"
    assert _instance(ec2_demo, first).get("PublicIpAddress") == public_ip   # unchanged after the refusal
    moved = ec2_demo.associate_address(AllocationId=allocation_id, InstanceId=second,
                                       AllowReassociation=True)["AssociationId"]
    assert _instance(ec2_demo, second).get("PublicIpAddress") == public_ip
    assert "PublicIpAddress" not in _instance(ec2_demo, first)
    with pytest.raises(ClientError) as e:   # the old association is gone
        ec2_demo.disassociate_address(AssociationId=assoc)
    assert _code(e) == "InvalidAssociationID.NotFound"
    ec2_demo.disassociate_address(AssociationId=moved)
    assert "PublicIpAddress" not in _instance(ec2_demo, second)
    fip = next(demo_conn.network.ips(floating_ip_address=public_ip))
    assert fip.port_id is None
    ec2_demo.release_address(AllocationId=allocation_id)


def test_isolation(ec2_demo, ec2_alt, allocate, two_instances):
    address = allocate()
    allocation_id = address["AllocationId"]
    with pytest.raises(ClientError) as e:
        ec2_alt.describe_addresses(AllocationIds=[allocation_id])
    assert _code(e) == "InvalidAllocationID.NotFound"
    assert ec2_alt.describe_addresses(Filters=[{"Name": "public-ip", "Values": [address["PublicIp"]]}])[
        "Addresses"] == []
    with pytest.raises(ClientError) as e:
        ec2_alt.release_address(AllocationId=allocation_id)
    assert _code(e) == "InvalidAllocationID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_alt.associate_address(AllocationId=allocation_id, InstanceId=two_instances[0])
    assert _code(e) == "InvalidAllocationID.NotFound"
    alt = ec2_alt.allocate_address(Domain="vpc")
    try:
        with pytest.raises(ClientError) as e:   # alt's address onto demo's instance
            ec2_alt.associate_address(AllocationId=alt["AllocationId"], InstanceId=two_instances[0])
        assert _code(e) == "InvalidInstanceID.NotFound"
    finally:
        ec2_alt.release_address(AllocationId=alt["AllocationId"])
