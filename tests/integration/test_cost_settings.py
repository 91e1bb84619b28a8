"""Cost of the instance settings operations: one Nova GET per instance named (at the same time),
never a listing; DescribeInstanceCreditSpecifications by id: those servers only."""

from __future__ import annotations

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths

pytestmark = pytest.mark.cloud


@pytest.fixture
def three(call, cloud_info):
    images = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": cloud_info["image"]["name"]})
    image_id = images.findtext(".//e:imageId", namespaces=NS)   # the id in this app's own database
    found = call(Action="RunInstances", ImageId=image_id, InstanceType="t3.nano", MinCount=3, MaxCount=3)
    ids = [e.text for e in found.findall(".//e:instancesSet/e:item/e:instanceId", namespaces=NS)]
    yield ids
    call(Action="TerminateInstances", **{f"InstanceId.{i + 1}": x for i, x in enumerate(ids)})


def test_settings_cost_follows_the_ids(call, three):
    for n in (1, 3):
        named = {f"InstanceId.{i + 1}": x for i, x in enumerate(three[:n])}
        for action in ("MonitorInstances", "UnmonitorInstances"):
            with openstack.HTTP.recording() as log:
                call(Action=action, **named)
            calls = paths(log)
            assert len(calls) == n and all(c.startswith("GET /servers/") for c in calls), calls
        with openstack.HTTP.recording() as log:
            call(Action="ModifyInstanceCreditSpecification", **{
                k: v for i, x in enumerate(three[:n]) for k, v in (
                    (f"InstanceCreditSpecification.{i + 1}.InstanceId", x),
                    (f"InstanceCreditSpecification.{i + 1}.CpuCredits", "unlimited"))})
            call(Action="DescribeInstanceCreditSpecifications", **named)
        calls = paths(log)
        assert len(calls) == 2 * n and all(c.startswith("GET /servers/") for c in calls), calls
    for action, extra in (("ModifyInstanceMetadataOptions", {"HttpTokens": "required"}),
                          ("ModifyInstanceMaintenanceOptions", {"AutoRecovery": "disabled"})):
        with openstack.HTTP.recording() as log:
            call(Action=action, InstanceId=three[0], **extra)
        assert len(paths(log)) == 1 and paths(log)[0].startswith("GET /servers/"), paths(log)
