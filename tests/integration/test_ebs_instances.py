"""EBS on instances and images (issue 16): RunInstances BlockDeviceMappings, DescribeInstances'
devices, TerminateInstances' DeleteOnTermination, EBS-backed AMIs, through boto3 and the aws CLI."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud


@pytest.fixture
def made(ec2_demo):
    """What a test makes, cleaned up in order: instances, images, snapshots, then volumes."""
    ids: dict[str, list[str]] = {"i": [], "ami": [], "snap": [], "vol": []}
    yield ids
    if ids["i"]:
        ec2_demo.terminate_instances(InstanceIds=ids["i"])
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=ids["i"], WaiterConfig=FAST)
    for image_id in ids["ami"]:
        try:
            ec2_demo.deregister_image(ImageId=image_id, DeleteAssociatedSnapshots=True)
        except ClientError as e:
            assert code_of_error(e) == "InvalidAMIID.NotFound"
    for snapshot_id in ids["snap"]:
        try:
            ec2_demo.delete_snapshot(SnapshotId=snapshot_id)
        except ClientError as e:
            assert code_of_error(e) == "InvalidSnapshot.NotFound"
    for volume_id in ids["vol"]:
        _delete_volume(ec2_demo, volume_id)


def code_of_error(e: ClientError) -> str:
    return e.response["Error"]["Code"]


def _delete_volume(ec2, volume_id: str) -> None:
    for _ in range(60):
        try:
            volume = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
        except ClientError:
            return
        if volume["State"] == "available":
            try:
                ec2.delete_volume(VolumeId=volume_id)
                return
            except ClientError as e:   # its snapshots may still be going
                if code_of_error(e) not in ("VolumeInUse", "IncorrectState"):
                    raise
        time.sleep(2)
    raise AssertionError(f"{volume_id} could not be deleted")


def _instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _devices(ec2, instance_id: str, count: int) -> dict[str, dict]:
    """``{device: Ebs}`` once the instance shows ``count`` volumes (Nova attaches them during the build)."""
    deadline = time.monotonic() + 90
    while True:
        devices = {d["DeviceName"]: d["Ebs"] for d in _instance(ec2, instance_id)["BlockDeviceMappings"]}
        if len(devices) >= count or time.monotonic() > deadline:
            return devices
        time.sleep(2)


@pytest.fixture(scope="module")
def zone(ec2_demo) -> str:
    return ec2_demo.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]


def test_extra_volume_kept_after_terminate(ec2_demo, image_id, made):
    """A gp3 root from the image and a gp3 volume kept after termination; the root goes."""
    marker = uuid.uuid4().hex[:8]
    run = ec2_demo.run_instances(
        ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 2, "VolumeType": "gp3", "DeleteOnTermination": True}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp2", "DeleteOnTermination": False}},
            {"DeviceName": "/dev/sdg", "Ebs": {"VolumeSize": 1, "VolumeType": "gp3", "Iops": 3000,
                                               "Throughput": 125}}],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "marker", "Value": marker}]}])
    instance_id = run["Instances"][0]["InstanceId"]
    made["i"].append(instance_id)
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    devices = _devices(ec2_demo, instance_id, 3)
    instance = _instance(ec2_demo, instance_id)
    print(json.dumps(instance["BlockDeviceMappings"], default=str))
    assert instance["RootDeviceType"] == "ebs" and instance["RootDeviceName"] == "/dev/sda1"
    assert instance["ImageId"] == image_id
    assert set(devices) == {"/dev/sda1", "/dev/sdf", "/dev/sdg"}, devices
    assert devices["/dev/sda1"]["DeleteOnTermination"] is True
    assert devices["/dev/sdf"]["DeleteOnTermination"] is False
    assert devices["/dev/sdg"]["DeleteOnTermination"] is True   # AWS's default for launch volumes
    assert all(d["AttachTime"] and d["Status"] == "attached" for d in devices.values())
    volumes = {v["VolumeId"]: v for v in ec2_demo.describe_volumes(
        VolumeIds=[d["VolumeId"] for d in devices.values()])["Volumes"]}
    root, kept, other = (volumes[devices[d]["VolumeId"]] for d in ("/dev/sda1", "/dev/sdf", "/dev/sdg"))
    assert (root["Size"], root["VolumeType"]) == (2, "gp3")
    assert (kept["Size"], kept["VolumeType"]) == (1, "gp2")
    assert other["VolumeType"] == "gp3" and other["Iops"] == 3000
    assert all(v["Attachments"][0]["InstanceId"] == instance_id for v in volumes.values())
    tagged = ec2_demo.describe_volumes(Filters=[{"Name": "tag:marker", "Values": [marker]}])["Volumes"]
    assert {v["VolumeId"] for v in tagged} == set(volumes)

    ec2_demo.terminate_instances(InstanceIds=[instance_id])
    ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    made["i"].remove(instance_id)
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[kept["VolumeId"]], WaiterConfig=FAST)
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=[root["VolumeId"], other["VolumeId"]], WaiterConfig=FAST)
    (left,) = ec2_demo.describe_volumes(VolumeIds=[kept["VolumeId"]])["Volumes"]
    assert left["State"] == "available" and not left["Attachments"]
    ec2_demo.delete_volume(VolumeId=kept["VolumeId"])
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=[kept["VolumeId"]], WaiterConfig=FAST)


def _launch(ec2, made, image_id: str, mappings: list[dict], **kwargs) -> str:
    run = ec2.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                            BlockDeviceMappings=mappings, **kwargs)
    instance_id = run["Instances"][0]["InstanceId"]
    made["i"].append(instance_id)
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    return instance_id


def _terminate(ec2, made, instance_id: str) -> None:
    ec2.terminate_instances(InstanceIds=[instance_id])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    made["i"].remove(instance_id)


def test_ebs_ami_round_trip(ec2_demo, ec2_alt, image_id, made, zone):
    """CreateImage of a volume-backed instance -> an AMI of snapshots -> instances booted from volumes of them."""
    source = _launch(ec2_demo, made, image_id, [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 1}}])
    assert _instance(ec2_demo, source)["RootDeviceType"] == "ebs"
    name = f"ebs-ami-{uuid.uuid4().hex[:8]}"
    ami = ec2_demo.create_image(InstanceId=source, Name=name, NoReboot=True)["ImageId"]
    made["ami"].append(ami)
    ec2_demo.get_waiter("image_available").wait(ImageIds=[ami], WaiterConfig=FAST)
    (image,) = ec2_demo.describe_images(ImageIds=[ami])["Images"]
    assert image["RootDeviceType"] == "ebs" and image["RootDeviceName"] == "/dev/sda1", image
    (root,) = [b for b in image["BlockDeviceMappings"] if b["DeviceName"] == "/dev/sda1"]
    snapshot_id = root["Ebs"]["SnapshotId"]
    assert snapshot_id.startswith("snap-") and root["Ebs"]["VolumeSize"] == 1
    ec2_demo.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=FAST)
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_snapshot(SnapshotId=snapshot_id)
    assert code_of(e) == "InvalidSnapshot.InUse"
    _terminate(ec2_demo, made, source)

    # The other project can neither launch the AMI nor name its snapshot; nothing is made for it.
    with pytest.raises(ClientError) as e:
        ec2_alt.run_instances(ImageId=ami, MinCount=1, MaxCount=1)
    assert code_of(e) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_alt.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, BlockDeviceMappings=[
            {"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": snapshot_id}}])
    assert code_of(e) == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_alt.create_volume(AvailabilityZone=zone, SnapshotId=snapshot_id)
    assert code_of(e) == "InvalidSnapshot.NotFound"

    # Launched from the AMI: the root is a new volume of the snapshot, grown as asked; a blank extra.
    booted = _launch(ec2_demo, made, ami, [
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 2}},
        {"DeviceName": "/dev/sdh", "Ebs": {"VolumeSize": 1, "VolumeType": "gp2"}}])
    instance = _instance(ec2_demo, booted)
    assert instance["ImageId"] == ami and instance["RootDeviceType"] == "ebs"
    devices = _devices(ec2_demo, booted, 2)
    assert set(devices) == {"/dev/sda1", "/dev/sdh"}, devices
    volume, extra = (ec2_demo.describe_volumes(VolumeIds=[devices[d]["VolumeId"]])["Volumes"][0]
                     for d in ("/dev/sda1", "/dev/sdh"))
    assert volume["SnapshotId"] == snapshot_id and volume["Size"] == 2
    assert extra["VolumeType"] == "gp2" and not extra["SnapshotId"]
    # The AMI's own DeleteOnTermination (Nova's snapshot of a launch root: true) stays unless overridden.
    assert devices["/dev/sda1"]["DeleteOnTermination"] is root["Ebs"]["DeleteOnTermination"]
    _terminate(ec2_demo, made, booted)
    gone = [v["VolumeId"] for v, d in ((volume, "/dev/sda1"), (extra, "/dev/sdh")) if devices[d]["DeleteOnTermination"]]
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=gone, WaiterConfig=FAST)
    made["vol"].extend(v["VolumeId"] for v in (volume, extra) if v["VolumeId"] not in gone)

    result = ec2_demo.deregister_image(ImageId=ami, DeleteAssociatedSnapshots=True)
    made["ami"].remove(ami)
    assert result["DeleteSnapshotResults"] == [{"SnapshotId": snapshot_id, "ReturnCode": "success"}]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            ec2_demo.describe_snapshots(SnapshotIds=[snapshot_id])
        except ClientError as e:
            assert code_of_error(e) == "InvalidSnapshot.NotFound"
            break
        time.sleep(2)
    else:
        raise AssertionError(f"{snapshot_id} was not deleted with its AMI")
