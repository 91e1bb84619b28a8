"""Cost follows the result for security groups, their rules and elastic IPs: a Describe by id asks
Neutron for those ids (``id=`` repeated values), never for the project's collection; a Describe of
many is a constant number of calls, whether 1 or 100 objects match."""

from __future__ import annotations

import re
import uuid

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths

pytestmark = pytest.mark.cloud
MANY = 100


def _listings(calls: list[str], path: str) -> list[str]:
    """Calls that list ``path`` for the project without naming the objects (by id, group or address)."""
    return [c for c in calls if re.match(rf"GET {path}(\?|$)", c)
            and not re.search(r"[?&](id|security_group_id|floating_ip_address)=", c)]


@pytest.fixture(scope="module")
def many_groups(demo_conn):
    """MANY Neutron groups made outside ec2api (ec2api gives them ids lazily), deleted at the end."""
    tag = uuid.uuid4().hex[:8]
    made = [demo_conn.network.post("/security-groups", json={"security_group": {
        "name": f"cost-{tag}-{n}", "description": "cost"}}).json()["security_group"]["id"] for n in range(MANY)]
    yield made
    for group_id in made:
        demo_conn.network.delete(f"/security-groups/{group_id}")


def _group_ids(call, names: list[str]) -> list[str]:
    out = []
    for i in range(0, len(names), 40):
        fields = {f"Filter.1.Value.{n}": name for n, name in enumerate(names[i:i + 40], 1)}
        found = call(Action="DescribeSecurityGroups", **{"Filter.1.Name": "group-name", **fields})
        out += [e.text for e in found.findall(".//e:securityGroupInfo/e:item/e:groupId", NS)]
    return out


def test_describe_security_groups_cost(call, many_groups, demo_conn):
    names = [demo_conn.network.get(f"/security-groups/{g}").json()["security_group"]["name"] for g in many_groups]
    group_ids = _group_ids(call, names)
    assert len(group_ids) == MANY
    call(Action="DescribeSecurityGroups", **{"GroupId.1": group_ids[0]})   # warm: endpoints found
    costs = {}
    for n in (1, MANY):
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeSecurityGroups", **{f"GroupId.{i}": g for i, g in enumerate(group_ids[:n], 1)})
        assert len(found.findall(".//e:securityGroupInfo/e:item", NS)) == n
        calls = paths(log)
        assert not _listings(calls, "/security-groups"), calls
        costs[n] = len(calls)
    # One GET per 40 ids (the URL length bound), and one look at the networks for the default VPC.
    assert costs[1] <= 2 and costs[MANY] <= 4, costs
    with openstack.HTTP.recording() as log:
        call(Action="DescribeSecurityGroups", **{"Filter.1.Name": "group-name", "Filter.1.Value.1": names[0]})
    few = len(paths(log))
    with openstack.HTTP.recording() as log:
        call(Action="DescribeSecurityGroups", **{"Filter.1.Name": "group-name", "Filter.1.Value.1": "cost-*"})
    assert len(paths(log)) == few <= 3, paths(log)   # a listing when no ids are given: the same calls


def test_describe_security_group_rules_cost(call):
    name = f"cost-rules-{uuid.uuid4().hex[:8]}"
    group_id = call(Action="CreateSecurityGroup", GroupName=name, GroupDescription="cost").findtext("e:groupId",
                                                                                                    namespaces=NS)
    try:
        ranges = {f"IpPermissions.1.IpRanges.{n}.CidrIp": f"10.{n}.0.0/16" for n in range(1, MANY + 1)}
        made = call(Action="AuthorizeSecurityGroupIngress", GroupId=group_id, **{
            "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "22", "IpPermissions.1.ToPort": "22",
            **ranges})
        rule_ids = [e.text for e in made.findall(".//e:securityGroupRuleSet/e:item/e:securityGroupRuleId", NS)]
        assert len(rule_ids) == MANY
        costs = {}
        for n in (1, MANY):
            with openstack.HTTP.recording() as log:
                found = call(Action="DescribeSecurityGroupRules",
                             **{f"SecurityGroupRuleId.{i}": r for i, r in enumerate(rule_ids[:n], 1)})
            assert len(found.findall(".//e:securityGroupRuleSet/e:item", NS)) == n
            calls = paths(log)
            assert not _listings(calls, "/security-group-rules"), calls
            costs[n] = len(calls)
        assert costs[1] == 1 and costs[MANY] == 3, costs   # 40 ids a GET
        with openstack.HTTP.recording() as log:   # by group: Neutron filters on the group
            found = call(Action="DescribeSecurityGroupRules", **{"Filter.1.Name": "group-id",
                                                                 "Filter.1.Value.1": group_id})
        assert len(found.findall(".//e:securityGroupRuleSet/e:item", NS)) == MANY + 2   # and Neutron's egress
        assert len(paths(log)) == 1 and "security_group_id=" in paths(log)[0], paths(log)
    finally:
        call(Action="DeleteSecurityGroup", GroupId=group_id)


ADDRESSES = 20   # floating IPs come from the shared external network's pool: a few


def test_describe_addresses_cost(call):
    made = [call(Action="AllocateAddress", Domain="vpc").findtext("e:allocationId", namespaces=NS)
            for _ in range(ADDRESSES)]
    try:
        costs = {}
        for n in (1, ADDRESSES):
            with openstack.HTTP.recording() as log:
                found = call(Action="DescribeAddresses", **{f"AllocationId.{i}": a for i, a in enumerate(made[:n], 1)})
            assert len(found.findall(".//e:addressesSet/e:item", NS)) == n
            calls = paths(log)
            assert not _listings(calls, "/floatingips"), calls
            costs[n] = len(calls)
        assert costs[1] == costs[ADDRESSES] == 1, costs   # not associated: no ports asked for
        public_ip = call(Action="DescribeAddresses", **{"AllocationId.1": made[0]}).findtext(
            ".//e:publicIp", namespaces=NS)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeAddresses", **{"PublicIp.1": public_ip})
        assert not _listings(paths(log), "/floatingips"), paths(log)
        with openstack.HTTP.recording() as log:
            call(Action="DescribeAddresses")
        assert len(paths(log)) <= 2, paths(log)   # the project's floating IPs, and its ports once
    finally:
        for allocation_id in made:
            call(Action="ReleaseAddress", AllocationId=allocation_id)
