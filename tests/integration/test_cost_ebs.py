"""Cost of EBS on instances: RunInstances with block device mappings reads what it names (the types
once per mapping that names one, each snapshot by id), and DescribeInstances by id of an instance
with volumes fetches that instance and its volumes, never a project listing."""

from __future__ import annotations

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths, wait_running

pytestmark = pytest.mark.cloud
LISTINGS = ("/servers/detail", "/volumes/detail", "/snapshots/detail", "/snapshots?", "/ports?device_owner")


def test_launch_and_describe_with_volumes_list_nothing(call, cloud_info):
    image_id = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": cloud_info["image"]["name"]}
                    ).findtext(".//e:imagesSet/e:item/e:imageId", namespaces=NS)   # the id in call's own database
    fields = {"Action": "RunInstances", "ImageId": image_id, "InstanceType": "t3.nano", "MinCount": "1",
              "MaxCount": "1",
              "BlockDeviceMapping.1.DeviceName": "/dev/sda1", "BlockDeviceMapping.1.Ebs.VolumeSize": "1",
              "BlockDeviceMapping.2.DeviceName": "/dev/sdf", "BlockDeviceMapping.2.Ebs.VolumeSize": "1",
              "BlockDeviceMapping.2.Ebs.VolumeType": "gp2"}
    with openstack.HTTP.recording() as log:
        instance_id = call(**fields).findtext(".//e:instancesSet/e:item/e:instanceId", namespaces=NS)
    try:
        calls = paths(log)
        assert sum("/types" in c for c in calls) == 1, calls   # one mapping names a type
        assert not [c for c in calls if any(x in c for x in ("/volumes/detail", "/snapshots"))], calls
        wait_running(call, instance_id)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstances", **{"InstanceId.1": instance_id})
        calls = paths(log)
        assert not [c for c in calls if any(x in c for x in LISTINGS)], calls
        assert sum(c.startswith("GET /volumes/") for c in calls) <= 2, calls   # the instance's volumes, by id
    finally:
        call(Action="TerminateInstances", **{"InstanceId.1": instance_id})
