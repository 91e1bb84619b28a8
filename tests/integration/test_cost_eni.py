"""Cost follows the result for network interfaces: DescribeNetworkInterfaces by id asks Neutron for
those ports (``id=`` repeated), their floating IPs (``port_id=``) and their groups (``id=``), never
for the project's collections; the same number of calls for 1 and for MANY interfaces."""

from __future__ import annotations

import re

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths

pytestmark = pytest.mark.cloud
MANY = 40   # one Neutron GET holds 40 ids (the URL length bound)


def _listings(calls: list[str]) -> list[str]:
    """Calls listing a Neutron collection for the project without naming the objects."""
    return [c for c in calls if re.match(r"GET /(ports|floatingips|security-groups)(\?|$)", c)
            and not re.search(r"[?&](id|port_id|device_id)=", c)]


@pytest.fixture(scope="module")
def many(call):
    vpc = call(Action="CreateVpc", CidrBlock="10.133.0.0/16").findtext(".//e:vpcId", namespaces=NS)
    subnet = call(Action="CreateSubnet", VpcId=vpc, CidrBlock="10.133.0.0/24").findtext(".//e:subnetId", namespaces=NS)
    made = [call(Action="CreateNetworkInterface", SubnetId=subnet).findtext(".//e:networkInterfaceId", namespaces=NS)
            for _ in range(MANY)]
    yield made
    for eni_id in made:
        call(Action="DeleteNetworkInterface", NetworkInterfaceId=eni_id)
    call(Action="DeleteSubnet", SubnetId=subnet)
    call(Action="DeleteVpc", VpcId=vpc)


def test_describe_network_interfaces_cost(call, many):
    call(Action="DescribeNetworkInterfaces", **{"NetworkInterfaceId.1": many[0]})   # warm: endpoints found
    costs = {}
    for n in (1, MANY):
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeNetworkInterfaces",
                         **{f"NetworkInterfaceId.{i}": e for i, e in enumerate(many[:n], 1)})
        assert len(found.findall(".//e:networkInterfaceSet/e:item", NS)) == n
        calls = paths(log)
        assert not _listings(calls), calls
        costs[n] = len(calls)
    assert costs[1] == costs[MANY] <= 3, costs   # the ports, their floating IPs, their groups' names
    subnet = call(Action="DescribeNetworkInterfaces", **{"NetworkInterfaceId.1": many[0]}).findtext(
        ".//e:subnetId", namespaces=NS)
    with openstack.HTTP.recording() as log:   # without ids: each collection listed once, joined in memory
        found = call(Action="DescribeNetworkInterfaces", **{"Filter.1.Name": "subnet-id", "Filter.1.Value.1": subnet})
    assert len(found.findall(".//e:networkInterfaceSet/e:item", NS)) == MANY
    assert len(paths(log)) <= 4, paths(log)   # and the zones, for subnets ec2api did not make
