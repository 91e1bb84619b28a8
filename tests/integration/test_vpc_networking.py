"""Internet gateways, route tables, network ACLs and DHCP options, and the whole scenario of
issue 11 (a VPC, two subnets, a gateway, a routed table, DHCP options, an instance, teardown)."""

from __future__ import annotations

import ipaddress
import time

import pytest

from tests.integration._vpc_kit import FAST, error_code, marker, vpc

pytestmark = pytest.mark.cloud


def _router(conn, vpc_id):
    return [r for r in conn.network.routers() if r.name == vpc_id][0]


def test_internet_gateway_lifecycle(ec2_demo, demo_conn, aws_cli, cloud_info):
    name = marker()
    with vpc(ec2_demo, "10.76.0.0/16") as made, vpc(ec2_demo, "10.77.0.0/16") as other:
        vpc_id = made["VpcId"]
        gw = ec2_demo.create_internet_gateway(TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": [
            {"Key": "Name", "Value": name}]}])["InternetGateway"]
        gw_id = gw["InternetGatewayId"]
        second = ec2_demo.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        try:
            assert gw["Attachments"] == []
            ec2_demo.get_waiter("internet_gateway_exists").wait(InternetGatewayIds=[gw_id], WaiterConfig=FAST)
            ec2_demo.attach_internet_gateway(InternetGatewayId=gw_id, VpcId=vpc_id)
            gateway = _router(demo_conn, vpc_id).external_gateway_info
            assert gateway["network_id"] == cloud_info["networks"]["public_network_id"]
            found = ec2_demo.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
            assert [g["InternetGatewayId"] for g in found["InternetGateways"]] == [gw_id]
            assert found["InternetGateways"][0]["Attachments"] == [{"VpcId": vpc_id, "State": "available"}]
            by_tag = aws_cli("demo", "describe-internet-gateways", "--filters", f"Name=tag:Name,Values={name}")
            assert [g["InternetGatewayId"] for g in by_tag["InternetGateways"]] == [gw_id]
            assert error_code(ec2_demo.attach_internet_gateway, InternetGatewayId=second, VpcId=vpc_id) \
                == "Resource.AlreadyAssociated"
            assert error_code(ec2_demo.attach_internet_gateway, InternetGatewayId=gw_id, VpcId=other["VpcId"]) \
                == "Resource.AlreadyAssociated"
            assert error_code(ec2_demo.detach_internet_gateway, InternetGatewayId=second, VpcId=vpc_id) \
                == "Gateway.NotAttached"
            assert error_code(ec2_demo.delete_internet_gateway, InternetGatewayId=gw_id) == "DependencyViolation"
            ec2_demo.detach_internet_gateway(InternetGatewayId=gw_id, VpcId=vpc_id)
            assert not _router(demo_conn, vpc_id).external_gateway_info
        finally:
            ec2_demo.delete_internet_gateway(InternetGatewayId=gw_id)
            ec2_demo.delete_internet_gateway(InternetGatewayId=second)
        assert error_code(ec2_demo.describe_internet_gateways, InternetGatewayIds=[gw_id]) \
            == "InvalidInternetGatewayID.NotFound"
        assert error_code(ec2_demo.describe_internet_gateways, InternetGatewayIds=["igw-x"]) \
            == "InvalidInternetGatewayID.Malformed"


def test_route_tables(ec2_demo, ec2_alt):
    with vpc(ec2_demo, "10.78.0.0/16") as made, vpc(ec2_demo, "10.79.0.0/16") as other:
        vpc_id = made["VpcId"]
        s1 = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.78.1.0/24")["Subnet"]["SubnetId"]
        s2 = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.78.2.0/24")["Subnet"]["SubnetId"]
        gw = ec2_demo.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        other_gw = ec2_demo.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        try:
            ec2_demo.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc_id)
            ec2_demo.attach_internet_gateway(InternetGatewayId=other_gw, VpcId=other["VpcId"])
            main = ec2_demo.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                                           {"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"][0]
            main_id = main["RouteTableId"]
            assert error_code(ec2_demo.delete_route_table, RouteTableId=main_id) == "DependencyViolation"
            table = ec2_demo.create_route_table(VpcId=vpc_id, TagSpecifications=[{
                "ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "public"}]}])["RouteTable"]
            rtb = table["RouteTableId"]
            assert table["Routes"] == [{"DestinationCidrBlock": "10.78.0.0/16", "GatewayId": "local",
                                        "Origin": "CreateRouteTable", "State": "active"}]
            # A route to another VPC's gateway, or one Neutron cannot carry out, is refused.
            assert error_code(ec2_demo.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=other_gw) == "InvalidParameterValue"
            assert error_code(ec2_demo.create_route, RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16",
                              GatewayId=gw) == "Unsupported"
            assert error_code(ec2_demo.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                              NetworkInterfaceId="eni-0123456789abcdef0") == "InvalidNetworkInterfaceID.NotFound"
            ec2_demo.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=gw)
            assert error_code(ec2_demo.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=gw) == "RouteAlreadyExists"
            # The subnets share the VPC router: a table that differs from the main one beyond 'local'
            # cannot be given to one subnet alone.
            assert error_code(ec2_demo.associate_route_table, RouteTableId=rtb, SubnetId=s1) == "Unsupported"
            ec2_demo.create_route(RouteTableId=main_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gw)
            assoc = ec2_demo.associate_route_table(RouteTableId=rtb, SubnetId=s1)["AssociationId"]
            assert error_code(ec2_demo.associate_route_table, RouteTableId=rtb, SubnetId=s1) \
                == "Resource.AlreadyAssociated"
            assert error_code(ec2_demo.delete_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0") \
                == "Unsupported"
            got = ec2_demo.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
            assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gw, "Origin": "CreateRoute",
                    "State": "active"} in got["Routes"]
            assert [a["SubnetId"] for a in got["Associations"]] == [s1]
            for f, expected in (({"Name": "association.subnet-id", "Values": [s1]}, [rtb]),
                                ({"Name": "tag:Name", "Values": ["public"]}, [rtb]),
                                ({"Name": "association.main", "Values": ["false"]}, [rtb]),
                                ({"Name": "route.gateway-id", "Values": [gw]}, sorted([rtb, main_id])),
                                ({"Name": "route.destination-cidr-block", "Values": ["0.0.0.0/0"]},
                                 sorted([rtb, main_id])),
                                ({"Name": "route.state", "Values": ["active"]}, sorted([rtb, main_id]))):
                found = ec2_demo.describe_route_tables(Filters=[f, {"Name": "vpc-id", "Values": [vpc_id]}])
                assert sorted(t["RouteTableId"] for t in found["RouteTables"]) == expected, f
            assert error_code(ec2_demo.associate_route_table, RouteTableId=rtb, SubnetId="subnet-0123456789abcdef0") \
                == "InvalidSubnetID.NotFound"
            other_table = ec2_demo.create_route_table(VpcId=other["VpcId"])["RouteTable"]["RouteTableId"]
            assert error_code(ec2_demo.associate_route_table, RouteTableId=other_table, SubnetId=s2) \
                == "InvalidParameterValue"
            # Another project sees none of it.
            assert error_code(ec2_alt.describe_route_tables, RouteTableIds=[rtb]) == "InvalidRouteTableID.NotFound"
            assert error_code(ec2_alt.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                              GatewayId=gw) == "InvalidRouteTableID.NotFound"
            assert error_code(ec2_alt.disassociate_route_table, AssociationId=assoc) == "InvalidAssociationID.NotFound"
            # Move the subnet back to the main table, make the new one main, then tear down.
            new_assoc = ec2_demo.replace_route_table_association(AssociationId=assoc, RouteTableId=main_id)
            ec2_demo.disassociate_route_table(AssociationId=new_assoc["NewAssociationId"])
            main_assoc = main["Associations"][0]["RouteTableAssociationId"]
            ec2_demo.replace_route_table_association(AssociationId=main_assoc, RouteTableId=rtb)
            now_main = ec2_demo.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                                               {"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
            assert [t["RouteTableId"] for t in now_main] == [rtb]
            ec2_demo.delete_route_table(RouteTableId=main_id)
            ec2_demo.detach_internet_gateway(InternetGatewayId=gw, VpcId=vpc_id)
            after = ec2_demo.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
            assert [r["State"] for r in after["Routes"] if r["GatewayId"] == gw] == ["blackhole"]
            ec2_demo.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
            assert error_code(ec2_demo.delete_route, RouteTableId=rtb, DestinationCidrBlock="10.78.0.0/16") \
                == "InvalidParameterValue"
        finally:
            for g, v in ((gw, vpc_id), (other_gw, other["VpcId"])):
                try:
                    ec2_demo.detach_internet_gateway(InternetGatewayId=g, VpcId=v)
                except Exception:  # noqa: BLE001 - already detached
                    pass
                ec2_demo.delete_internet_gateway(InternetGatewayId=g)


def test_network_acls(ec2_demo, ec2_alt):
    with vpc(ec2_demo, "10.80.0.0/16") as made:
        vpc_id = made["VpcId"]
        subnet_id = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.80.1.0/24")["Subnet"]["SubnetId"]
        acls = ec2_demo.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
        assert len(acls) == 1 and acls[0]["IsDefault"] is True
        acl = acls[0]
        assert [a["SubnetId"] for a in acl["Associations"]] == [subnet_id]
        assert sorted((e["RuleNumber"], e["RuleAction"], e["Egress"]) for e in acl["Entries"]) == [
            (100, "allow", False), (100, "allow", True), (32767, "deny", False), (32767, "deny", True)]
        by_id = ec2_demo.describe_network_acls(NetworkAclIds=[acl["NetworkAclId"]])["NetworkAcls"]
        assert by_id[0]["Associations"] == acl["Associations"]
        found = ec2_demo.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        assert [a["NetworkAclId"] for a in found["NetworkAcls"]] == [acl["NetworkAclId"]]
        assert error_code(ec2_demo.create_network_acl, VpcId=vpc_id) == "UnsupportedOperation"
        assert error_code(ec2_demo.create_network_acl_entry, NetworkAclId=acl["NetworkAclId"], RuleNumber=10,
                          Protocol="6", RuleAction="deny", Egress=False, CidrBlock="0.0.0.0/0") \
            == "InvalidParameterValue"   # CidrBlock: refused before the handler, naming it
        assert error_code(ec2_demo.delete_network_acl, NetworkAclId=acl["NetworkAclId"]) == "InvalidParameterValue"
        assert error_code(ec2_alt.describe_network_acls, NetworkAclIds=[acl["NetworkAclId"]]) \
            == "InvalidNetworkAclID.NotFound"


def test_dhcp_options(ec2_demo, demo_conn, ec2_alt):
    with vpc(ec2_demo, "10.81.0.0/16") as made:
        vpc_id = made["VpcId"]
        ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.81.1.0/24")
        opts = ec2_demo.create_dhcp_options(DhcpConfigurations=[
            {"Key": "domain-name-servers", "Values": ["10.81.0.2", "192.0.2.53"]}])["DhcpOptions"]
        dopt = opts["DhcpOptionsId"]
        try:
            assert error_code(ec2_demo.create_dhcp_options, DhcpConfigurations=[
                {"Key": "ntp-servers", "Values": ["192.0.2.1"]}]) == "InvalidParameterValue"
            ec2_demo.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc_id)
            assert ec2_demo.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["DhcpOptionsId"] == dopt
            subnets = [s for s in demo_conn.network.subnets() if vpc_id in (s.name or "")]
            assert [s.dns_nameservers for s in subnets] == [["10.81.0.2", "192.0.2.53"]]
            later = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.81.2.0/24")["Subnet"]
            neutron = [s for s in demo_conn.network.subnets() if s.cidr == later["CidrBlock"] and vpc_id in s.name]
            assert neutron[0].dns_nameservers == ["10.81.0.2", "192.0.2.53"]
            found = ec2_demo.describe_dhcp_options(Filters=[{"Name": "value", "Values": ["192.0.2.53"]}])
            assert dopt in [d["DhcpOptionsId"] for d in found["DhcpOptions"]]
            assert error_code(ec2_alt.describe_dhcp_options, DhcpOptionsIds=[dopt]) == "InvalidDhcpOptionID.NotFound"
            assert error_code(ec2_demo.delete_dhcp_options, DhcpOptionsId=dopt) == "DependencyViolation"
            ec2_demo.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
            assert all(not s.dns_nameservers for s in demo_conn.network.subnets() if vpc_id in (s.name or ""))
        finally:
            ec2_demo.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc_id)
            ec2_demo.delete_dhcp_options(DhcpOptionsId=dopt)


def test_instance_in_a_subnet(ec2_demo, ec2_alt, demo_conn, cloud_info, aws_cli):
    """The issue's scenario: VPC, two subnets, gateway, routed table, an instance, teardown."""
    image = ec2_demo.describe_images(Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])
    image_id = image["Images"][0]["ImageId"]
    with vpc(ec2_demo, "10.82.0.0/16") as made:
        vpc_id = made["VpcId"]
        s1 = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.82.1.0/24")["Subnet"]["SubnetId"]
        s2 = aws_cli("demo", "create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.82.2.0/24")["Subnet"]["SubnetId"]
        run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t2.nano", MinCount=1, MaxCount=1, SubnetId=s2)
        instance_id = run["Instances"][0]["InstanceId"]
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 2,
                                                                                              "MaxAttempts": 90})
        deadline = time.monotonic() + 30
        while True:
            instance = ec2_demo.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
            if instance.get("PrivateIpAddress") or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert instance["SubnetId"] == s2 and instance["VpcId"] == vpc_id
        assert ipaddress.ip_address(instance["PrivateIpAddress"]) in ipaddress.ip_network("10.82.2.0/24")
        # Its port is on that subnet, in the VPC's own default group (no group was given).
        group = [g for g in demo_conn.network.security_groups() if g.name == f"default-{vpc_id}"][0]
        network = [n for n in demo_conn.network.networks() if n.name == vpc_id][0]
        ports = [p for p in demo_conn.network.ports(network_id=network.id)
                 if any(ip["ip_address"] == instance["PrivateIpAddress"] for ip in p.fixed_ips)]
        assert len(ports) == 1 and ports[0].security_group_ids == [group.id]
        found = ec2_demo.describe_instances(Filters=[{"Name": "subnet-id", "Values": [s2]}])["Reservations"]
        assert [i["InstanceId"] for r in found for i in r["Instances"]] == [instance_id]
        assert error_code(ec2_demo.delete_subnet, SubnetId=s2) == "DependencyViolation"
        assert error_code(ec2_alt.delete_subnet, SubnetId=s2) == "InvalidSubnetID.NotFound"
        ec2_demo.delete_subnet(SubnetId=s1)
    # Torn down in dependency order: nothing left in Neutron.
    assert not [n for n in demo_conn.network.networks() if n.name == vpc_id]
    assert not [s for s in demo_conn.network.subnets() if vpc_id in (s.name or "")]
    assert not [r for r in demo_conn.network.routers() if r.name == vpc_id]
