"""Cost follows the result: a Describe by ids asks OpenStack about those ids, never the project.

In-process on the real test cloud (the app with the real authenticator, requests signed by
botocore), so that every OpenStack call the request makes is recorded and asserted on.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import urlencode

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from falcon import testing
from lxml import etree

from ec2api_runtime import openstack
from ec2api_runtime.app import create_app
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database

pytestmark = pytest.mark.cloud
NS = {"e": "http://ec2.amazonaws.com/doc/2016-11-15/"}


@pytest.fixture(scope="module")
def call(cloud_info, tmp_path_factory):
    config = Config.from_cloud_json(Path(cloud_info["state_dir"]) / "cloud.json")
    config.database_url = f"sqlite:///{tmp_path_factory.mktemp('cost') / 'state.sqlite'}"
    db = Database(config.database_url)
    db.upgrade()
    client = testing.TestClient(create_app(config, db=db))
    creds = cloud_info["ec2_credentials"]["demo"]

    def run(**fields):
        body = urlencode({"Version": "2016-11-15", **fields})
        req = AWSRequest(method="POST", url="http://localhost/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        botocore.auth.SigV4Auth(Credentials(creds["access"], creds["secret"]), "ec2",
                                cloud_info["region"]).add_auth(req)
        resp = client.simulate_post("/", body=body, headers=dict(req.headers.items()), host="localhost")
        assert resp.status_code == 200, resp.text
        return etree.fromstring(resp.content)

    return run


def _paths(log):
    """The calls as ``METHOD path?query`` without host and version prefix, e.g. ``GET /servers/x``."""
    return [f"{m} {re.sub(r'^https?://[^/]+(/v[0-9.]+)?(/[0-9a-f]{32})?', '', u)}" for m, u in log]


def _wait_running(call, instance_id):
    for _ in range(120):
        state = call(Action="DescribeInstances", **{"InstanceId.1": instance_id}).findtext(
            ".//e:instanceState/e:name", namespaces=NS)
        if state == "running":
            return
        time.sleep(1)
    raise AssertionError(f"{instance_id} did not start")


def test_describe_instances_by_id_fetches_that_instance_only(call):
    images = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": "ec2api-test-image"})
    image_id = images.findtext(".//e:imageId", namespaces=NS)
    launched = call(Action="RunInstances", ImageId=image_id, MinCount="2", MaxCount="2", InstanceType="t3.nano")
    first, second = [e.text for e in launched.findall(".//e:instancesSet/e:item/e:instanceId", NS)]
    try:
        _wait_running(call, first)
        call(Action="DescribeInstances", **{"InstanceId.1": first})   # warm: ids known, endpoints found
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeInstances", **{"InstanceId.1": first})
        assert [e.text for e in found.findall(".//e:instanceId", NS)] == [first]
        calls = _paths(log)
        assert not [c for c in calls if "/servers/detail" in c or c.endswith("/ports") or
                    c.endswith("/floatingips") or "/volumes/detail" in c], calls
        assert sum(1 for c in calls if re.match(r"GET /servers/[0-9a-f-]{36}$", c)) == 1, calls
        assert len(calls) <= 4, calls   # the server; its ports; their floating IPs and groups
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstanceAttribute", InstanceId=first, Attribute="instanceType")
        assert not [c for c in _paths(log) if "/servers/detail" in c], _paths(log)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstances")
        assert any("/servers/detail" in c for c in _paths(log))   # a whole listing when asked for
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
        _wait_running(call, instance_id)
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
        calls = _paths(log)
        assert not [c for c in calls if "/volumes/detail" in c or "/servers/detail" in c], calls
        assert len(calls) == 2, calls   # the volume, and its server (for DeleteOnTermination)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstances", **{"InstanceId.1": instance_id})
        calls = _paths(log)
        assert not [c for c in calls if "/volumes/detail" in c or "/servers/detail" in c], calls
    finally:
        call(Action="TerminateInstances", **{"InstanceId.1": instance_id})
