"""Subnet IPv6 ranges: refused with the reason (no VPC here has an IPv6 range), nothing made."""

from __future__ import annotations

import pytest

from tests.integration._vpc_kit import error_code, vpc

pytestmark = pytest.mark.cloud


def test_associate_subnet_cidr_block_is_refused(ec2_demo, ec2_alt, demo_conn, aws_cli):
    with vpc(ec2_demo, "10.98.0.0/16") as made:
        subnet_id = ec2_demo.create_subnet(VpcId=made["VpcId"], CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
        network = next(n for n in demo_conn.network.networks(name=made["VpcId"]))
        before = sorted(s.id for s in demo_conn.network.subnets(network_id=network.id))
        cases = [
            ({"SubnetId": subnet_id, "Ipv6CidrBlock": "2001:db8:1234:1a00::/64"}, "InvalidSubnet.Range"),
            ({"SubnetId": subnet_id, "Ipv6CidrBlock": "2001:db8:1234:1a00::/56"}, "InvalidSubnet.Range"),
            ({"SubnetId": subnet_id, "Ipv6CidrBlock": "10.98.2.0/24"}, "InvalidParameterValue"),
            ({"SubnetId": subnet_id}, "MissingParameter"),
            ({"SubnetId": subnet_id, "Ipv6NetmaskLength": 64}, "InvalidParameterValue"),
            ({"SubnetId": "subnet-0123456789abcdef0", "Ipv6CidrBlock": "2001:db8::/64"}, "InvalidSubnetID.NotFound"),
            ({"SubnetId": "subnet-x", "Ipv6CidrBlock": "2001:db8::/64"}, "InvalidSubnetID.Malformed"),
        ]
        for params, code in cases:
            assert error_code(ec2_demo.associate_subnet_cidr_block, **params) == code, params
        assert error_code(ec2_alt.associate_subnet_cidr_block, SubnetId=subnet_id,
                          Ipv6CidrBlock="2001:db8::/64") == "InvalidSubnetID.NotFound"
        proc = aws_cli("demo", "associate-subnet-cidr-block", "--subnet-id", subnet_id,
                       "--ipv6-cidr-block", "2001:db8::/64", check=False)
        assert proc.returncode != 0 and "InvalidSubnet.Range" in proc.stderr and made["VpcId"] in proc.stderr
        assert sorted(s.id for s in demo_conn.network.subnets(network_id=network.id)) == before
        assert ec2_demo.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["Ipv6CidrBlockAssociationSet"] == []


def test_disassociate_subnet_cidr_block_finds_nothing(ec2_demo):
    assert error_code(ec2_demo.disassociate_subnet_cidr_block, AssociationId="subnet-cidr-assoc-0123456789abcdef0") \
        == "InvalidSubnetCidrBlockAssociationID.NotFound"
    assert error_code(ec2_demo.disassociate_subnet_cidr_block, AssociationId="subnet-cidr-x") \
        == "InvalidSubnetCidrBlockAssociationID.Malformed"
