"""Ansible's amazon.aws.ec2_vpc_nat_gateway against ec2api: create twice, then absent. The VPC (a
subnet, an internet gateway attached) is made with boto3; afterwards no address of the run is left."""

from __future__ import annotations

import pytest

from tests.integration._vpc_kit import vpc

pytestmark = pytest.mark.cloud


def test_nat_gateway(ansible, ec2_demo, run_id):
    with vpc(ec2_demo, "10.97.0.0/16", run=run_id) as made:
        vpc_id = made["VpcId"]
        subnet_id = ec2_demo.create_subnet(VpcId=vpc_id, CidrBlock="10.97.1.0/24")["Subnet"]["SubnetId"]
        igw = ec2_demo.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2_demo.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        before = {a["AllocationId"] for a in ec2_demo.describe_addresses()["Addresses"]}
        try:
            ansible.converge("nat_gateway.yml", phase="create", subnet_id=subnet_id)
            nats = ec2_demo.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
            assert [n["State"] for n in nats] == ["available"]
        finally:
            ansible.converge("nat_gateway.yml", phase="absent", subnet_id=subnet_id)
        nats = ec2_demo.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
        assert [n["State"] for n in nats] == ["deleted"]
        # The address the module allocated is released (others' addresses may come and go).
        allocated = nats[0]["NatGatewayAddresses"][0]["AllocationId"]
        assert allocated not in before
        assert allocated not in {a["AllocationId"] for a in ec2_demo.describe_addresses()["Addresses"]}
