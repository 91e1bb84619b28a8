"""DescribeInstances filters that Nova answers itself are pushed down into its listing: the answer is
the same as filtering every server, and Nova, Neutron and Cinder are asked about the matches only."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths, wait_running

pytestmark = pytest.mark.cloud

_PROJECT_LISTINGS = ("/ports", "/floatingips", "/security-groups", "/volumes/detail")


def _ids(answer) -> set[str]:
    return {e.text for e in answer.findall(".//e:instancesSet/e:item/e:instanceId", NS)}


def _filters(**by_name: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for n, (name, values) in enumerate(by_name.items(), 1):
        fields[f"Filter.{n}.Name"] = name.replace("_", "-")
        for m, value in enumerate(values, 1):
            fields[f"Filter.{n}.Value.{m}"] = value
    return fields


def _server_listings(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("GET /servers/detail")]


def _unnarrowed(calls: list[str]) -> list[str]:
    narrowed = re.compile(r"[?&](id|device_id|port_id)=")
    return [c for c in calls if c.split("?")[0].endswith(_PROJECT_LISTINGS) and not narrowed.search(c)]


@pytest.fixture(scope="module")
def pair(call):
    """Two instances of this module: ``small`` (t3.nano) running and ``other`` (t3.small) stopped."""
    images = call(Action="DescribeImages", **{"Filter.1.Name": "name", "Filter.1.Value.1": "ec2api-test-image"})
    image = images.findtext(".//e:imageId", namespaces=NS)
    marker = f"pushdown-{uuid.uuid4().hex[:8]}"
    call(Action="CreateKeyPair", KeyName=marker)
    made = {}
    for role, instance_type in (("small", "t3.nano"), ("other", "t3.small")):
        key = {"KeyName": marker} if role == "small" else {}
        run = call(Action="RunInstances", ImageId=image, MinCount="1", MaxCount="1", InstanceType=instance_type,
                   **key, **{"TagSpecification.1.ResourceType": "instance", "TagSpecification.1.Tag.1.Key": "Name",
                             "TagSpecification.1.Tag.1.Value": marker})
        made[role] = {"id": run.findtext(".//e:instanceId", namespaces=NS), "key": marker,
                      "reservation": run.findtext("e:reservationId", namespaces=NS), "image": image}
    try:
        for role in made:
            wait_running(call, made[role]["id"])
        call(Action="StopInstances", **{"InstanceId.1": made["other"]["id"]})
        for _ in range(120):
            state = call(Action="DescribeInstances", **{"InstanceId.1": made["other"]["id"]}).findtext(
                ".//e:instanceState/e:name", namespaces=NS)
            if state == "stopped":
                break
            time.sleep(1)
        small = call(Action="DescribeInstances", **{"InstanceId.1": made["small"]["id"]})
        made["small"]["ip"] = small.findtext(".//e:instancesSet/e:item/e:privateIpAddress", namespaces=NS)
        made["small"]["zone"] = small.findtext(".//e:placement/e:availabilityZone", namespaces=NS)
        yield made
    finally:
        call(Action="TerminateInstances", **{f"InstanceId.{n}": m["id"] for n, m in enumerate(made.values(), 1)})
        call(Action="DeleteKeyPair", KeyName=marker)


@pytest.mark.parametrize(("filters", "query", "expect"), [
    ({"instance-type": ["t3.small"]}, "flavor=", {"other"}),
    ({"instance-state-name": ["stopped"]}, "status=SHUTOFF", {"other"}),
    ({"instance-state-name": ["running"]}, "status=ACTIVE", {"small"}),
    ({"instance-state": ["running", "stopped"]}, "status=ACTIVE", {"small", "other"}),
    ({"reservation-id": ["{small.reservation}"]}, "reservation_id=", {"small"}),
    ({"private-ip-address": ["{small.ip}"]}, "ip=", {"small"}),
    ({"image-id": ["{small.image}"], "instance-type": ["t3.nano"]}, "image=", {"small"}),
    ({"key-name": ["{small.key}"]}, "key_name=", {"small"}),                 # Nova 2.83
    ({"availability-zone": ["{small.zone}"]}, "availability_zone=", {"small", "other"}),
    ({"availability-zone": ["no-such-zone"]}, "availability_zone=", set()),
    ({"private-ip-address": [""]}, "", set()),   # not pushed (Nova refuses ''): a whole listing
])
def test_pushed_down_filters_list_the_matches_only(call, pair, filters, query, expect):
    values = {name: [v.format(small=_Attrs(pair["small"])) for v in vals] for name, vals in filters.items()}
    mine = {m["id"] for m in pair.values()}
    with openstack.HTTP.recording() as log:
        found = _ids(call(Action="DescribeInstances", **_filters(**values))) & mine
    assert found == {pair[role]["id"] for role in expect}
    calls = paths(log)
    listings = _server_listings(calls)
    assert len(listings) == 1 and query in listings[0], calls
    if query:
        assert not _unnarrowed(calls), calls


def test_a_filter_no_live_server_can_match_asks_nova_nothing(call, pair):
    with openstack.HTTP.recording() as log:
        found = call(Action="DescribeInstances", **_filters(**{"image-id": ["ami-0123456789abcdef0"]}))
    assert not _ids(found)
    assert not _server_listings(paths(log)), paths(log)


def test_wildcards_and_task_states_are_applied_after_a_whole_listing(call, pair):
    mine = {m["id"] for m in pair.values()}
    with openstack.HTTP.recording() as log:
        found = _ids(call(Action="DescribeInstances", **_filters(**{"instance-type": ["t3.sm*"]}))) & mine
    assert found == {pair["other"]["id"]}
    assert _server_listings(paths(log)) == ["GET /servers/detail"], paths(log)
    with openstack.HTTP.recording() as log:
        found = _ids(call(Action="DescribeInstances", **_filters(**{"instance-state-name": ["pending", "stopped"]})))
    assert pair["other"]["id"] in found and pair["small"]["id"] not in found
    assert _server_listings(paths(log)) == ["GET /servers/detail"], paths(log)


class _Attrs:
    """``{small.ip}`` in a parameter table reads the fixture's dict."""

    def __init__(self, d: dict) -> None:
        self.__dict__.update(d)
