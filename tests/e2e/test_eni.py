"""Ansible's amazon.aws on network interfaces: ec2_eni (create, attach, detach, delete) and
ec2_eni_info, each phase run twice (the second changing nothing), then ``absent``. The VPC, its
subnet and the instance are made with boto3."""

from __future__ import annotations

import pytest

from tests.integration._kit import FAST
from tests.integration._vpc_kit import vpc

pytestmark = pytest.mark.cloud


def test_network_interfaces(ansible, ec2_demo, test_image_id):
    with vpc(ec2_demo, "10.134.0.0/16") as made:
        subnet = ec2_demo.create_subnet(VpcId=made["VpcId"], CidrBlock="10.134.1.0/24")["Subnet"]["SubnetId"]
        instance = ec2_demo.run_instances(ImageId=test_image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                                          SubnetId=subnet)["Instances"][0]["InstanceId"]
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance], WaiterConfig=FAST)
        variables = {"subnet_id": subnet, "instance_id": instance, "private_ip": "10.134.1.40"}
        try:
            for phase in ("create", "attach", "detach"):
                ansible.converge("eni.yml", phase=phase, **variables)
        finally:
            ansible.converge("eni.yml", phase="absent", **variables)
