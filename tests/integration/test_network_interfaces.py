"""Network interfaces on Neutron ports through boto3 and the aws CLI: create (groups, addresses,
tags), describe (by id, filters, waiter), attributes, secondary addresses, bad input with Neutron
checked unchanged, and isolation from the other project."""

from __future__ import annotations

import uuid

import pytest

from tests.integration._vpc_kit import FAST, error_code, vpc

pytestmark = pytest.mark.cloud
CIDR = "10.131.0.0/16"
SUBNET = "10.131.1.0/24"


@pytest.fixture(scope="module")
def net(ec2_demo):
    """A VPC with one subnet and a second group, torn down at the end."""
    with vpc(ec2_demo, CIDR) as made:
        subnet = ec2_demo.create_subnet(VpcId=made["VpcId"], CidrBlock=SUBNET)["Subnet"]
        group = ec2_demo.create_security_group(GroupName=f"eni-{uuid.uuid4().hex[:6]}", Description="eni",
                                               VpcId=made["VpcId"])["GroupId"]
        default = ec2_demo.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [made["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}])[
            "SecurityGroups"][0]["GroupId"]
        try:
            yield {"vpc": made["VpcId"], "subnet": subnet["SubnetId"], "group": group, "default": default}
        finally:
            for eni in ec2_demo.describe_network_interfaces(Filters=[
                    {"Name": "vpc-id", "Values": [made["VpcId"]]}])["NetworkInterfaces"]:
                if eni["Status"] == "available":
                    ec2_demo.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
            ec2_demo.delete_security_group(GroupId=group)


@pytest.fixture
def interfaces(ec2_demo):
    """Interfaces the test makes (``make(**kwargs)``), deleted afterwards."""
    made: list[str] = []

    def make(**kwargs) -> dict:
        out = ec2_demo.create_network_interface(**kwargs)["NetworkInterface"]
        made.append(out["NetworkInterfaceId"])
        return out

    yield make
    for eni_id in made:
        if error_code_or_none(ec2_demo.delete_network_interface, NetworkInterfaceId=eni_id) not in (
                None, "InvalidNetworkInterfaceID.NotFound"):
            raise AssertionError(f"{eni_id} not deleted")


def error_code_or_none(fn, **kwargs):
    try:
        fn(**kwargs)
    except Exception as e:   # noqa: BLE001 - the code is what the caller checks
        return getattr(e, "response", {}).get("Error", {}).get("Code", str(e))
    return None


def _ports(conn, network_id: str) -> list:
    return sorted((p.id, tuple(sorted(ip["ip_address"] for ip in p.fixed_ips))) for p in conn.network.ports(
        network_id=network_id))


def _network(conn, vpc_id: str) -> str:
    """The VPC's Neutron network (CreateSubnet names the Neutron subnet ``<vpc id> <cidr>``)."""
    return next(sn.network_id for sn in conn.network.subnets(name=f"{vpc_id} {SUBNET}"))


def test_create_describe_delete(ec2_demo, aws_cli, demo_conn, net, interfaces):
    mark = uuid.uuid4().hex[:8]
    made = interfaces(SubnetId=net["subnet"], Description="first", PrivateIpAddress="10.131.1.20",
                      SecondaryPrivateIpAddressCount=2, TagSpecifications=[
                          {"ResourceType": "network-interface", "Tags": [{"Key": "marker", "Value": mark}]}])
    eni_id = made["NetworkInterfaceId"]
    assert eni_id.startswith("eni-") and made["Status"] == "available" and made["SubnetId"] == net["subnet"]
    assert made["VpcId"] == net["vpc"] and made["Description"] == "first" and made["InterfaceType"] == "interface"
    assert made["PrivateIpAddress"] == "10.131.1.20" and len(made["PrivateIpAddresses"]) == 3
    assert [a["Primary"] for a in made["PrivateIpAddresses"]] == [True, False, False]
    assert made["Groups"] == [{"GroupId": net["default"], "GroupName": "default"}]   # the VPC's default group
    assert made["TagSet"] == [{"Key": "marker", "Value": mark}] and made["SourceDestCheck"] is True
    assert made["MacAddress"] and made["AvailabilityZone"] and "Attachment" not in made
    port = demo_conn.network.get_port(_port_id(demo_conn, made))
    assert port.description == "first"
    (found,) = ec2_demo.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert found == made
    for name, value in (("tag:marker", mark), ("subnet-id", net["subnet"]), ("addresses.private-ip-address",
                        "10.131.1.20"), ("group-id", net["default"]), ("private-ip-address", "10.131.1.20"),
                        ("description", "first")):
        got = ec2_demo.describe_network_interfaces(Filters=[{"Name": name, "Values": [value]},
                                                            {"Name": "vpc-id", "Values": [net["vpc"]]}])
        assert [i["NetworkInterfaceId"] for i in got["NetworkInterfaces"]] == [eni_id], name
    assert ec2_demo.describe_network_interfaces(Filters=[{"Name": "tag:marker", "Values": [mark]},
                                                         {"Name": "status", "Values": ["in-use"]}])[
        "NetworkInterfaces"] == []
    cli = aws_cli("demo", "describe-network-interfaces", "--network-interface-ids", eni_id)
    assert cli["NetworkInterfaces"][0]["PrivateIpAddress"] == "10.131.1.20"
    ec2_demo.get_waiter("network_interface_available").wait(NetworkInterfaceIds=[eni_id], WaiterConfig=FAST)
    pages = ec2_demo.get_paginator("describe_network_interfaces").paginate(
        Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}], PaginationConfig={"PageSize": 5})
    assert eni_id in [i["NetworkInterfaceId"] for p in pages for i in p["NetworkInterfaces"]]
    with_group = interfaces(SubnetId=net["subnet"], Groups=[net["group"]],
                            PrivateIpAddresses=[{"PrivateIpAddress": "10.131.1.30", "Primary": True},
                                                {"PrivateIpAddress": "10.131.1.31", "Primary": False}])
    assert [g["GroupId"] for g in with_group["Groups"]] == [net["group"]]
    assert [a["PrivateIpAddress"] for a in with_group["PrivateIpAddresses"]] == ["10.131.1.30", "10.131.1.31"]
    aws_cli("demo", "delete-network-interface", "--network-interface-id", eni_id)
    assert error_code(ec2_demo.describe_network_interfaces, NetworkInterfaceIds=[eni_id]) == \
        "InvalidNetworkInterfaceID.NotFound"
    assert demo_conn.network.find_port(port.id) is None


def _port_id(conn, eni: dict) -> str:
    """The Neutron port of an interface (by its MAC address, which Neutron keeps unique per network)."""
    return next(p.id for p in conn.network.ports(mac_address=eni["MacAddress"]))


def test_cli_create_and_client_token(ec2_demo, aws_cli, net):
    token = uuid.uuid4().hex
    out = aws_cli("demo", "create-network-interface", "--subnet-id", net["subnet"], "--groups", net["group"],
                  "--client-token", token)["NetworkInterface"]
    try:
        again = aws_cli("demo", "create-network-interface", "--subnet-id", net["subnet"], "--groups", net["group"],
                        "--client-token", token)["NetworkInterface"]
        assert again["NetworkInterfaceId"] == out["NetworkInterfaceId"]
    finally:
        ec2_demo.delete_network_interface(NetworkInterfaceId=out["NetworkInterfaceId"])


def test_attributes_and_addresses(ec2_demo, aws_cli, demo_conn, net, interfaces):
    eni_id = interfaces(SubnetId=net["subnet"])["NetworkInterfaceId"]
    ec2_demo.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Description={"Value": "changed"})
    assert ec2_demo.describe_network_interface_attribute(NetworkInterfaceId=eni_id, Attribute="description")[
        "Description"] == {"Value": "changed"}
    ec2_demo.modify_network_interface_attribute(NetworkInterfaceId=eni_id, Groups=[net["group"], net["default"]])
    groups = ec2_demo.describe_network_interface_attribute(NetworkInterfaceId=eni_id, Attribute="groupSet")["Groups"]
    assert sorted(g["GroupId"] for g in groups) == sorted([net["group"], net["default"]])
    aws_cli("demo", "modify-network-interface-attribute", "--network-interface-id", eni_id, "--no-source-dest-check")
    assert ec2_demo.describe_network_interface_attribute(NetworkInterfaceId=eni_id, Attribute="sourceDestCheck")[
        "SourceDestCheck"] == {"Value": False}
    made = ec2_demo.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    port = demo_conn.network.get_port(_port_id(demo_conn, made))
    assert [p["ip_address"] for p in port.allowed_address_pairs] == ["0.0.0.0/0"]
    ec2_demo.reset_network_interface_attribute(NetworkInterfaceId=eni_id, SourceDestCheck="true")
    assert ec2_demo.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0][
        "SourceDestCheck"] is True
    assigned = ec2_demo.assign_private_ip_addresses(NetworkInterfaceId=eni_id, SecondaryPrivateIpAddressCount=2)
    assert len(assigned["AssignedPrivateIpAddresses"]) == 2
    ec2_demo.assign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.131.1.77"])
    shown = ec2_demo.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    assert len(shown["PrivateIpAddresses"]) == 4 and "10.131.1.77" in [
        a["PrivateIpAddress"] for a in shown["PrivateIpAddresses"]]
    # Moving an address from another interface needs AllowReassignment.
    other = interfaces(SubnetId=net["subnet"])["NetworkInterfaceId"]
    assert error_code(ec2_demo.assign_private_ip_addresses, NetworkInterfaceId=other,
                      PrivateIpAddresses=["10.131.1.77"]) == "InvalidIPAddress.InUse"
    ec2_demo.assign_private_ip_addresses(NetworkInterfaceId=other, PrivateIpAddresses=["10.131.1.77"],
                                         AllowReassignment=True)
    assert "10.131.1.77" not in [a["PrivateIpAddress"] for a in ec2_demo.describe_network_interfaces(
        NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]["PrivateIpAddresses"]]
    ec2_demo.unassign_private_ip_addresses(NetworkInterfaceId=other, PrivateIpAddresses=["10.131.1.77"])
    primary = shown["PrivateIpAddress"]
    assert error_code(ec2_demo.unassign_private_ip_addresses, NetworkInterfaceId=eni_id,
                      PrivateIpAddresses=[primary]) == "InvalidParameterValue"
    assert error_code(ec2_demo.assign_ipv6_addresses, NetworkInterfaceId=eni_id, Ipv6AddressCount=1) == \
        "InvalidParameterValue"


def test_bad_input_changes_nothing(ec2_demo, demo_conn, net, interfaces):
    network_id = _network(demo_conn, net["vpc"])
    before = _ports(demo_conn, network_id)
    assert error_code(ec2_demo.create_network_interface, SubnetId=net["subnet"], PrivateIpAddress="10.200.0.5") == \
        "InvalidParameterValue"
    assert error_code(ec2_demo.create_network_interface, SubnetId=net["subnet"],
                      Groups=["sg-0123456789abcdef0"]) == "InvalidGroup.NotFound"
    assert error_code(ec2_demo.create_network_interface, SubnetId=net["subnet"], Groups=["sg-bad"]) == \
        "InvalidGroupId.Malformed"
    assert error_code(ec2_demo.create_network_interface, SubnetId="subnet-nope") == "InvalidSubnetID.Malformed"
    assert error_code(ec2_demo.create_network_interface, SubnetId="subnet-0123456789abcdef0") == \
        "InvalidSubnetID.NotFound"
    default_group = ec2_demo.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
    assert error_code(ec2_demo.create_network_interface, SubnetId=net["subnet"], Groups=[default_group]) == \
        "InvalidParameterValue"   # a group of another VPC
    assert error_code(ec2_demo.create_network_interface, SubnetId=net["subnet"],
                      InterfaceType="trunk") == "InvalidParameterValue"
    assert _ports(demo_conn, network_id) == before
    assert error_code(ec2_demo.describe_network_interfaces, NetworkInterfaceIds=["eni-xyz"]) == \
        "InvalidNetworkInterfaceID.Malformed"
    assert error_code(ec2_demo.delete_network_interface, NetworkInterfaceId="eni-0123456789abcdef0") == \
        "InvalidNetworkInterfaceID.NotFound"
    assert error_code(ec2_demo.detach_network_interface, AttachmentId="eni-attach-0123456789abcdef0") == \
        "InvalidAttachmentID.NotFound"
    assert error_code(ec2_demo.describe_network_interfaces, Filters=[{"Name": "no-such", "Values": ["x"]}]) == \
        "InvalidParameterValue"


def test_isolation(ec2_demo, ec2_alt, demo_conn, net, interfaces):
    made = interfaces(SubnetId=net["subnet"], TagSpecifications=[
        {"ResourceType": "network-interface", "Tags": [{"Key": "iso", "Value": "x"}]}])
    eni_id = made["NetworkInterfaceId"]
    assert error_code(ec2_alt.describe_network_interfaces, NetworkInterfaceIds=[eni_id]) == \
        "InvalidNetworkInterfaceID.NotFound"
    seen = ec2_alt.describe_network_interfaces(Filters=[{"Name": "network-interface-id", "Values": [eni_id]}])
    assert seen["NetworkInterfaces"] == []
    assert eni_id not in [i["NetworkInterfaceId"] for i in ec2_alt.describe_network_interfaces()["NetworkInterfaces"]]
    assert error_code(ec2_alt.delete_network_interface, NetworkInterfaceId=eni_id) == \
        "InvalidNetworkInterfaceID.NotFound"
    assert error_code(ec2_alt.modify_network_interface_attribute, NetworkInterfaceId=eni_id,
                      Description={"Value": "x"}) == "InvalidNetworkInterfaceID.NotFound"
    assert error_code(ec2_alt.create_network_interface, SubnetId=net["subnet"]) == "InvalidSubnetID.NotFound"
    assert error_code(ec2_alt.assign_private_ip_addresses, NetworkInterfaceId=eni_id,
                      SecondaryPrivateIpAddressCount=1) == "InvalidNetworkInterfaceID.NotFound"
    assert ec2_demo.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0][
        "Description"] == ""
