"""VPCs through boto3 and the aws CLI on the real test cloud: lifecycle, filters, attributes,
secondary ranges, the default VPC, bad input, isolation, and what Terraform reads for an aws_vpc."""

from __future__ import annotations

import pytest

from tests.integration._vpc_kit import FAST, error_code, marker, teardown_vpc, vpc

pytestmark = pytest.mark.cloud


def _neutron_networks(conn, vpc_id):
    return [n for n in conn.network.networks() if n.name == vpc_id]


def test_create_describe_delete_vpc(ec2_demo, demo_conn, aws_cli):
    name = marker()
    with vpc(ec2_demo, "10.61.0.0/16", Name=name) as made:
        vpc_id = made["VpcId"]
        assert made["CidrBlock"] == "10.61.0.0/16" and made["IsDefault"] is False
        assert made["InstanceTenancy"] == "default" and made["Tags"] == [{"Key": "Name", "Value": name}]
        ec2_demo.get_waiter("vpc_exists").wait(VpcIds=[vpc_id], WaiterConfig=FAST)
        ec2_demo.get_waiter("vpc_available").wait(VpcIds=[vpc_id], WaiterConfig=FAST)
        # Behind it: a network, a router and the VPC's default group, named after it.
        assert len(_neutron_networks(demo_conn, vpc_id)) == 1
        assert [r for r in demo_conn.network.routers() if r.name == vpc_id]
        assert [g for g in demo_conn.network.security_groups() if g.name == f"default-{vpc_id}"]
        got = ec2_demo.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        assert got["State"] == "available" and got["DhcpOptionsId"].startswith("dopt-")
        assert got["OwnerId"] == made["OwnerId"]
        assert got["CidrBlockAssociationSet"][0]["CidrBlockState"] == {"State": "associated"}
        for f in ({"Name": "tag:Name", "Values": [name]}, {"Name": "cidr", "Values": ["10.61.0.0/16"]},
                  {"Name": "cidr-block-association.cidr-block", "Values": ["10.61.*"]},
                  {"Name": "is-default", "Values": ["false"]}, {"Name": "state", "Values": ["available"]},
                  {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag-key", "Values": ["Name"]},
                  {"Name": "owner-id", "Values": [made["OwnerId"]]},
                  {"Name": "dhcp-options-id", "Values": [got["DhcpOptionsId"]]}):
            found = ec2_demo.describe_vpcs(Filters=[f, {"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"]
            assert [v["VpcId"] for v in found] == [vpc_id], f
        cli = aws_cli("demo", "describe-vpcs", "--filters", f"Name=tag:Name,Values={name}")
        assert [v["VpcId"] for v in cli["Vpcs"]] == [vpc_id]
        paged = ec2_demo.get_paginator("describe_vpcs").paginate(
            PaginationConfig={"PageSize": 5}).build_full_result()["Vpcs"]
        assert vpc_id in [v["VpcId"] for v in paged]
    assert not _neutron_networks(demo_conn, vpc_id)
    assert not [g for g in demo_conn.network.security_groups() if g.name == f"default-{vpc_id}"]
    assert not [r for r in demo_conn.network.routers() if r.name == vpc_id]
    assert error_code(ec2_demo.describe_vpcs, VpcIds=[vpc_id]) == "InvalidVpcID.NotFound"


def test_create_vpc_with_the_cli(aws_cli, ec2_demo):
    made = aws_cli("demo", "create-vpc", "--cidr-block", "10.62.0.0/24")["Vpc"]
    try:
        aws_cli("demo", "wait", "vpc-available", "--vpc-ids", made["VpcId"])
        got = aws_cli("demo", "describe-vpcs", "--vpc-ids", made["VpcId"])["Vpcs"][0]
        assert got["CidrBlock"] == "10.62.0.0/24"
        aws_cli("demo", "delete-vpc", "--vpc-id", made["VpcId"])
    finally:
        teardown_vpc(ec2_demo, made["VpcId"])


def test_bad_input_makes_nothing(ec2_demo, demo_conn):
    for cidr, code in (("10.0.0.0/8", "InvalidVpc.Range"), ("10.63.0.0/29", "InvalidVpc.Range"),
                       ("10.63.0.1/16", "InvalidParameterValue"), ("banana", "InvalidParameterValue")):
        assert error_code(ec2_demo.create_vpc, CidrBlock=cidr) == code, cidr
    assert error_code(ec2_demo.create_vpc, CidrBlock="10.63.0.0/16", InstanceTenancy="dedicated") \
        == "InvalidParameterValue"
    assert error_code(ec2_demo.create_vpc, CidrBlock="10.63.0.0/16", AmazonProvidedIpv6CidrBlock=True) \
        == "InvalidParameterValue"
    assert error_code(ec2_demo.create_vpc, CidrBlock="10.63.0.0/16", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "b"}]}]) == "InvalidParameterValue"
    assert not [n for n in demo_conn.network.networks() if (n.description or "").startswith("EC2 VPC 10.63.")]
    assert error_code(ec2_demo.describe_vpcs, VpcIds=["vpc-nope"]) == "InvalidVpcID.Malformed"
    assert error_code(ec2_demo.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"]) == "InvalidVpcID.NotFound"
    assert error_code(ec2_demo.delete_vpc, VpcId="vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
    assert error_code(ec2_demo.describe_vpcs, Filters=[{"Name": "no-such", "Values": ["x"]}]) == "InvalidParameterValue"


def test_attributes_are_stored_and_described(ec2_demo):
    with vpc(ec2_demo, "10.64.0.0/16") as made:
        vpc_id = made["VpcId"]

        def attr(name, key):
            return ec2_demo.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)[key]["Value"]

        assert attr("enableDnsSupport", "EnableDnsSupport") is True
        assert attr("enableDnsHostnames", "EnableDnsHostnames") is False
        assert attr("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics") is False
        ec2_demo.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        ec2_demo.modify_vpc_attribute(VpcId=vpc_id, EnableNetworkAddressUsageMetrics={"Value": True})
        assert attr("enableDnsHostnames", "EnableDnsHostnames") is True
        assert attr("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics") is True
        assert error_code(ec2_demo.modify_vpc_attribute, VpcId=vpc_id, EnableDnsSupport={"Value": False}) \
            == "InvalidParameterValue"   # host names need DNS
        assert error_code(ec2_demo.describe_vpc_attribute, VpcId="vpc-0123456789abcdef0",
                          Attribute="enableDnsSupport") == "InvalidVpcID.NotFound"


def test_secondary_cidr_blocks(ec2_demo):
    with vpc(ec2_demo, "10.65.0.0/16") as made:
        vpc_id = made["VpcId"]
        assoc = ec2_demo.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.66.0.0/16")["CidrBlockAssociation"]
        assert assoc["CidrBlockState"]["State"] == "associated"
        got = ec2_demo.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        assert [a["CidrBlock"] for a in got["CidrBlockAssociationSet"]] == ["10.65.0.0/16", "10.66.0.0/16"]
        assert got["CidrBlock"] == "10.65.0.0/16"
        assert error_code(ec2_demo.associate_vpc_cidr_block, VpcId=vpc_id, CidrBlock="10.65.128.0/17") \
            == "InvalidVpc.Range"
        # A subnet in the secondary range keeps it.
        sub = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.66.1.0/24")["Subnet"]
        assert error_code(ec2_demo.disassociate_vpc_cidr_block, AssociationId=assoc["AssociationId"]) \
            == "InvalidCidrBlock.InUse"
        ec2_demo.delete_subnet(SubnetId=sub["SubnetId"])
        primary = got["CidrBlockAssociationSet"][0]["AssociationId"]
        assert error_code(ec2_demo.disassociate_vpc_cidr_block, AssociationId=primary) == "OperationNotPermitted"
        ec2_demo.disassociate_vpc_cidr_block(AssociationId=assoc["AssociationId"])
        got = ec2_demo.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        assert [a["CidrBlock"] for a in got["CidrBlockAssociationSet"]] == ["10.65.0.0/16"]


def test_default_vpc(ec2_demo, cloud_info):
    default = ec2_demo.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(default) == 1
    attr = ec2_demo.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert attr[0]["AttributeValues"][0]["AttributeValue"] == default[0]["VpcId"]
    assert ec2_demo.describe_vpcs(VpcIds=[default[0]["VpcId"]])["Vpcs"][0]["IsDefault"] is True
    assert ec2_demo.describe_vpc_attribute(VpcId=default[0]["VpcId"], Attribute="enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"] is True
    assert error_code(ec2_demo.create_default_vpc) == "DefaultVpcAlreadyExists"
    with vpc(ec2_demo, "10.67.0.0/16"):   # a VPC CreateVpc makes never becomes the default
        again = ec2_demo.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
        assert again[0]["AttributeValues"][0]["AttributeValue"] == default[0]["VpcId"]


def test_delete_refused_while_in_use(ec2_demo):
    with vpc(ec2_demo, "10.68.0.0/16") as made:
        vpc_id = made["VpcId"]
        sub = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.68.1.0/24")["Subnet"]
        assert error_code(ec2_demo.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
        ec2_demo.delete_subnet(SubnetId=sub["SubnetId"])
        gw = ec2_demo.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        try:
            ec2_demo.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc_id)
            assert error_code(ec2_demo.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
            ec2_demo.detach_internet_gateway(InternetGatewayId=gw, VpcId=vpc_id)
        finally:
            ec2_demo.delete_internet_gateway(InternetGatewayId=gw)
        table = ec2_demo.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        assert error_code(ec2_demo.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
        ec2_demo.delete_route_table(RouteTableId=table)
        ec2_demo.delete_vpc(VpcId=vpc_id)


def test_other_project_cannot_see_or_touch(ec2_demo, ec2_alt):
    name = marker()
    with vpc(ec2_demo, "10.69.0.0/16", Name=name) as made:
        vpc_id = made["VpcId"]
        assert error_code(ec2_alt.describe_vpcs, VpcIds=[vpc_id]) == "InvalidVpcID.NotFound"
        assert ec2_alt.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"] == []
        assert vpc_id not in [v["VpcId"] for v in ec2_alt.describe_vpcs()["Vpcs"]]
        assert error_code(ec2_alt.delete_vpc, VpcId=vpc_id) == "InvalidVpcID.NotFound"
        assert error_code(ec2_alt.create_subnet, VpcId=vpc_id, CidrBlock="10.69.1.0/24") == "InvalidVpcID.NotFound"
        assert error_code(ec2_alt.modify_vpc_attribute, VpcId=vpc_id,
                          EnableDnsHostnames={"Value": True}) == "InvalidVpcID.NotFound"
        gw = ec2_alt.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        try:
            assert error_code(ec2_alt.attach_internet_gateway, InternetGatewayId=gw, VpcId=vpc_id) \
                == "InvalidVpcID.NotFound"
        finally:
            ec2_alt.delete_internet_gateway(InternetGatewayId=gw)
        assert ec2_demo.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]


def test_terraform_aws_vpc_read_sequence(ec2_demo):
    """What Terraform's aws_vpc reads after creating one, in that order."""
    with vpc(ec2_demo, "10.70.0.0/16") as made:
        vpc_id = made["VpcId"]
        assert ec2_demo.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["VpcId"] == vpc_id
        for name, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames"),
                          ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics")):
            assert isinstance(ec2_demo.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)[key]["Value"], bool)
        tables = ec2_demo.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                                         {"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
        assert len(tables) == 1 and tables[0]["Associations"][0]["Main"] is True
        assert tables[0]["Routes"] == [{"DestinationCidrBlock": "10.70.0.0/16", "GatewayId": "local",
                                        "Origin": "CreateRouteTable", "State": "active"}]
        acls = ec2_demo.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]},
                                                       {"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
        assert len(acls) == 1 and acls[0]["IsDefault"] is True and len(acls[0]["Entries"]) == 4


def test_terraform_aws_vpc_read_sequence_default_group(ec2_demo):
    """The last read of the sequence: the VPC's default group (CreateVpc makes it)."""
    with vpc(ec2_demo, "10.71.0.0/16") as made:
        vpc_id = made["VpcId"]
        groups = ec2_demo.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                            {"Name": "vpc-id", "Values": [vpc_id]}])
        assert [g["GroupName"] for g in groups["SecurityGroups"]] == ["default"]
        assert groups["SecurityGroups"][0]["VpcId"] == vpc_id
