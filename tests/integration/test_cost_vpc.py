"""Cost of the VPC Describes: by id, no project listing of networks, subnets or routers; without ids,
a constant number of calls however many VPCs there are.

In-process on the real test cloud (the app with the real authenticator, requests signed by
botocore), so that every OpenStack call the request makes is recorded and asserted on.
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths

pytestmark = pytest.mark.cloud


def _listing(calls, kind):
    """The calls that list the project's ``kind`` (a GET of the collection without ``id=``)."""
    return [c for c in calls if re.match(rf"GET /{kind}(\?|$)", c) and "id=" not in c.split("?", 1)[-1]
            and "network_id=" not in c]


def test_vpc_describes_by_id_list_nothing(call):
    made = call(Action="CreateVpc", CidrBlock="10.83.0.0/16")
    vpc_id = made.findtext(".//e:vpcId", namespaces=NS)
    subnet_id = eni_id = None
    try:
        sub = call(Action="CreateSubnet", VpcId=vpc_id, CidrBlock="10.83.1.0/24")
        subnet_id = sub.findtext(".//e:subnetId", namespaces=NS)
        tables = call(Action="DescribeRouteTables", **{"Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpc_id})
        rtb_id = tables.findtext(".//e:routeTableId", namespaces=NS)
        # A route via an interface: its state is read with one GET of that port by id.
        eni = call(Action="CreateNetworkInterface", SubnetId=subnet_id)
        eni_id = eni.findtext(".//e:networkInterfaceId", namespaces=NS)
        call(Action="CreateRoute", RouteTableId=rtb_id, DestinationCidrBlock="172.16.0.0/12", NetworkInterfaceId=eni_id)
        for action, field, wanted in (("DescribeVpcs", "VpcId.1", vpc_id), ("DescribeSubnets", "SubnetId.1", subnet_id),
                                      ("DescribeRouteTables", "RouteTableId.1", rtb_id)):
            call(Action=action, **{field: wanted})   # warm: ids known, endpoints found
            with openstack.HTTP.recording() as log:
                found = call(Action=action, **{field: wanted})
            assert wanted in etree.tostring(found).decode()
            calls = paths(log)
            for kind in ("networks", "subnets", "routers", "ports"):
                assert not _listing(calls, kind), (action, calls)
            assert len(calls) <= 4, (action, calls)
            if action == "DescribeRouteTables":
                assert "blackhole" in etree.tostring(found).decode()
                assert [c for c in calls if c.startswith("GET /ports")] == [
                    c for c in calls if re.match(r"GET /ports\?.*id=", c)] != [], calls
        with openstack.HTTP.recording() as log:
            call(Action="DescribeVpcs")
        assert len(paths(log)) <= 3, paths(log)   # networks, subnets, the default VPC's network
    finally:
        if subnet_id:
            if eni_id:
                call(Action="DeleteNetworkInterface", NetworkInterfaceId=eni_id)
            call(Action="DeleteSubnet", SubnetId=subnet_id)
        call(Action="DeleteVpc", VpcId=vpc_id)
