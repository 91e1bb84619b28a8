"""Security group rules: protocols, the legacy form, rule ids and tags, Modify failures, isolation."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.cloud


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def group(ec2_demo):
    group_id = ec2_demo.create_security_group(GroupName=f"r-{uuid.uuid4().hex[:10]}", Description="rules")["GroupId"]
    yield group_id
    ec2_demo.delete_security_group(GroupId=group_id)


def _rules(ec2, group_id: str) -> list[dict]:
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]


def test_protocols_and_legacy_form(ec2_demo, group):
    ec2_demo.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "icmpv6", "FromPort": 128, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "50", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "17", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "icmp", "FromPort": 8, "ToPort": 0, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    name = ec2_demo.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["GroupName"]
    ec2_demo.authorize_security_group_ingress(GroupName=name, SourceSecurityGroupName=name)   # legacy: all from self
    perms = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p
             for p in ec2_demo.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]}
    assert set(perms) == {("icmpv6", 128, -1), ("50", None, None), ("udp", 0, 65535), ("icmp", 8, 0), ("-1", None, None)}
    assert perms[("-1", None, None)]["UserIdGroupPairs"][0]["GroupId"] == group
    with pytest.raises(ClientError) as e:
        ec2_demo.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", FromPort=1, ToPort=2,
                                                  CidrIp="not-a-cidr")
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.authorize_security_group_ingress(GroupId=group, IpProtocol="tcp", CidrIp="10.0.0.0/8")
    assert _code(e) == "InvalidParameterValue"   # TCP needs ports


def test_rule_ids_tags_pages_and_modify(ec2_demo, ec2_alt, group):
    made = ec2_demo.authorize_security_group_ingress(GroupId=group, TagSpecifications=[
        {"ResourceType": "security-group-rule", "Tags": [{"Key": "k", "Value": "v"}]}], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
        for p in range(1000, 1007)])["SecurityGroupRules"]
    rule_ids = [r["SecurityGroupRuleId"] for r in made]
    tagged = ec2_demo.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]},
                                                             {"Name": "tag:k", "Values": ["v"]}])
    assert sorted(r["SecurityGroupRuleId"] for r in tagged["SecurityGroupRules"]) == sorted(rule_ids)
    pages = ec2_demo.get_paginator("describe_security_group_rules").paginate(
        Filters=[{"Name": "group-id", "Values": [group]}], PaginationConfig={"PageSize": 5})
    seen = [r["SecurityGroupRuleId"] for p in pages for r in p["SecurityGroupRules"]]
    assert len(seen) == len(set(seen)) == 9   # and Neutron's two egress rules
    before = _rules(ec2_demo, group)
    with pytest.raises(ClientError) as e:   # onto another rule of the group: nothing changes
        ec2_demo.modify_security_group_rules(GroupId=group, SecurityGroupRules=[
            {"SecurityGroupRuleId": rule_ids[0], "SecurityGroupRule": {
                "IpProtocol": "tcp", "FromPort": 1001, "ToPort": 1001, "CidrIpv4": "10.0.0.0/8"}}])
    assert _code(e) == "InvalidPermission.Duplicate"
    with pytest.raises(ClientError) as e:
        ec2_demo.modify_security_group_rules(GroupId=group, SecurityGroupRules=[
            {"SecurityGroupRuleId": rule_ids[0], "SecurityGroupRule": {
                "IpProtocol": "tcp", "FromPort": 5, "ToPort": 99999, "CidrIpv4": "10.0.0.0/8"}}])
    assert _code(e) == "InvalidParameterValue"
    assert _rules(ec2_demo, group) == before
    with pytest.raises(ClientError) as e:
        ec2_alt.describe_security_group_rules(SecurityGroupRuleIds=[rule_ids[0]])
    assert _code(e) == "InvalidSecurityGroupRuleId.NotFound"
    assert ec2_alt.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"] == []
    with pytest.raises(ClientError) as e:
        ec2_alt.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[rule_ids[0]])
    assert _code(e) == "InvalidGroup.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_security_group_rules(SecurityGroupRuleIds=["sgr-zz"])
    assert _code(e) == "InvalidSecurityGroupRuleId.Malformed"
