"""Cost follows the result: a Describe by ids asks OpenStack about those ids, never the project.

In-process on the real test cloud (the app with the real authenticator, requests signed by
botocore), so that every OpenStack call the request makes is recorded and asserted on.
"""

from __future__ import annotations

import re
import time

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths, wait_running

pytestmark = pytest.mark.cloud


def test_describe_instances_by_id_fetches_that_instance_only(call):
    images = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": "ec2api-test-image"})
    image_id = images.findtext(".//e:imageId", namespaces=NS)
    launched = call(Action="RunInstances", ImageId=image_id, MinCount="2", MaxCount="2", InstanceType="t3.nano")
    first, second = [e.text for e in launched.findall(".//e:instancesSet/e:item/e:instanceId", NS)]
    try:
        wait_running(call, first)
        call(Action="DescribeInstances", **{"InstanceId.1": first})   # warm: ids known, endpoints found
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeInstances", **{"InstanceId.1": first})
        assert [e.text for e in found.findall(".//e:instanceId", NS)] == [first]
        calls = paths(log)
        assert not [c for c in calls if "/servers/detail" in c or c.endswith("/ports") or
                    c.endswith("/floatingips") or "/volumes/detail" in c], calls
        assert sum(1 for c in calls if re.match(r"GET /servers/[0-9a-f-]{36}$", c)) == 1, calls
        assert len(calls) <= 4, calls   # the server; its ports; their floating IPs and groups
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstanceAttribute", InstanceId=first, Attribute="instanceType")
        assert not [c for c in paths(log) if "/servers/detail" in c], paths(log)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstances")
        assert any("/servers/detail" in c for c in paths(log))   # a whole listing when asked for
    finally:
        call(Action="TerminateInstances", **{"InstanceId.1": first, "InstanceId.2": second})


def test_describe_volumes_by_id_fetches_that_volume_only(call):
    images = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": "ec2api-test-image"})
    image_id = images.findtext(".//e:imageId", namespaces=NS)
    launched = call(Action="RunInstances", ImageId=image_id, MinCount="1", MaxCount="1", InstanceType="t3.nano",
                    **{"BlockDeviceMapping.1.DeviceName": "/dev/sdf", "BlockDeviceMapping.1.Ebs.VolumeSize": "1",
                       "BlockDeviceMapping.1.Ebs.DeleteOnTermination": "true"})
    instance_id = launched.findtext(".//e:instancesSet/e:item/e:instanceId", namespaces=NS)
    try:
        wait_running(call, instance_id)
        volume_id = None
        for _ in range(60):
            found = call(Action="DescribeInstances", **{"InstanceId.1": instance_id})
            volume_id = found.findtext(".//e:blockDeviceMapping/e:item/e:ebs/e:volumeId", namespaces=NS)
            if volume_id:
                break
            time.sleep(1)
        assert volume_id, "the volume never showed up"
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeVolumes", **{"VolumeId.1": volume_id})
        assert [e.text for e in found.findall(".//e:volumeSet/e:item/e:volumeId", NS)] == [volume_id]
        assert found.findtext(".//e:deleteOnTermination", namespaces=NS) == "true"
        calls = paths(log)
        assert not [c for c in calls if "/volumes/detail" in c or "/servers/detail" in c], calls
        assert len(calls) == 2, calls   # the volume, and its server (for DeleteOnTermination)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstances", **{"InstanceId.1": instance_id})
        calls = paths(log)
        assert not [c for c in calls if "/volumes/detail" in c or "/servers/detail" in c], calls
    finally:
        call(Action="TerminateInstances", **{"InstanceId.1": instance_id})
