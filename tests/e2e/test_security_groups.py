"""Ansible's amazon.aws security group and elastic IP modules against ec2api: each phase twice.

The groups are made with boto3: amazon.aws.ec2_security_group first asks STS/IAM for the account
id, which an EC2-only endpoint does not answer (see the playbook's header)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def _groups(ec2, run_id: str) -> list[str]:
    tags = [{"ResourceType": "security-group", "Tags": [{"Key": "purpose", "Value": "e2e"},
                                                         {"Key": "run", "Value": run_id}]}]
    app = ec2.create_security_group(GroupName=f"{run_id}-app", Description="app servers",
                                    TagSpecifications=tags)["GroupId"]
    web = ec2.create_security_group(GroupName=f"{run_id}-web", Description="web servers",
                                    TagSpecifications=tags)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "app port"}]}])
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "192.168.0.0/16", "Description": "ssh from the office"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": app}, {"GroupName": f"{run_id}-web"}]}])
    ec2.revoke_security_group_egress(GroupId=web, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return [web, app]


def test_security_groups_and_eips(ansible, ec2_demo, run_id):
    made = _groups(ec2_demo, run_id)
    try:
        ansible.converge("security_groups.yml", phase="create")
    finally:
        ansible.converge("security_groups.yml", phase="absent")
        web = ec2_demo.describe_security_groups(GroupIds=[made[0]])["SecurityGroups"][0]
        ec2_demo.revoke_security_group_ingress(GroupId=web["GroupId"], IpPermissions=web["IpPermissions"])
        for group_id in made:
            ec2_demo.delete_security_group(GroupId=group_id)
