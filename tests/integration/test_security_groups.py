"""Security groups through boto3 and the aws CLI on the real cloud: Terraform's aws_security_group
sequence, Describe by id/name/filter, deletion rules, isolation, and Neutron after each failure."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.cloud


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def make_group(ec2_demo):
    """Create groups in the default VPC (deleted at the end, rules referencing them first)."""
    made: list[str] = []

    def make(name: str | None = None, **kwargs) -> str:
        group_id = ec2_demo.create_security_group(GroupName=name or f"t-{uuid.uuid4().hex[:10]}",
                                                  Description=kwargs.pop("Description", "test group"),
                                                  **kwargs)["GroupId"]
        made.append(group_id)
        return group_id

    yield make
    for group_id in made:   # rules first, so that groups referencing each other can go
        try:
            group = ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        except ClientError:
            continue
        if group["IpPermissions"]:
            ec2_demo.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    for group_id in made:
        try:
            ec2_demo.delete_security_group(GroupId=group_id)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "InvalidGroup.NotFound"


def _neutron_rules(demo_conn, ec2_demo, group_id: str) -> list[tuple]:
    """What Neutron holds for a group, to compare before and after a failed call."""
    group = ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    name = group["GroupName"]
    (neutron,) = [g for g in demo_conn.network.security_groups(name=name)]
    found = demo_conn.network.get("/security-group-rules", params={"security_group_id": neutron.id}).json()
    return sorted((r["direction"], r["ethertype"], r["protocol"] or "", r["port_range_min"] or 0,
                   r["port_range_max"] or 0, r["remote_ip_prefix"] or "", r["remote_group_id"] or "",
                   r["description"] or "") for r in found["security_group_rules"])


def test_terraform_sequence(ec2_demo, make_group, aws_cli):
    name = f"tf-{uuid.uuid4().hex[:10]}"
    group_id = make_group(name, Description="managed by terraform",
                          TagSpecifications=[{"ResourceType": "security-group",
                                              "Tags": [{"Key": "Name", "Value": name}]}])
    group = ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert group["GroupName"] == name and group["Description"] == "managed by terraform"
    assert group["Tags"] == [{"Key": "Name", "Value": name}]
    assert group["VpcId"].startswith("vpc-")
    assert group["IpPermissions"] == []
    # Neutron gives a new group allow-all egress for IPv4 and IPv6: shown as it is.
    (egress,) = group["IpPermissionsEgress"]
    assert egress["IpProtocol"] == "-1"
    assert egress["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}] and egress["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]

    # Terraform revokes the default egress at once.
    revoked = ec2_demo.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    assert revoked["Return"] is True and len(revoked["RevokedSecurityGroupRules"]) == 2
    assert ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissionsEgress"] == []

    # Authorize in both forms.
    out = ec2_demo.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh"}, {"CidrIp": "192.168.0.0/16"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
        {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "UserIdGroupPairs": [{"GroupId": group_id}]}])
    assert out["Return"] is True
    assert len(out["SecurityGroupRules"]) == 5
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") and r["GroupId"] == group_id
               for r in out["SecurityGroupRules"])
    ec2_demo.authorize_security_group_ingress(GroupId=group_id, IpProtocol="tcp", FromPort=443, ToPort=443,
                                              CidrIp="0.0.0.0/0")
    ec2_demo.authorize_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    group = ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    by_key = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p for p in group["IpPermissions"]}
    assert by_key[("tcp", 22, 22)]["IpRanges"] == [{"CidrIp": "10.0.0.0/8", "Description": "ssh"},
                                                   {"CidrIp": "192.168.0.0/16"}] or \
        sorted(r["CidrIp"] for r in by_key[("tcp", 22, 22)]["IpRanges"]) == ["10.0.0.0/8", "192.168.0.0/16"]
    assert by_key[("icmp", -1, -1)]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert by_key[("udp", 53, 53)]["Ipv6Ranges"] == [{"CidrIpv6": "2001:db8::/32"}]
    assert by_key[("tcp", 0, 65535)]["UserIdGroupPairs"][0]["GroupId"] == group_id
    assert by_key[("tcp", 443, 443)]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    assert [p["IpProtocol"] for p in group["IpPermissionsEgress"]] == ["tcp"]

    # Terraform reads the rules back.
    rules = ec2_demo.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    rules = rules["SecurityGroupRules"]
    assert len(rules) == 7
    ssh = next(r for r in rules if r.get("CidrIpv4") == "10.0.0.0/8")
    assert ssh["IsEgress"] is False and ssh["FromPort"] == 22 and ssh["Description"] == "ssh"
    pair = next(r for r in rules if "ReferencedGroupInfo" in r)
    assert pair["ReferencedGroupInfo"]["GroupId"] == group_id
    one = ec2_demo.describe_security_group_rules(SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])
    assert one["SecurityGroupRules"] == [ssh]

    # Update descriptions: by permission, then by rule id; the sgr id stays.
    ec2_demo.update_security_group_rule_descriptions_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8",
                                                                         "Description": "ssh from lan"}]}])
    ec2_demo.update_security_group_rule_descriptions_egress(GroupId=group_id, SecurityGroupRuleDescriptions=[
        {"SecurityGroupRuleId": next(r["SecurityGroupRuleId"] for r in rules if r["IsEgress"]),
         "Description": "https out"}])
    again = {r["SecurityGroupRuleId"]: r for r in ec2_demo.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]}
    assert set(again) == {r["SecurityGroupRuleId"] for r in rules}
    assert again[ssh["SecurityGroupRuleId"]]["Description"] == "ssh from lan"
    assert [r["Description"] for r in again.values() if r["IsEgress"]] == ["https out"]

    # Modify a rule: the new rule replaces the old under the same id.
    ec2_demo.modify_security_group_rules(GroupId=group_id, SecurityGroupRules=[
        {"SecurityGroupRuleId": ssh["SecurityGroupRuleId"], "SecurityGroupRule": {
            "IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv4": "10.1.0.0/16", "Description": "x"}}])
    (modified,) = ec2_demo.describe_security_group_rules(
        SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert (modified["FromPort"], modified["CidrIpv4"], modified["Description"]) == (2222, "10.1.0.0/16", "x")

    # The aws CLI sees the same.
    cli = aws_cli("demo", "describe-security-groups", "--group-ids", group_id)
    assert cli["SecurityGroups"][0]["GroupName"] == name
    cli = aws_cli("demo", "describe-security-group-rules", "--filters", f"Name=group-id,Values={group_id}")
    assert len(cli["SecurityGroupRules"]) == 7

    # Revoke by rule id and by permission (the legacy flat form too), then delete.
    ec2_demo.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=[ssh["SecurityGroupRuleId"]])
    ec2_demo.revoke_security_group_ingress(GroupId=group_id, IpProtocol="tcp", FromPort=443, ToPort=443,
                                           CidrIp="0.0.0.0/0")
    with pytest.raises(ClientError) as e:
        ec2_demo.revoke_security_group_ingress(GroupId=group_id, IpProtocol="tcp", FromPort=443, ToPort=443,
                                               CidrIp="0.0.0.0/0")
    assert _code(e) == "InvalidPermission.NotFound"
    ec2_demo.delete_security_group(GroupId=group_id)
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_security_groups(GroupIds=[group_id])
    assert _code(e) == "InvalidGroup.NotFound"


def test_create_rules_and_names(ec2_demo, make_group):
    name = f"n-{uuid.uuid4().hex[:10]}"
    group_id = make_group(name)
    with pytest.raises(ClientError) as e:
        ec2_demo.create_security_group(GroupName=name, Description="again")
    assert _code(e) == "InvalidGroup.Duplicate"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_security_group(GroupName="sg-12345", Description="x")
    assert _code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_security_group(GroupName="x", Description="x", VpcId="vpc-0123456789abcdef0")
    assert _code(e) == "InvalidVpcID.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_security_group(GroupName="x", Description="x", VpcId="vpc-zz")
    assert _code(e) == "InvalidVpcID.Malformed"
    by_name = ec2_demo.describe_security_groups(GroupNames=[name])["SecurityGroups"]
    assert [g["GroupId"] for g in by_name] == [group_id]
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_security_groups(GroupNames=[f"missing-{name}"])
    assert _code(e) == "InvalidGroup.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_demo.describe_security_groups(GroupIds=["sg-zz"])
    assert _code(e) == "InvalidGroupId.Malformed"
    default = ec2_demo.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    assert default["VpcId"] == ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["VpcId"]
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_security_group(GroupId=default["GroupId"])
    assert _code(e) == "CannotDelete"


def test_filters(ec2_demo, make_group):
    a = make_group()
    b = make_group(Description="filter me")
    ec2_demo.authorize_security_group_ingress(GroupId=b, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 81, "IpRanges": [{"CidrIp": "10.2.0.0/16"}],
         "UserIdGroupPairs": [{"GroupId": a}]}])
    mine = [{"Name": "group-id", "Values": [a, b]}]

    def found(*filters) -> set[str]:
        return {g["GroupId"] for g in ec2_demo.describe_security_groups(Filters=[*mine, *filters])["SecurityGroups"]}

    a_name = ec2_demo.describe_security_groups(GroupIds=[a])["SecurityGroups"][0]["GroupName"]
    assert found({"Name": "description", "Values": ["filter *"]}) == {b}
    assert found({"Name": "ip-permission.cidr", "Values": ["10.2.0.0/16"]}) == {b}
    assert found({"Name": "ip-permission.from-port", "Values": ["80"]}) == {b}
    assert found({"Name": "ip-permission.to-port", "Values": ["81"]}) == {b}
    assert found({"Name": "ip-permission.protocol", "Values": ["tcp"]}) == {b}
    assert found({"Name": "ip-permission.group-id", "Values": [a]}) == {b}
    assert found({"Name": "ip-permission.group-name", "Values": [a_name]}) == {b}
    assert found({"Name": "egress.ip-permission.cidr", "Values": ["0.0.0.0/0"]}) == {a, b}
    assert found({"Name": "egress.ip-permission.ipv6-cidr", "Values": ["::/0"]}) == {a, b}
    assert found({"Name": "ip-permission.prefix-list-id", "Values": ["pl-1"]}) == set()
    assert found({"Name": "group-name", "Values": [a_name]}) == {a}
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_security_group(GroupId=a)   # b's rule refers to it
    assert _code(e) == "DependencyViolation"
    pages = ec2_demo.get_paginator("describe_security_groups").paginate(
        Filters=mine, PaginationConfig={"PageSize": 5})
    assert {g["GroupId"] for p in pages for g in p["SecurityGroups"]} == {a, b}


def test_bad_rules_leave_neutron_unchanged(ec2_demo, make_group, demo_conn):
    group_id = make_group()
    ec2_demo.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    before = _neutron_rules(demo_conn, ec2_demo, group_id)
    good = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}
    bad = [
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 70000, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
         "InvalidParameterValue"),
        ({"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
         "InvalidParameterValue"),
        ({"IpProtocol": "bogus", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, "InvalidParameterValue"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.0.0.300/8"}]},
         "InvalidParameterValue"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.0.0.1/8"}]},
         "InvalidParameterValue"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]},
         "InvalidGroup.NotFound"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupName": "no-such-group"}]},
         "InvalidGroup.NotFound"),
        ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "PrefixListIds": [{"PrefixListId": "pl-12345678"}]},
         "InvalidParameterValue"),
        ({"IpProtocol": "icmp", "FromPort": 300, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
         "InvalidParameterValue"),
        ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
         "InvalidPermission.Duplicate"),
    ]
    for perm, code in bad:
        with pytest.raises(ClientError) as e:
            # The good permission comes first: it must not be left behind.
            ec2_demo.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[good, perm])
        assert _code(e) == code, perm
        assert _neutron_rules(demo_conn, ec2_demo, group_id) == before, perm
    with pytest.raises(ClientError) as e:
        ec2_demo.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}, good])
    assert _code(e) == "InvalidPermission.NotFound"
    assert _neutron_rules(demo_conn, ec2_demo, group_id) == before


def test_isolation(ec2_demo, ec2_alt, make_group):
    group_id = make_group()
    name = ec2_demo.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["GroupName"]
    with pytest.raises(ClientError) as e:
        ec2_alt.describe_security_groups(GroupIds=[group_id])
    assert _code(e) == "InvalidGroup.NotFound"
    assert ec2_alt.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroups"] == []
    with pytest.raises(ClientError) as e:
        ec2_alt.describe_security_groups(GroupNames=[name])
    assert _code(e) == "InvalidGroup.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_alt.delete_security_group(GroupId=group_id)
    assert _code(e) == "InvalidGroup.NotFound"
    alt_group = ec2_alt.create_security_group(GroupName=f"alt-{uuid.uuid4().hex[:8]}", Description="alt")["GroupId"]
    try:
        with pytest.raises(ClientError) as e:   # demo's group in alt's rule
            ec2_alt.authorize_security_group_ingress(GroupId=alt_group, IpPermissions=[
                {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}])
        assert _code(e) == "InvalidGroup.NotFound"
        with pytest.raises(ClientError) as e:
            ec2_alt.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        assert _code(e) == "InvalidGroup.NotFound"
    finally:
        ec2_alt.delete_security_group(GroupId=alt_group)


def test_instance_with_two_groups(ec2_demo, make_group, cloud_info, aws_cli):
    a, b = make_group(), make_group()
    names = {g["GroupId"]: g["GroupName"] for g in ec2_demo.describe_security_groups(GroupIds=[a, b])["SecurityGroups"]}
    image_id = ec2_demo.describe_images(
        Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"][0]["ImageId"]
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                               SecurityGroups=["no-such-group-name"])
    assert _code(e) == "InvalidGroup.NotFound"
    # Ansible's ec2_instance resolves names first; the aws CLI passes them as SecurityGroups.
    run = aws_cli("demo", "run-instances", "--image-id", image_id, "--instance-type", "t3.nano", "--count", "1",
                  "--security-groups", names[a], "--security-group-ids", b)
    instance_id = run["Instances"][0]["InstanceId"]
    try:
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 2,
                                                                                             "MaxAttempts": 90})
        instance = ec2_demo.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        assert sorted((g["GroupId"], g["GroupName"]) for g in instance["SecurityGroups"]) == sorted(names.items())
        with pytest.raises(ClientError) as e:
            ec2_demo.delete_security_group(GroupId=a)   # the instance's port uses it
        assert _code(e) == "DependencyViolation"
        ec2_demo.modify_instance_attribute(InstanceId=instance_id, Groups=[b])
        instance = ec2_demo.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        assert [g["GroupId"] for g in instance["SecurityGroups"]] == [b]
    finally:
        ec2_demo.terminate_instances(InstanceIds=[instance_id])
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 2,
                                                                                                "MaxAttempts": 90})
