"""Cost follows the result for the Describes of the kit's first areas: key pairs, look-ups by tag,
instance status and credit specifications (instances and volumes by id: ``test_cost.py``)."""

from __future__ import annotations

import re
import uuid

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths, wait_running

pytestmark = pytest.mark.cloud


def _listings(calls: list[str], *paths: str) -> list[str]:
    """The calls that list a whole collection of the project: one of ``paths`` not narrowed to ids."""
    narrowed = re.compile(r"[?&](id|device_id|port_id)=")
    return [c for c in calls if any(c.split("?")[0].endswith(p) for p in paths) and not narrowed.search(c)]


@pytest.fixture(scope="module")
def key_names(call):
    names = [f"cost-kit-{uuid.uuid4().hex[:8]}-{n}" for n in range(3)]
    for name in names:
        call(Action="CreateKeyPair", KeyName=name)
    yield names
    for name in names:
        call(Action="DeleteKeyPair", KeyName=name)


def test_describe_key_pairs_by_name_or_id_gets_those_keys_only(call, key_names):
    with openstack.HTTP.recording() as log:
        found = call(Action="DescribeKeyPairs", **{"KeyName.1": key_names[0], "KeyName.2": key_names[1]})
    assert sorted(e.text for e in found.findall(".//e:keySet/e:item/e:keyName", NS)) == sorted(key_names[:2])
    calls = paths(log)
    assert not _listings(calls, "/os-keypairs"), calls
    assert sorted(calls) == sorted(f"GET /os-keypairs/{n}" for n in key_names[:2]), calls
    key_id = found.findtext(".//e:keySet/e:item/e:keyPairId", namespaces=NS)
    with openstack.HTTP.recording() as log:
        by_id = call(Action="DescribeKeyPairs", **{"KeyPairId.1": key_id})
    assert [e.text for e in by_id.findall(".//e:keySet/e:item/e:keyPairId", NS)] == [key_id]
    assert len(paths(log)) == 1 and not _listings(paths(log), "/os-keypairs"), paths(log)
    with openstack.HTTP.recording() as log:
        every = call(Action="DescribeKeyPairs")
    assert set(key_names) <= {e.text for e in every.findall(".//e:keySet/e:item/e:keyName", NS)}
    # One listing; a GET only for keys whose create time this database has not seen (made elsewhere).
    assert _listings(paths(log), "/os-keypairs") == ["GET /os-keypairs"], paths(log)
    assert not [c for c in paths(log) if any(c.endswith(n) for n in key_names)], paths(log)


def test_look_ups_by_tag_fetch_the_tagged_instances_only(call):
    images = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": "ec2api-test-image"})
    image_id = images.findtext(".//e:imageId", namespaces=NS)
    marker = f"cost-kit-{uuid.uuid4().hex[:8]}"
    launched = call(Action="RunInstances", ImageId=image_id, MinCount="2", MaxCount="2", InstanceType="t3.nano",
                    **{"TagSpecification.1.ResourceType": "instance", "TagSpecification.1.Tag.1.Key": "Name",
                       "TagSpecification.1.Tag.1.Value": marker})
    first, second = [e.text for e in launched.findall(".//e:instancesSet/e:item/e:instanceId", NS)]
    try:
        wait_running(call, first)
        call(Action="CreateTags", **{"ResourceId.1": first, "Tag.1.Key": "role", "Tag.1.Value": "web"})
        # What Ansible's ec2_instance asks to find its instances: by tag and state.
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeInstances", **{
                "Filter.1.Name": "tag:Name", "Filter.1.Value.1": marker,
                "Filter.2.Name": "instance-state-name", "Filter.2.Value.1": "pending",
                "Filter.2.Value.2": "running"})
        assert sorted(e.text for e in found.findall(".//e:instancesSet/e:item/e:instanceId", NS)) == \
            sorted([first, second])
        calls = paths(log)
        assert not _listings(calls, "/servers/detail", "/ports", "/floatingips", "/security-groups"), calls
        assert sum(1 for c in calls if re.match(r"GET /servers/[0-9a-f-]{36}$", c)) == 2, calls
        # Both tag filters narrow (AND); the state filter is applied to what came back.
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeInstances", **{
                "Filter.1.Name": "tag:Name", "Filter.1.Value.1": marker,
                "Filter.2.Name": "tag:role", "Filter.2.Value.1": "web",
                "Filter.3.Name": "instance-state-name", "Filter.3.Value.1": "stopped"})
        assert found.findall(".//e:instancesSet/e:item", NS) == []
        assert sum(1 for c in paths(log) if re.match(r"GET /servers/[0-9a-f-]{36}$", c)) == 1, paths(log)
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeInstances", **{"Filter.1.Name": "tag:Name",
                                                        "Filter.1.Value.1": f"{marker}-nothing"})
        assert found.findall(".//e:reservationSet/e:item", NS) == [] and paths(log) == [], paths(log)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstanceStatus", **{"InstanceId.1": first})
        assert not _listings(paths(log), "/servers/detail"), paths(log)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeInstanceCreditSpecifications", **{"InstanceId.1": first})
        assert not _listings(paths(log), "/servers/detail"), paths(log)
    finally:
        call(Action="TerminateInstances", **{"InstanceId.1": first, "InstanceId.2": second})
