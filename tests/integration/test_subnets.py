"""Subnets through boto3 and the aws CLI: create, describe (every filter tools use, camelCase
spellings), waiter, attributes, ranges, dependencies, isolation, the default VPC's subnet."""

from __future__ import annotations

import ipaddress

import pytest

from tests.integration._vpc_kit import FAST, error_code, marker, vpc

pytestmark = pytest.mark.cloud


def test_create_describe_delete_subnet(ec2_demo, demo_conn, aws_cli):
    name = marker()
    with vpc(ec2_demo, "10.71.0.0/16") as made:
        vpc_id = made["VpcId"]
        zone = ec2_demo.describe_availability_zones()["AvailabilityZones"][0]
        sub = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.71.1.0/24", AvailabilityZone=zone["ZoneName"],
                                     TagSpecifications=[{"ResourceType": "subnet",
                                                         "Tags": [{"Key": "Name", "Value": name}]}])["Subnet"]
        subnet_id = sub["SubnetId"]
        assert sub["VpcId"] == vpc_id and sub["CidrBlock"] == "10.71.1.0/24" and sub["State"] == "available"
        assert sub["AvailableIpAddressCount"] == 251   # as on AWS: 256 less five reserved
        assert sub["AvailabilityZone"] == zone["ZoneName"] and sub["AvailabilityZoneId"] == zone["ZoneId"]
        assert sub["DefaultForAz"] is False and sub["MapPublicIpOnLaunch"] is False
        ec2_demo.get_waiter("subnet_available").wait(SubnetIds=[subnet_id], WaiterConfig=FAST)
        # Behind it: a Neutron subnet on the VPC's network, attached to the VPC router.
        neutron = [s for s in demo_conn.network.subnets() if s.cidr == "10.71.1.0/24" and vpc_id in (s.name or "")]
        assert len(neutron) == 1
        router = [r for r in demo_conn.network.routers() if r.name == vpc_id][0]
        ports = list(demo_conn.network.ports(device_id=router.id))
        assert any(ip["subnet_id"] == neutron[0].id for p in ports for ip in p.fixed_ips)
        second = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.71.2.0/28",
                                        AvailabilityZoneId=zone["ZoneId"])["Subnet"]
        assert second["AvailableIpAddressCount"] == 11
        for f in ({"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "vpcId", "Values": [vpc_id]},
                  {"Name": "cidr-block", "Values": ["10.71.1.0/24"]}, {"Name": "cidrBlock", "Values": ["10.71.1.*"]},
                  {"Name": "cidr", "Values": ["10.71.1.0/24"]},
                  {"Name": "availability-zone", "Values": [zone["ZoneName"]]},
                  {"Name": "availabilityZone", "Values": [zone["ZoneName"]]},
                  {"Name": "availability-zone-id", "Values": [zone["ZoneId"]]},
                  {"Name": "default-for-az", "Values": ["false"]}, {"Name": "defaultForAz", "Values": ["false"]},
                  {"Name": "map-public-ip-on-launch", "Values": ["false"]},
                  {"Name": "available-ip-address-count", "Values": ["251"]},
                  {"Name": "state", "Values": ["available"]}, {"Name": "subnet-id", "Values": [subnet_id]},
                  {"Name": "tag:Name", "Values": [name]}, {"Name": "owner-id", "Values": [sub["OwnerId"]]},
                  {"Name": "subnet-arn", "Values": [sub["SubnetArn"]]}):
            found = ec2_demo.describe_subnets(Filters=[f, {"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"]
            assert [s["SubnetId"] for s in found] == [subnet_id], f
        both = ec2_demo.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        assert sorted(s["SubnetId"] for s in both) == sorted([subnet_id, second["SubnetId"]])
        cli = aws_cli("demo", "describe-subnets", "--subnet-ids", subnet_id)
        assert cli["Subnets"][0]["CidrBlock"] == "10.71.1.0/24"
        aws_cli("demo", "wait", "subnet-available", "--subnet-ids", subnet_id)
        ec2_demo.delete_subnet(SubnetId=second["SubnetId"])
        aws_cli("demo", "delete-subnet", "--subnet-id", subnet_id)
        assert error_code(ec2_demo.describe_subnets, SubnetIds=[subnet_id]) == "InvalidSubnetID.NotFound"
        assert not [s for s in demo_conn.network.subnets() if vpc_id in (s.name or "")]


def test_ranges_zones_and_bad_input(ec2_demo, demo_conn):
    with vpc(ec2_demo, "10.72.0.0/16") as made:
        vpc_id = made["VpcId"]
        ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.72.1.0/24")
        for cidr, code in (("10.73.0.0/24", "InvalidSubnet.Range"), ("10.72.0.0/29", "InvalidSubnet.Range"),
                           ("10.72.1.128/25", "InvalidSubnet.Conflict"), ("10.72.0.0/16", "InvalidSubnet.Conflict"),
                           ("10.72.5.7/24", "InvalidParameterValue")):
            assert error_code(ec2_demo.create_subnet, VpcId=vpc_id, CidrBlock=cidr) == code, cidr
        assert error_code(ec2_demo.create_subnet, VpcId=vpc_id, CidrBlock="10.72.2.0/24",
                          AvailabilityZone="no-such-zone") == "InvalidParameterValue"
        assert error_code(ec2_demo.create_subnet, VpcId=vpc_id, CidrBlock="10.72.2.0/24",
                          Ipv6CidrBlock="2001:db8::/64") == "InvalidParameterValue"
        assert error_code(ec2_demo.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.72.2.0/24") \
            == "InvalidVpcID.NotFound"
        # Nothing was made by the refused requests: one Neutron subnet in the VPC.
        assert len([s for s in demo_conn.network.subnets() if vpc_id in (s.name or "")]) == 1
        assert error_code(ec2_demo.describe_subnets, SubnetIds=["subnet-zz"]) == "InvalidSubnetID.Malformed"
        assert error_code(ec2_demo.delete_subnet, SubnetId="subnet-0123456789abcdef0") == "InvalidSubnetID.NotFound"


def test_modify_subnet_attribute(ec2_demo):
    with vpc(ec2_demo, "10.74.0.0/16") as made:
        subnet_id = ec2_demo.create_subnet(VpcId=made["VpcId"], CidrBlock="10.74.1.0/24")["Subnet"]["SubnetId"]
        ec2_demo.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": False})
        # True is honoured: RunInstances gives a floating IP (tests/integration/test_eni_instances.py).
        ec2_demo.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
        assert ec2_demo.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["MapPublicIpOnLaunch"] is True
        ec2_demo.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": False})
        assert error_code(ec2_demo.modify_subnet_attribute, SubnetId=subnet_id,
                          AssignIpv6AddressOnCreation={"Value": True}) == "InvalidParameterValue"
        assert ec2_demo.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["MapPublicIpOnLaunch"] is False


def test_default_vpc_subnet(ec2_demo, cloud_info):
    default_vpc = ec2_demo.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subs = ec2_demo.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]},
                                              {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert subs and all(s["DefaultForAz"] for s in subs)
    assert all(ipaddress.ip_network(s["CidrBlock"]).subnet_of(ipaddress.ip_network(default_vpc["CidrBlock"]))
               for s in subs)
    assert error_code(ec2_demo.create_default_subnet, AvailabilityZone=subs[0]["AvailabilityZone"]) \
        == "DefaultSubnetAlreadyExistsInAvailabilityZone"


def test_other_project_cannot_see_or_use(ec2_demo, ec2_alt, cloud_info):
    with vpc(ec2_demo, "10.75.0.0/16") as made:
        subnet_id = ec2_demo.create_subnet(VpcId=made["VpcId"], CidrBlock="10.75.1.0/24")["Subnet"]["SubnetId"]
        assert error_code(ec2_alt.describe_subnets, SubnetIds=[subnet_id]) == "InvalidSubnetID.NotFound"
        assert ec2_alt.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [made["VpcId"]]}])["Subnets"] == []
        assert error_code(ec2_alt.delete_subnet, SubnetId=subnet_id) == "InvalidSubnetID.NotFound"
        assert error_code(ec2_alt.modify_subnet_attribute, SubnetId=subnet_id,
                          MapPublicIpOnLaunch={"Value": False}) == "InvalidSubnetID.NotFound"
        image = ec2_alt.describe_images(Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])
        assert error_code(ec2_alt.run_instances, ImageId=image["Images"][0]["ImageId"], MinCount=1, MaxCount=1,
                          SubnetId=subnet_id) == "InvalidSubnetID.NotFound"
        assert ec2_demo.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
