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
    assert instance["RootDeviceType"] == "ebs" and instance["RootDeviceName"] == "/dev/sda1"
    assert instance["ImageId"] == image_id
    assert set(devices) == {"/dev/sda1", "/dev/sdf", "/dev/sdg"}, devices
    assert devices["/dev/sda1"]["DeleteOnTermination"] is True
    assert devices["/dev/sdf"]["DeleteOnTermination"] is False
    assert devices["/dev/sdg"]["DeleteOnTermination"] is True   # AWS's default for launch volumes
    assert all(d["AttachTime"] and d["Status"] == "attached" for d in devices.values())
    volumes = {v["VolumeId"]: v for v in ec2_demo.describe_volumes(
        VolumeIds=[d["VolumeId"] for d in devices.values()])["Volumes"]}
    made["vol"].extend(volumes)   # whatever happens below, none is left behind
    root, kept, other = (volumes[devices[d]["VolumeId"]] for d in ("/dev/sda1", "/dev/sdf", "/dev/sdg"))
    assert (root["Size"], root["VolumeType"]) == (2, "gp3")
    assert (kept["Size"], kept["VolumeType"]) == (1, "gp2")
    assert other["VolumeType"] == "gp3" and other["Iops"] == 3000
    assert all(v["Attachments"][0]["InstanceId"] == instance_id for v in volumes.values())
    tagged = ec2_demo.describe_volumes(Filters=[{"Name": "tag:marker", "Values": [marker]}])["Volumes"]
    assert {v["VolumeId"] for v in tagged} == set(volumes)

    # ModifyInstanceAttribute: /dev/sdg is kept too now; a device the instance lacks changes nothing.
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_instance_attribute(InstanceId=instance_id, BlockDeviceMappings=[
            {"DeviceName": "/dev/sdg", "Ebs": {"DeleteOnTermination": False}},
            {"DeviceName": "/dev/sdz", "Ebs": {"DeleteOnTermination": False}}])
    assert code_of(e) == "InvalidParameterValue"
    ec2_demo.modify_instance_attribute(InstanceId=instance_id, BlockDeviceMappings=[
        {"DeviceName": "/dev/sdg", "Ebs": {"DeleteOnTermination": False, "VolumeId": other["VolumeId"]}}])
    attribute = ec2_demo.describe_instance_attribute(InstanceId=instance_id, Attribute="blockDeviceMapping")
    flags = {d["DeviceName"]: d["Ebs"]["DeleteOnTermination"] for d in attribute["BlockDeviceMappings"]}
    assert flags == {"/dev/sda1": True, "/dev/sdf": False, "/dev/sdg": False}

    ec2_demo.terminate_instances(InstanceIds=[instance_id])
    ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
    made["i"].remove(instance_id)
    kept_ids = [kept["VolumeId"], other["VolumeId"]]
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=kept_ids, WaiterConfig=FAST)
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=[root["VolumeId"]], WaiterConfig=FAST)
    left = ec2_demo.describe_volumes(VolumeIds=kept_ids)["Volumes"]
    assert all(v["State"] == "available" and not v["Attachments"] for v in left), left
    for volume_id in kept_ids:
        ec2_demo.delete_volume(VolumeId=volume_id)
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=kept_ids, WaiterConfig=FAST)


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
    # Cinder keeps a volume while it has snapshots, so Nova cannot delete this root at termination
    # (AWS would): it is deleted once the AMI's snapshot is gone.
    made["vol"].append(_devices(ec2_demo, source, 1)["/dev/sda1"]["VolumeId"])
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
    made["vol"].extend(d["VolumeId"] for d in devices.values())
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


def test_register_image_from_snapshot_and_boot_it(ec2_demo, made, zone, image_id, demo_conn):
    # A snapshot of a blank volume registers, but Nova boots only from bootable volumes (made of an image).
    blank = ec2_demo.create_volume(AvailabilityZone=zone, Size=1)["VolumeId"]
    made["vol"].append(blank)
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[blank], WaiterConfig=FAST)
    blank_snapshot = ec2_demo.create_snapshot(VolumeId=blank)["SnapshotId"]
    made["snap"].append(blank_snapshot)
    # The root volume of an instance booted from a volume of the image: bootable, 2 GiB, kept.
    source = _launch(ec2_demo, made, image_id, [
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 2, "DeleteOnTermination": False}}])
    volume_id = _devices(ec2_demo, source, 1)["/dev/sda1"]["VolumeId"]
    made["vol"].append(volume_id)
    snapshot_id = ec2_demo.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    made["snap"].append(snapshot_id)
    ec2_demo.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id, blank_snapshot], WaiterConfig=FAST)
    _terminate(ec2_demo, made, source)

    blank_ami = ec2_demo.register_image(Name=f"blank-{uuid.uuid4().hex[:8]}", RootDeviceName="/dev/sda1",
                                        BlockDeviceMappings=[{"DeviceName": "/dev/sda1",
                                                              "Ebs": {"SnapshotId": blank_snapshot}}])["ImageId"]
    made["ami"].append(blank_ami)
    ec2_demo.get_waiter("image_available").wait(ImageIds=[blank_ami], WaiterConfig=FAST)
    marker = f"unbootable-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId=blank_ami, MinCount=1, MaxCount=1, TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": marker}]}])
    assert code_of(e) == "InvalidParameterValue" and "bootable" in e.value.response["Error"]["Message"]
    assert not list(demo_conn.compute.servers(name=marker))

    name = f"reg-{uuid.uuid4().hex[:8]}"
    for size in (0, 1):   # smaller than the snapshot (2 GiB): nothing registered
        with pytest.raises(ClientError) as e:
            made["ami"].append(ec2_demo.register_image(Name=name, RootDeviceName="/dev/xvda", BlockDeviceMappings=[
                {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id, "VolumeSize": size}}])["ImageId"])
        assert code_of(e) == "InvalidParameterValue"
    assert not ec2_demo.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [name]}])["Images"]
    # The snapshot's volume has the cloud's default type (shown as gp3): Cinder cannot make it a gp2
    # volume here, so that is refused now rather than failing the launch later.
    with pytest.raises(ClientError) as e:
        made["ami"].append(ec2_demo.register_image(Name=name, RootDeviceName="/dev/xvda", BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id, "VolumeType": "gp2"}}])["ImageId"])
    assert code_of(e) == "InvalidParameterValue" and "VolumeType" in e.value.response["Error"]["Message"]
    ami = ec2_demo.register_image(Name=name, RootDeviceName="/dev/xvda", Architecture="x86_64", BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id, "VolumeSize": 3,
                                            "DeleteOnTermination": True}}])["ImageId"]
    made["ami"].append(ami)
    ec2_demo.get_waiter("image_available").wait(ImageIds=[ami], WaiterConfig=FAST)
    (image,) = ec2_demo.describe_images(ImageIds=[ami])["Images"]
    assert image["RootDeviceType"] == "ebs" and image["RootDeviceName"] == "/dev/xvda"
    assert image["BlockDeviceMappings"] == [{"DeviceName": "/dev/xvda", "Ebs": {
        "SnapshotId": snapshot_id, "VolumeSize": 3, "VolumeType": "gp3", "DeleteOnTermination": True,
        "Encrypted": False}}]
    assert ami in [i["ImageId"] for i in ec2_demo.describe_images(
        Owners=["self"], Filters=[{"Name": "root-device-type", "Values": ["ebs"]},
                                  {"Name": "block-device-mapping.snapshot-id", "Values": [snapshot_id]}])["Images"]]

    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId=ami, MinCount=1, MaxCount=1, BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeType": "gp2"}}])
    assert code_of(e) == "InvalidParameterValue", e.value.response["Error"]
    assert "BlockDeviceMappings.1.Ebs.VolumeType" in e.value.response["Error"]["Message"]
    booted = _launch(ec2_demo, made, ami, [])
    instance = _instance(ec2_demo, booted)
    assert instance["RootDeviceName"] == "/dev/xvda" and instance["RootDeviceType"] == "ebs"
    devices = _devices(ec2_demo, booted, 1)
    (root,) = ec2_demo.describe_volumes(VolumeIds=[devices["/dev/xvda"]["VolumeId"]])["Volumes"]
    assert (root["SnapshotId"], root["Size"], root["VolumeType"]) == (snapshot_id, 3, "gp3")
    assert devices["/dev/xvda"]["DeleteOnTermination"] is True
    _terminate(ec2_demo, made, booted)
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=[root["VolumeId"]], WaiterConfig=FAST)


@pytest.mark.parametrize(("mapping", "code"), [
    ({"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}, "InvalidSnapshot.NotFound"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": "snap-nope"}}, "InvalidSnapshotID.Malformed"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp9"}}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp2", "Iops": 3000}},
     "InvalidParameterCombination"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp3", "Iops": 16000}},
     "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "Throughput": 125, "VolumeType": "gp2"}},
     "InvalidParameterCombination"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 70000, "VolumeType": "gp3"}}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "Encrypted": True}}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"DeleteOnTermination": True}}, "MissingParameter"),
    ({"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sda1", "NoDevice": ""}, "InvalidParameterValue"),
])
def test_bad_mappings_make_nothing(ec2_demo, demo_conn, image_id, mapping, code):
    name = f"bad-bdm-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, BlockDeviceMappings=[mapping],
                               TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])
    assert code_of(e) == code, e.value.response["Error"]
    assert not list(demo_conn.compute.servers(name=name))   # no server, so Nova made no volume either


def test_size_smaller_than_the_snapshot_makes_nothing(ec2_demo, demo_conn, image_id, made, zone):
    volume_id = ec2_demo.create_volume(AvailabilityZone=zone, Size=2)["VolumeId"]
    made["vol"].append(volume_id)
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
    snapshot_id = ec2_demo.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    made["snap"].append(snapshot_id)
    ec2_demo.get_waiter("snapshot_completed").wait(SnapshotIds=[snapshot_id], WaiterConfig=FAST)
    name = f"small-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, BlockDeviceMappings=[
            {"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": snapshot_id, "VolumeSize": 1}}],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])
    assert code_of(e) == "InvalidParameterValue" and snapshot_id in e.value.response["Error"]["Message"]
    assert not list(demo_conn.compute.servers(name=name))


def test_aws_cli_launch_keep_volume_terminate(aws_cli, image_id):
    """The aws CLI with its waiters: a launch volume kept (DeleteOnTermination false) is deletable after."""
    mappings = json.dumps([{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp3",
                                                               "DeleteOnTermination": False}}])
    run = aws_cli("demo", "run-instances", "--image-id", image_id, "--instance-type", "t3.nano", "--count", "1",
                  "--block-device-mappings", mappings)
    instance_id = run["Instances"][0]["InstanceId"]
    volume_id = None
    try:
        aws_cli("demo", "wait", "instance-running", "--instance-ids", instance_id)
        deadline = time.monotonic() + 90
        while volume_id is None and time.monotonic() < deadline:
            found = aws_cli("demo", "describe-instances", "--instance-ids", instance_id)
            devices = found["Reservations"][0]["Instances"][0]["BlockDeviceMappings"]
            volume_id = next((d["Ebs"]["VolumeId"] for d in devices if d["DeviceName"] == "/dev/sdf"), None)
            time.sleep(0 if volume_id else 2)
        assert volume_id, "the volume never showed up"
        assert [d["Ebs"]["DeleteOnTermination"] for d in devices if d["DeviceName"] == "/dev/sdf"] == [False]
    finally:
        aws_cli("demo", "terminate-instances", "--instance-ids", instance_id)
        aws_cli("demo", "wait", "instance-terminated", "--instance-ids", instance_id)
    if volume_id:
        aws_cli("demo", "wait", "volume-available", "--volume-ids", volume_id)
        aws_cli("demo", "delete-volume", "--volume-id", volume_id)
        aws_cli("demo", "wait", "volume-deleted", "--volume-ids", volume_id)
