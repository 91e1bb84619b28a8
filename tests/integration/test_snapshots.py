"""Snapshots on Cinder through the real service: boto3 (waiters, paginator) and the aws CLI."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud


@pytest.fixture(scope="module")
def zone(ec2_demo) -> str:
    return ec2_demo.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]


@pytest.fixture
def made(ec2_demo):
    """Ids to clean up: snapshots first (Cinder deletes a volume after its snapshots), then volumes."""
    ids: dict[str, list[str]] = {"snap": [], "vol": []}
    yield ids
    for snapshot_id in reversed(ids["snap"]):
        try:
            ec2_demo.delete_snapshot(SnapshotId=snapshot_id)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidSnapshot.NotFound"
    for volume_id in ids["vol"]:
        ec2_demo.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
        for _ in range(30):
            try:
                ec2_demo.delete_volume(VolumeId=volume_id)
                break
            except ClientError as e:   # its snapshots may still be being deleted
                if e.response["Error"]["Code"] != "VolumeInUse":
                    raise
                time.sleep(1)


def _volume(ec2, made, zone, size=1, **kwargs) -> str:
    volume_id = ec2.create_volume(AvailabilityZone=zone, Size=size, **kwargs)["VolumeId"]
    made["vol"].append(volume_id)
    ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
    return volume_id


def test_snapshot_lifecycle(ec2_demo, ec2_alt, made, zone, aws_cli):
    marker = uuid.uuid4().hex[:8]
    volume_id = _volume(ec2_demo, made, zone, size=2)
    snap = ec2_demo.create_snapshot(VolumeId=volume_id, Description=f"d-{marker}", TagSpecifications=[
        {"ResourceType": "snapshot", "Tags": [{"Key": "marker", "Value": marker}]}])
    snapshot_id = snap["SnapshotId"]
    made["snap"].append(snapshot_id)
    assert snapshot_id.startswith("snap-") and snap["State"] == "pending" and snap["VolumeId"] == volume_id
    assert snap["VolumeSize"] == 2 and {"Key": "marker", "Value": marker} in snap["Tags"]
    ec2_demo.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=FAST)
    found = ec2_demo.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert found["State"] == "completed" and found["Progress"] == "100%" and found["Description"] == f"d-{marker}"
    account = found["OwnerId"]
    for name, values in {"description": [f"d-{marker}"], "status": ["completed"], "volume-id": [volume_id],
                         "volume-size": ["2"], "owner-id": [account], "snapshot-id": [snapshot_id],
                         "progress": ["100%"], "encrypted": ["false"], "storage-tier": ["standard"],
                         "tag-key": ["marker"]}.items():
        got = ec2_demo.describe_snapshots(Filters=[{"Name": name, "Values": values},
                                                   {"Name": "tag:marker", "Values": [marker]}])["Snapshots"]
        assert [s["SnapshotId"] for s in got] == [snapshot_id], name
    for owners in (["self"], [account]):
        assert snapshot_id in [s["SnapshotId"] for s in ec2_demo.describe_snapshots(OwnerIds=owners)["Snapshots"]]
    assert ec2_demo.describe_snapshots(OwnerIds=["123456789012"])["Snapshots"] == []
    assert snapshot_id not in [s["SnapshotId"] for s in ec2_demo.describe_snapshots(
        OwnerIds=["amazon"])["Snapshots"]]
    assert snapshot_id in [s["SnapshotId"] for s in ec2_demo.describe_snapshots(
        RestorableByUserIds=["self"])["Snapshots"]]
    pages = ec2_demo.get_paginator("describe_snapshots").paginate(
        OwnerIds=["self"], PaginationConfig={"PageSize": 5})
    assert snapshot_id in [s["SnapshotId"] for p in pages for s in p["Snapshots"]]

    # Attributes: never shared.
    attr = ec2_demo.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
    assert attr["CreateVolumePermissions"] == []
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission",
                                           OperationType="add", UserIds=["123456789012"])
    assert code_of(e) == "InvalidParameterValue"
    ec2_demo.modify_snapshot_attribute(SnapshotId=snapshot_id, CreateVolumePermission={
        "Remove": [{"UserId": "123456789012"}]})
    ec2_demo.reset_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")

    # A volume from it: not smaller than the snapshot; its size by default.
    with pytest.raises(ClientError) as e:
        ec2_demo.create_volume(AvailabilityZone=zone, SnapshotId=snapshot_id, Size=1)
    assert code_of(e) == "InvalidParameterValue"
    restored = ec2_demo.create_volume(AvailabilityZone=zone, SnapshotId=snapshot_id)
    made["vol"].append(restored["VolumeId"])
    assert restored["Size"] == 2 and restored["SnapshotId"] == snapshot_id
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[restored["VolumeId"]], WaiterConfig=FAST)

    # The other project sees, copies, restores and deletes nothing of it.
    assert snapshot_id not in [s["SnapshotId"] for s in ec2_alt.describe_snapshots()["Snapshots"]]
    for call in (lambda: ec2_alt.describe_snapshots(SnapshotIds=[snapshot_id]),
                 lambda: ec2_alt.delete_snapshot(SnapshotId=snapshot_id),
                 lambda: ec2_alt.copy_snapshot(SourceRegion=ec2_alt.meta.region_name, SourceSnapshotId=snapshot_id),
                 lambda: ec2_alt.create_volume(AvailabilityZone=zone, SnapshotId=snapshot_id),
                 lambda: ec2_alt.create_snapshot(VolumeId=volume_id)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) in ("InvalidSnapshot.NotFound", "InvalidVolume.NotFound")

    # A copy (aws CLI), within the region.
    region = ec2_demo.meta.region_name
    copy = aws_cli("demo", "copy-snapshot", "--source-region", region, "--source-snapshot-id", snapshot_id,
                   "--description", f"copy-{marker}")
    copy_id = copy["SnapshotId"]
    made["snap"].append(copy_id)
    aws_cli("demo", "wait", "snapshot-completed", "--snapshot-ids", copy_id)
    copied = ec2_demo.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]
    assert copied["VolumeId"] == "vol-ffffffff" and copied["VolumeSize"] == 2
    assert copied["Description"] == f"copy-{marker}"
    with pytest.raises(ClientError) as e:
        ec2_demo.copy_snapshot(SourceRegion="elsewhere-1", SourceSnapshotId=snapshot_id)
    assert code_of(e) == "InvalidParameterValue"
    ec2_demo.delete_snapshot(SnapshotId=copy_id)
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_snapshots(SnapshotIds=[copy_id])
    assert code_of(e) == "InvalidSnapshot.NotFound"


def test_bad_snapshot_input(ec2_demo):
    for call, code in (
            (lambda: ec2_demo.create_snapshot(VolumeId="vol-0123456789abcdef0"), "InvalidVolume.NotFound"),
            (lambda: ec2_demo.create_snapshot(VolumeId="vol-x"), "InvalidVolumeID.Malformed"),
            (lambda: ec2_demo.delete_snapshot(SnapshotId="snap-0123456789abcdef0"), "InvalidSnapshot.NotFound"),
            (lambda: ec2_demo.delete_snapshot(SnapshotId="snap-x"), "InvalidSnapshotID.Malformed"),
            (lambda: ec2_demo.describe_snapshots(SnapshotIds=["snap-0123456789abcdef0"]), "InvalidSnapshot.NotFound"),
            (lambda: ec2_demo.describe_snapshots(Filters=[{"Name": "nope", "Values": ["x"]}]),
             "InvalidParameterValue"),
            (lambda: ec2_demo.create_snapshots(InstanceSpecification={"InstanceId": "i-0123456789abcdef0"}),
             "InvalidInstanceID.NotFound")):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == code


def test_create_snapshots_of_an_instance(ec2_demo, made, zone, cloud_info):
    image_id = ec2_demo.describe_images(
        Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"][0]["ImageId"]
    run = ec2_demo.run_instances(
        ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}},
                             {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}])
    instance_id = run["Instances"][0]["InstanceId"]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
        marker = uuid.uuid4().hex[:8]
        every = ec2_demo.create_snapshots(InstanceSpecification={"InstanceId": instance_id}, Description=marker,
                                          TagSpecifications=[{"ResourceType": "snapshot",
                                                              "Tags": [{"Key": "m", "Value": marker}]}])["Snapshots"]
        made["snap"].extend(s["SnapshotId"] for s in every)
        assert len(every) == 2 and all(s["Description"] == marker for s in every)
        data_only = ec2_demo.create_snapshots(InstanceSpecification={"InstanceId": instance_id,
                                                                     "ExcludeBootVolume": True})["Snapshots"]
        made["snap"].extend(s["SnapshotId"] for s in data_only)
        assert len(data_only) == 1
        ec2_demo.get_waiter("snapshot_completed").wait(
            SnapshotIds=[s["SnapshotId"] for s in every + data_only], WaiterConfig=FAST)
        for snapshot_id in list(made["snap"]):
            ec2_demo.delete_snapshot(SnapshotId=snapshot_id)
            made["snap"].remove(snapshot_id)
    finally:
        ec2_demo.terminate_instances(InstanceIds=[instance_id])
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)


def test_snapshot_an_ami_uses_is_not_deleted(ec2_demo, made, zone):
    volume_id = _volume(ec2_demo, made, zone)
    snapshot_id = ec2_demo.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    made["snap"].append(snapshot_id)
    ec2_demo.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=FAST)
    image_id = ec2_demo.register_image(
        Name=f"ebs-{uuid.uuid4().hex[:8]}", RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": snapshot_id}}])["ImageId"]
    try:
        with pytest.raises(ClientError) as e:
            ec2_demo.delete_snapshot(SnapshotId=snapshot_id)
        assert code_of(e) == "InvalidSnapshot.InUse" and image_id in str(e.value)
        assert ec2_demo.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["State"] == "completed"
    finally:
        ec2_demo.deregister_image(ImageId=image_id)
    ec2_demo.delete_snapshot(SnapshotId=snapshot_id)
    made["snap"].remove(snapshot_id)
