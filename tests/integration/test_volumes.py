"""DescribeVolumes for an instance's block devices, as Terraform refreshes them."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.cloud
FAST = {"Delay": 2, "MaxAttempts": 90}


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
