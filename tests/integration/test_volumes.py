"""DescribeVolumes for an instance's block devices, as Terraform refreshes them."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud


def test_instance_block_devices_are_described(ec2_demo, cloud_info, aws_cli):
    image_id = ec2_demo.describe_images(
        Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"][0]["ImageId"]
    marker = uuid.uuid4().hex[:8]
    run = ec2_demo.run_instances(
        ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
        BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "marker", "Value": marker}]}])
    instance_id = run["Instances"][0]["InstanceId"]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
        deadline = time.monotonic() + 60
        while True:
            instance = ec2_demo.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
            devices = instance["BlockDeviceMappings"]
            if devices or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert devices, "the blank volume never showed up as a block device"
        volume_id = devices[0]["Ebs"]["VolumeId"]
        assert volume_id.startswith("vol-")
        volume = ec2_demo.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
        assert volume["Size"] == 1 and volume["State"] == "in-use"
        attachment = volume["Attachments"][0]
        assert attachment["InstanceId"] == instance_id and attachment["DeleteOnTermination"] is True
        by_instance = ec2_demo.describe_volumes(
            Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["Volumes"]
        assert [v["VolumeId"] for v in by_instance] == [volume_id]
        by_tag = ec2_demo.describe_volumes(Filters=[{"Name": "tag:marker", "Values": [marker]}])["Volumes"]
        assert [v["VolumeId"] for v in by_tag] == [volume_id]
        cli = aws_cli("demo", "describe-volumes", "--volume-ids", volume_id)
        assert cli["Volumes"][0]["Attachments"][0]["InstanceId"] == instance_id
        with pytest.raises(ClientError) as e:
            ec2_demo.describe_volumes(VolumeIds=["vol-0123456789abcdef0"])
        assert e.value.response["Error"]["Code"] == "InvalidVolume.NotFound"
        with pytest.raises(ClientError) as e:
            ec2_demo.describe_volumes(VolumeIds=["vol-nope"])
        assert e.value.response["Error"]["Code"] == "InvalidVolumeID.Malformed"
    finally:
        ec2_demo.terminate_instances(InstanceIds=[instance_id])


# ---- CreateVolume .. DeleteVolume, attach/detach, modifications (issue 16)

@pytest.fixture(scope="module")
def zone(ec2_demo) -> str:
    return ec2_demo.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]


@pytest.fixture
def volumes(ec2_demo):
    """Create volumes through this; each is detached and deleted at the end, whatever happened."""
    made: list[str] = []

    def create(**kwargs) -> dict:
        volume = ec2_demo.create_volume(**kwargs)
        made.append(volume["VolumeId"])
        return volume

    yield create
    for volume_id in made:
        try:
            volume = ec2_demo.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
        except ClientError:
            continue
        for a in volume.get("Attachments", []):
            ec2_demo.detach_volume(VolumeId=volume_id, InstanceId=a["InstanceId"], Force=True)
        if volume.get("Attachments") or volume["State"] == "creating":
            # Cinder refuses to delete a volume still being created (as AWS does): a test that
            # ends right after CreateVolume must wait for the volume to settle first.
            ec2_demo.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
        ec2_demo.delete_volume(VolumeId=volume_id)


@pytest.fixture(scope="module")
def instance(ec2_demo, image_id):
    """A running instance booted from a volume (its root is an EBS volume, /dev/sda1)."""
    run = ec2_demo.run_instances(
        ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": True}}])
    instance_id = run["Instances"][0]["InstanceId"]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=FAST)
        yield ec2_demo.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    finally:
        ec2_demo.terminate_instances(InstanceIds=[instance_id])
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig=FAST)


def test_create_describe_delete_volume(ec2_demo, volumes, zone):
    marker = uuid.uuid4().hex[:8]
    volume = volumes(AvailabilityZone=zone, Size=2, VolumeType="gp2",
                     TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "marker", "Value": marker}]}])
    volume_id = volume["VolumeId"]
    assert volume_id.startswith("vol-") and volume["State"] == "creating"
    assert volume["Size"] == 2 and volume["VolumeType"] == "gp2" and volume["AvailabilityZone"] == zone
    assert {"Key": "marker", "Value": marker} in volume["Tags"]
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
    found = ec2_demo.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    assert found["State"] == "available" and found["VolumeType"] == "gp2" and found["Encrypted"] is False
    assert found["MultiAttachEnabled"] is False and "Iops" not in found
    for name, values in {"volume-type": ["gp2"], "size": ["2"], "status": ["available"], "availability-zone": [zone],
                         "tag:marker": [marker], "encrypted": ["false"], "multi-attach-enabled": ["false"],
                         "volume-id": [volume_id], "availability-zone-id": ["*"], "fast-restored": ["false"]}.items():
        got = ec2_demo.describe_volumes(Filters=[{"Name": name, "Values": values},
                                                 {"Name": "tag:marker", "Values": [marker]}])["Volumes"]
        assert [v["VolumeId"] for v in got] == [volume_id], name
    assert not ec2_demo.describe_volumes(Filters=[{"Name": "volume-type", "Values": ["io1"]},
                                                  {"Name": "tag:marker", "Values": [marker]}])["Volumes"]
    status = ec2_demo.describe_volume_status(VolumeIds=[volume_id])["VolumeStatuses"][0]
    assert status["VolumeStatus"]["Status"] == "ok" and status["AvailabilityZone"] == zone
    assert ec2_demo.describe_volume_attribute(VolumeId=volume_id, Attribute="autoEnableIO")["AutoEnableIO"] == {
        "Value": False}
    ec2_demo.modify_volume_attribute(VolumeId=volume_id, AutoEnableIO={"Value": True})
    assert ec2_demo.describe_volume_attribute(VolumeId=volume_id, Attribute="autoEnableIO")["AutoEnableIO"] == {
        "Value": True}
    assert ec2_demo.describe_volume_attribute(VolumeId=volume_id, Attribute="productCodes")["ProductCodes"] == []
    ec2_demo.enable_volume_io(VolumeId=volume_id)
    ec2_demo.delete_volume(VolumeId=volume_id)
    ec2_demo.get_waiter("volume_deleted").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_volumes(VolumeIds=[volume_id])
    assert code_of(e) == "InvalidVolume.NotFound"


def test_volume_types_and_multi_attach(ec2_demo, volumes, zone):
    gp3 = volumes(AvailabilityZone=zone, Size=1, VolumeType="gp3", Iops=3000, Throughput=125)
    assert gp3["VolumeType"] == "gp3" and gp3["Iops"] == 3000 and gp3["Throughput"] == 125
    io1 = volumes(AvailabilityZone=zone, Size=4, VolumeType="io1", MultiAttachEnabled=True)
    assert io1["VolumeType"] == "io1" and io1["MultiAttachEnabled"] is True
    default = volumes(AvailabilityZone=zone, Size=1)
    assert default["VolumeType"] == "gp2"   # AWS's default


def test_aws_cli_volume_with_waiters(aws_cli, zone):
    volume = aws_cli("demo", "create-volume", "--availability-zone", zone, "--size", "1", "--volume-type", "standard")
    volume_id = volume["VolumeId"]
    try:
        aws_cli("demo", "wait", "volume-available", "--volume-ids", volume_id)
        got = aws_cli("demo", "describe-volumes", "--volume-ids", volume_id)["Volumes"][0]
        assert got["VolumeType"] == "standard" and got["State"] == "available"
        statuses = aws_cli("demo", "describe-volume-status", "--volume-ids", volume_id)["VolumeStatuses"]
        assert statuses[0]["VolumeStatus"]["Status"] == "ok"
    finally:
        aws_cli("demo", "delete-volume", "--volume-id", volume_id)
    aws_cli("demo", "wait", "volume-deleted", "--volume-ids", volume_id)


def _volumes_of_size(conn, size: int) -> set[str]:
    return {v.id for v in conn.block_storage.volumes() if v.size == size}


def test_bad_create_volume_input_creates_nothing(ec2_demo, demo_conn, zone):
    odd = 13   # a size no other test uses: any volume of it made during these calls is a leak
    before = _volumes_of_size(demo_conn, odd)
    cases = [
        ({"Size": odd}, "MissingParameter"),
        ({"AvailabilityZone": "no-such-zone", "Size": odd}, "InvalidZone.NotFound"),
        ({"AvailabilityZone": zone}, "MissingParameter"),
        ({"AvailabilityZone": zone, "Size": odd, "VolumeType": "gp2", "Iops": 100}, "InvalidParameterCombination"),
        ({"AvailabilityZone": zone, "Size": odd, "VolumeType": "io1", "Iops": 5000}, "InvalidParameterValue"),
        ({"AvailabilityZone": zone, "Size": odd, "VolumeType": "gp3", "Iops": 16000}, "InvalidParameterValue"),
        ({"AvailabilityZone": zone, "Size": odd, "VolumeType": "st1"}, "InvalidParameterValue"),   # < 125 GiB
        ({"AvailabilityZone": zone, "Size": odd, "Encrypted": True}, "InvalidParameterValue"),
        ({"AvailabilityZone": zone, "Size": odd, "KmsKeyId": "alias/aws/ebs"}, "InvalidParameterValue"),
        ({"AvailabilityZone": zone, "Size": odd, "VolumeType": "gp3", "MultiAttachEnabled": True},
         "InvalidParameterCombination"),
        ({"AvailabilityZone": zone, "Size": odd, "SnapshotId": "snap-nope"}, "InvalidSnapshotID.Malformed"),
        ({"AvailabilityZone": zone, "Size": odd, "SnapshotId": "snap-0123456789abcdef0"}, "InvalidSnapshot.NotFound"),
        ({"AvailabilityZone": zone, "Size": odd, "TagSpecifications": [
            {"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}]}, "InvalidParameterValue"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as e:
            ec2_demo.create_volume(**kwargs)
        assert code_of(e) == code, kwargs
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_volume(VolumeId="vol-0123456789abcdef0")
    assert code_of(e) == "InvalidVolume.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_volume(VolumeId="vol-x")
    assert code_of(e) == "InvalidVolumeID.Malformed"
    assert _volumes_of_size(demo_conn, odd) == before


def test_attach_detach_modify(ec2_demo, ec2_alt, volumes, instance, zone, aws_cli):
    instance_id = instance["InstanceId"]
    volume_id = volumes(AvailabilityZone=zone, Size=1, VolumeType="gp2")["VolumeId"]
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)

    # The other project can neither see nor use it.
    for call in (lambda: ec2_alt.describe_volumes(VolumeIds=[volume_id]),
                 lambda: ec2_alt.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdh"),
                 lambda: ec2_alt.delete_volume(VolumeId=volume_id),
                 lambda: ec2_alt.modify_volume(VolumeId=volume_id, Size=2)):
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) in ("InvalidVolume.NotFound", "InvalidInstanceID.NotFound")
    assert volume_id not in [v["VolumeId"] for v in ec2_alt.describe_volumes()["Volumes"]]

    with pytest.raises(ClientError) as e:
        ec2_demo.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="sdh")
    assert code_of(e) == "InvalidParameterValue"
    attachment = ec2_demo.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdh")
    assert attachment["State"] == "attaching" and attachment["Device"] == "/dev/sdh"
    ec2_demo.get_waiter("volume_in_use").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
    # Terraform's aws_volume_attachment waits for the attachment by device and instance.
    found = ec2_demo.describe_volumes(VolumeIds=[volume_id], Filters=[
        {"Name": "attachment.device", "Values": ["/dev/sdh"]},
        {"Name": "attachment.instance-id", "Values": [instance_id]}])["Volumes"]
    assert found and found[0]["Attachments"][0]["State"] == "attached"
    assert found[0]["Attachments"][0]["Device"] == "/dev/sdh"
    with pytest.raises(ClientError) as e:
        ec2_demo.attach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdi")
    assert code_of(e) == "VolumeInUse"
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_volume(VolumeId=volume_id)
    assert code_of(e) == "VolumeInUse"

    # The root volume stays.
    root = [d for d in ec2_demo.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"] if d["Ebs"]["VolumeId"] != volume_id]
    assert root, "the instance lists no root volume"
    with pytest.raises(ClientError) as e:
        ec2_demo.detach_volume(VolumeId=root[0]["Ebs"]["VolumeId"])
    assert code_of(e) == "OperationNotPermitted"

    # ModifyVolume: grow and retype while attached (Terraform's aws_ebs_volume update).
    modification = ec2_demo.modify_volume(VolumeId=volume_id, Size=2, VolumeType="gp3")["VolumeModification"]
    assert modification["ModificationState"] == "modifying" and modification["TargetSize"] == 2
    assert modification["OriginalVolumeType"] == "gp2" and modification["TargetVolumeType"] == "gp3"
    deadline = time.monotonic() + 120
    while True:
        state = ec2_demo.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"][0]
        if state["ModificationState"] in ("completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert state["ModificationState"] == "completed", state
    grown = ec2_demo.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    assert grown["Size"] == 2 and grown["VolumeType"] == "gp3"
    listed = aws_cli("demo", "describe-volumes-modifications", "--filters",
                     f"Name=volume-id,Values={volume_id}")["VolumesModifications"]
    assert [m["VolumeId"] for m in listed] == [volume_id]
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_volume(VolumeId=volume_id, Size=1)
    assert code_of(e) == "InvalidParameterValue"

    with pytest.raises(ClientError) as e:
        ec2_alt.detach_volume(VolumeId=volume_id)
    assert code_of(e) == "InvalidVolume.NotFound"
    detached = ec2_demo.detach_volume(VolumeId=volume_id, InstanceId=instance_id, Device="/dev/sdh")
    assert detached["State"] == "detaching" and detached["Device"] == "/dev/sdh"
    ec2_demo.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=FAST)
    with pytest.raises(ClientError) as e:
        ec2_demo.detach_volume(VolumeId=volume_id)
    assert code_of(e) == "IncorrectState"


def test_attach_in_another_zone_is_refused(ec2_demo, instance, volumes, zone):
    """The test cloud has one zone: a volume there attaches; an unknown zone is refused at create."""
    with pytest.raises(ClientError) as e:
        ec2_demo.create_volume(AvailabilityZone=zone + "-other", Size=1)
    assert code_of(e) == "InvalidZone.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.attach_volume(VolumeId="vol-0123456789abcdef0", InstanceId=instance["InstanceId"], Device="/dev/sdj")
    assert code_of(e) == "InvalidVolume.NotFound"
