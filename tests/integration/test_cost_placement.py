"""Cost of DescribePlacementGroups (a GET per id asked for, else one listing) and of the launch
template Describes (ec2api's database only: no OpenStack call at all)."""

from __future__ import annotations

import uuid

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths

pytestmark = pytest.mark.cloud


@pytest.fixture
def pg_ids(call):
    names = [f"pg-cost-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    out = []
    for name in names:
        out.append(call(Action="CreatePlacementGroup", GroupName=name, Strategy="spread")
                   .findtext(".//e:groupId", namespaces=NS))
    yield out
    for name in names:
        call(Action="DeletePlacementGroup", GroupName=name)


def test_describe_placement_groups_cost(call, pg_ids):
    for n in (1, 3):
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribePlacementGroups", **{f"GroupId.{i + 1}": g for i, g in enumerate(pg_ids[:n])})
        calls = paths(log)
        assert len(found.findall(".//e:placementGroupSet/e:item", namespaces=NS)) == n
        assert len(calls) == n and all(c.startswith("GET /os-server-groups/") for c in calls), calls
    with openstack.HTTP.recording() as log:
        call(Action="DescribePlacementGroups")
    assert paths(log) == ["GET /os-server-groups"], paths(log)


def test_launch_template_describes_call_no_openstack(call):
    name = f"lt-cost-{uuid.uuid4().hex[:8]}"
    tid = call(Action="CreateLaunchTemplate", LaunchTemplateName=name,
               **{"LaunchTemplateData.InstanceType": "t3.micro"}).findtext(".//e:launchTemplateId", namespaces=NS)
    try:
        with openstack.HTTP.recording() as log:
            call(Action="DescribeLaunchTemplates", **{"LaunchTemplateId.1": tid})
            call(Action="DescribeLaunchTemplates")
            call(Action="DescribeLaunchTemplateVersions", LaunchTemplateId=tid)
        assert paths(log) == []
    finally:
        call(Action="DeleteLaunchTemplate", LaunchTemplateId=tid)
