"""NAT gateways on the VPC router's SNAT: boto3 and the aws CLI with both waiters, routes via a NAT
gateway, isolation, bad input (nothing changed in Neutron after it) and the cost of a Describe."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import WaiterError

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths
from tests.integration._vpc_kit import FAST, error_code, main_table_id, marker, vpc

pytestmark = pytest.mark.cloud


def _router(conn, vpc_id):
    return next(r for r in conn.network.routers() if r.name == vpc_id)


def _delete_nats(ec2, vpc_id: str) -> None:
    found = ec2.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    for nat in found:
        if nat["State"] != "deleted":
            ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])


@contextmanager
def public_vpc(ec2, cidr: str, *, gateway: bool = True) -> Iterator[dict]:
    """A VPC with a subnet (its first /24), an internet gateway attached (unless ``gateway`` is
    False) and an elastic IP; NAT gateways, the address and the VPC removed afterwards."""
    with vpc(ec2, cidr) as made:
        vpc_id = made["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr.replace(".0.0/16", ".1.0/24"))["Subnet"]
        igw = None
        if gateway:
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        eip = ec2.allocate_address(Domain="vpc")
        try:
            yield {"VpcId": vpc_id, "SubnetId": subnet["SubnetId"], "Subnet": subnet, "IgwId": igw, "Eip": eip}
        finally:
            _delete_nats(ec2, vpc_id)
            ec2.release_address(AllocationId=eip["AllocationId"])


def _gateway_ip(conn, vpc_id: str) -> str:
    return _router(conn, vpc_id).external_gateway_info["external_fixed_ips"][0]["ip_address"]


def test_nat_gateway_lifecycle(ec2_demo, demo_conn):
    name = marker()
    with public_vpc(ec2_demo, "10.91.0.0/16") as net:
        vpc_id, subnet_id, alloc = net["VpcId"], net["SubnetId"], net["Eip"]["AllocationId"]
        router_before = _router(demo_conn, vpc_id).external_gateway_info
        made = ec2_demo.create_nat_gateway(SubnetId=subnet_id, AllocationId=alloc, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": name}]}])["NatGateway"]
        nat_id = made["NatGatewayId"]
        assert nat_id.startswith("nat-") and made["VpcId"] == vpc_id and made["SubnetId"] == subnet_id
        assert made["ConnectivityType"] == "public" and made["Tags"] == [{"Key": "Name", "Value": name}]
        (address,) = made["NatGatewayAddresses"]
        # The addresses traffic uses: the router's gateway outside, its interface in the subnet inside.
        assert address["AllocationId"] == alloc and address["IsPrimary"]
        assert address["PublicIp"] == _gateway_ip(demo_conn, vpc_id)
        assert address["PrivateIp"] == "10.91.1.1"
        ec2_demo.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
        for filters in ([{"Name": "subnet-id", "Values": [subnet_id]}], [{"Name": "vpc-id", "Values": [vpc_id]}],
                        [{"Name": "tag:Name", "Values": [name]}], [{"Name": "nat-gateway-id", "Values": [nat_id]}],
                        [{"Name": "state", "Values": ["available"]}, {"Name": "vpc-id", "Values": [vpc_id]}]):
            found = ec2_demo.describe_nat_gateways(Filter=filters)["NatGateways"]
            assert [n["NatGatewayId"] for n in found] == [nat_id], filters
        pages = ec2_demo.get_paginator("describe_nat_gateways").paginate(
            Filter=[{"Name": "vpc-id", "Values": [vpc_id]}], PaginationConfig={"PageSize": 5})
        assert [n["NatGatewayId"] for p in pages for n in p["NatGateways"]] == [nat_id]
        # One router, one SNAT: a second NAT gateway in the VPC is refused.
        second = ec2_demo.allocate_address(Domain="vpc")["AllocationId"]
        try:
            assert error_code(ec2_demo.create_nat_gateway, SubnetId=subnet_id, AllocationId=second) \
                == "NatGatewayLimitExceeded"
        finally:
            ec2_demo.release_address(AllocationId=second)
        assert error_code(ec2_demo.detach_internet_gateway, InternetGatewayId=net["IgwId"], VpcId=vpc_id) \
            == "DependencyViolation"
        assert error_code(ec2_demo.delete_subnet, SubnetId=subnet_id) == "DependencyViolation"
        # The elastic IP is the NAT gateway's while it lives.
        assert error_code(ec2_demo.release_address, AllocationId=alloc) == "InvalidIPAddress.InUse"
        assert error_code(ec2_demo.associate_address, AllocationId=alloc,
                          NetworkInterfaceId="eni-0123456789abcdef0") == "InvalidIPAddress.InUse"
        _routes_via_nat(ec2_demo, vpc_id, net["IgwId"], nat_id)
        ec2_demo.delete_nat_gateway(NatGatewayId=nat_id)
        ec2_demo.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST)
        gone = ec2_demo.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
        assert gone["State"] == "deleted" and gone["DeleteTime"] >= gone["CreateTime"]
        tables = ec2_demo.describe_route_tables(Filters=[{"Name": "route.nat-gateway-id", "Values": [nat_id]}])
        (route,) = [r for t in tables["RouteTables"] for r in t["Routes"] if r.get("NatGatewayId") == nat_id]
        assert route["State"] == "blackhole"
        # The router's gateway was never changed.
        assert _router(demo_conn, vpc_id).external_gateway_info == router_before
        assert error_code(ec2_demo.describe_nat_gateways, NatGatewayIds=["nat-0123456789abcdef0"]) \
            == "NatGatewayNotFound"
        assert error_code(ec2_demo.describe_nat_gateways, NatGatewayIds=["nat-x"]) == "InvalidNatGatewayID.Malformed"


def _routes_via_nat(ec2, vpc_id: str, igw_id: str, nat_id: str) -> None:
    """The public/private layout: main table 0.0.0.0/0 -> the gateway, a second subnet's table
    0.0.0.0/0 -> the NAT gateway (both leave by the router's gateway)."""
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    private = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.91.2.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    assert error_code(ec2.create_route, RouteTableId=table, DestinationCidrBlock="10.0.0.0/8",
                      NatGatewayId=nat_id) == "Unsupported"
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    ec2.associate_route_table(RouteTableId=table, SubnetId=private)
    found = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]
    (route,) = [r for r in found["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"]
    assert route == {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": nat_id, "Origin": "CreateRoute",
                     "State": "active"}
    by_filter = ec2.describe_route_tables(Filters=[{"Name": "route.nat-gateway-id", "Values": [nat_id]}])
    assert [t["RouteTableId"] for t in by_filter["RouteTables"]] == [table]
    ec2.replace_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)


def test_nat_gateway_with_the_cli(aws_cli, ec2_demo):
    with public_vpc(ec2_demo, "10.92.0.0/16") as net:
        made = aws_cli("demo", "create-nat-gateway", "--subnet-id", net["SubnetId"],
                       "--allocation-id", net["Eip"]["AllocationId"])["NatGateway"]
        nat_id = made["NatGatewayId"]
        aws_cli("demo", "wait", "nat-gateway-available", "--nat-gateway-ids", nat_id)
        found = aws_cli("demo", "describe-nat-gateways", "--filter", f"Name=subnet-id,Values={net['SubnetId']}")
        assert [n["NatGatewayId"] for n in found["NatGateways"]] == [nat_id]
        assert found["NatGateways"][0]["State"] == "available"
        aws_cli("demo", "delete-nat-gateway", "--nat-gateway-id", nat_id)
        aws_cli("demo", "wait", "nat-gateway-deleted", "--nat-gateway-ids", nat_id)
        assert aws_cli("demo", "describe-nat-gateways", "--nat-gateway-ids", nat_id)["NatGateways"][0]["State"] \
            == "deleted"


def _neutron_state(conn, vpc_id: str, cloud_info) -> tuple:
    router = _router(conn, vpc_id)
    project = cloud_info["ec2_credentials"]["demo"]["project_id"]
    ports = sorted(p.id for p in conn.network.ports(device_id=router.id))
    fips = sorted((f.id, f.port_id) for f in conn.network.ips(project_id=project))
    return router.external_gateway_info, ports, fips


def test_bad_input_changes_nothing(ec2_demo, demo_conn, cloud_info):
    with public_vpc(ec2_demo, "10.93.0.0/16") as net:
        vpc_id, subnet_id, alloc = net["VpcId"], net["SubnetId"], net["Eip"]["AllocationId"]
        before = _neutron_state(demo_conn, vpc_id, cloud_info)
        cases = [
            ({"SubnetId": "subnet-0123456789abcdef0", "AllocationId": alloc}, "InvalidSubnetID.NotFound"),
            ({"SubnetId": "subnet-x", "AllocationId": alloc}, "InvalidSubnetID.Malformed"),
            ({"SubnetId": subnet_id, "AllocationId": "eipalloc-0123456789abcdef0"}, "InvalidAllocationID.NotFound"),
            ({"SubnetId": subnet_id}, "MissingParameter"),
            ({"SubnetId": subnet_id, "AllocationId": alloc, "ConnectivityType": "private"}, "InvalidParameterValue"),
            ({"SubnetId": subnet_id, "AllocationId": alloc, "SecondaryAllocationIds": [alloc]},
             "InvalidParameterValue"),
        ]
        for params, code in cases:
            assert error_code(ec2_demo.create_nat_gateway, **params) == code, params
        # An elastic IP already associated (with a port on the subnet) is refused.
        network = demo_conn.network.get_subnet(_os_subnet(demo_conn, net["Subnet"]))
        port = demo_conn.network.create_port(network_id=network.network_id,
                                             fixed_ips=[{"subnet_id": network.id}])
        fip = next(f for f in demo_conn.network.ips(floating_ip_address=net["Eip"]["PublicIp"]))
        try:
            demo_conn.network.update_ip(fip, port_id=port.id)
            assert error_code(ec2_demo.create_nat_gateway, SubnetId=subnet_id, AllocationId=alloc) \
                == "Resource.AlreadyAssociated"
        finally:
            demo_conn.network.update_ip(fip, port_id=None)
            demo_conn.network.delete_port(port)
        assert _neutron_state(demo_conn, vpc_id, cloud_info) == before
        assert ec2_demo.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"] == []


def _os_subnet(conn, subnet: dict) -> str:
    """The Neutron id of an EC2 subnet (its name is '<vpc id> <cidr>')."""
    return next(s.id for s in conn.network.subnets(name=f"{subnet['VpcId']} {subnet['CidrBlock']}"))


def test_without_internet_gateway_it_fails_as_on_aws(ec2_demo, demo_conn):
    with public_vpc(ec2_demo, "10.94.0.0/16", gateway=False) as net:
        made = ec2_demo.create_nat_gateway(SubnetId=net["SubnetId"], AllocationId=net["Eip"]["AllocationId"])
        nat = made["NatGateway"]
        assert nat["State"] == "failed" and nat["FailureCode"] == "Gateway.NotAttached"
        assert nat["FailureMessage"] == f"Network {net['VpcId']} has no Internet gateway attached"
        with pytest.raises(WaiterError):
            ec2_demo.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat["NatGatewayId"]],
                                                              WaiterConfig=FAST)
        assert not _router(demo_conn, net["VpcId"]).external_gateway_info


def test_other_project_cannot_see_or_use(ec2_demo, ec2_alt):
    with public_vpc(ec2_demo, "10.95.0.0/16") as net:
        nat_id = ec2_demo.create_nat_gateway(SubnetId=net["SubnetId"], AllocationId=net["Eip"]["AllocationId"])[
            "NatGateway"]["NatGatewayId"]
        assert error_code(ec2_alt.describe_nat_gateways, NatGatewayIds=[nat_id]) == "NatGatewayNotFound"
        assert ec2_alt.describe_nat_gateways(Filter=[{"Name": "nat-gateway-id", "Values": [nat_id]}])[
            "NatGateways"] == []
        assert error_code(ec2_alt.delete_nat_gateway, NatGatewayId=nat_id) == "NatGatewayNotFound"
        alt_eip = ec2_alt.allocate_address(Domain="vpc")["AllocationId"]
        try:
            assert error_code(ec2_alt.create_nat_gateway, SubnetId=net["SubnetId"], AllocationId=alt_eip) \
                == "InvalidSubnetID.NotFound"
        finally:
            ec2_alt.release_address(AllocationId=alt_eip)
        main = main_table_id(ec2_alt)
        assert error_code(ec2_alt.create_route, RouteTableId=main, DestinationCidrBlock="0.0.0.0/0",
                          NatGatewayId=nat_id) == "InvalidNatGatewayID.NotFound"
        assert ec2_demo.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"] == "available"


def test_describe_by_id_lists_nothing(call):
    vpc_id = call(Action="CreateVpc", CidrBlock="10.96.0.0/16").findtext(".//e:vpcId", namespaces=NS)
    subnet_id = igw = alloc = nat_id = None
    try:
        subnet_id = call(Action="CreateSubnet", VpcId=vpc_id, CidrBlock="10.96.1.0/24").findtext(
            ".//e:subnetId", namespaces=NS)
        igw = call(Action="CreateInternetGateway").findtext(".//e:internetGatewayId", namespaces=NS)
        call(Action="AttachInternetGateway", InternetGatewayId=igw, VpcId=vpc_id)
        alloc = call(Action="AllocateAddress", Domain="vpc").findtext(".//e:allocationId", namespaces=NS)
        nat_id = call(Action="CreateNatGateway", SubnetId=subnet_id, AllocationId=alloc).findtext(
            ".//e:natGatewayId", namespaces=NS)
        call(Action="DescribeNatGateways", **{"NatGatewayId.1": nat_id})
        with openstack.HTTP.recording() as log:
            found = call(Action="DescribeNatGateways", **{"NatGatewayId.1": nat_id})
        assert found.findtext(".//e:natGatewayId", namespaces=NS) == nat_id
        calls = paths(log)
        assert len(calls) == 1 and calls[0].startswith("GET /routers?id="), calls   # its router's gateway
        with openstack.HTTP.recording() as log:
            call(Action="DescribeNatGateways")
        assert len(paths(log)) <= 1, paths(log)
    finally:
        if nat_id:
            call(Action="DeleteNatGateway", NatGatewayId=nat_id)
        if igw:
            call(Action="DetachInternetGateway", InternetGatewayId=igw, VpcId=vpc_id)
            call(Action="DeleteInternetGateway", InternetGatewayId=igw)
        if alloc:
            call(Action="ReleaseAddress", AllocationId=alloc)
        if subnet_id:
            call(Action="DeleteSubnet", SubnetId=subnet_id)
        call(Action="DeleteVpc", VpcId=vpc_id)
