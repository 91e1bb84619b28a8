"""Placement groups on Nova server groups: spread puts instances on different compute hosts,
cluster on one; names, ids, filters, InUse, partition refused, another project's view."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration._kit import FAST, code_of

pytestmark = pytest.mark.cloud


@pytest.fixture
def groups(ec2_demo):
    made: list[str] = []
    yield made
    for name in made:
        try:
            ec2_demo.delete_placement_group(GroupName=name)
        except ClientError:
            pass


def _hosts(admin_conn, ec2_demo, instance_ids, demo_conn) -> list[str]:
    """The compute host of each instance, as the admin sees it."""
    out = []
    for r in ec2_demo.describe_instances(InstanceIds=instance_ids)["Reservations"]:
        for i in r["Instances"]:
            name = [t["Value"] for t in i.get("Tags", []) if t["Key"] == "Name"][0]
            server = next(s for s in demo_conn.compute.servers(name=name))
            out.append(admin_conn.compute.get_server(server.id).compute_host)
    return out


@pytest.mark.parametrize("strategy", ["spread", "cluster"])
def test_strategy_places_instances(ec2_demo, ec2_alt, admin_conn, demo_conn, image_id, groups, launched, strategy):
    name = f"pg-{strategy}-{uuid.uuid4().hex[:8]}"
    made = ec2_demo.create_placement_group(GroupName=name, Strategy=strategy, TagSpecifications=[
        {"ResourceType": "placement-group", "Tags": [{"Key": "marker", "Value": name}]}])["PlacementGroup"]
    groups.append(name)
    assert made["GroupId"].startswith("pg-") and made["Strategy"] == strategy and made["State"] == "available"
    with pytest.raises(ClientError) as e:
        ec2_demo.create_placement_group(GroupName=name, Strategy=strategy)
    assert code_of(e) == "InvalidPlacementGroup.Duplicate"
    by_id = ec2_demo.describe_placement_groups(GroupIds=[made["GroupId"]])["PlacementGroups"]
    assert [g["GroupName"] for g in by_id] == [name]
    by_filter = ec2_demo.describe_placement_groups(Filters=[{"Name": "tag:marker", "Values": [name]},
                                                            {"Name": "strategy", "Values": [strategy]}])
    assert [g["GroupId"] for g in by_filter["PlacementGroups"]] == [made["GroupId"]]
    tag = uuid.uuid4().hex[:8]
    for n, spec in enumerate([{"GroupName": name}, {"GroupId": made["GroupId"]}]):
        run = ec2_demo.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                                     Placement=spec, TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                         {"Key": "Name", "Value": f"{tag}-{n}"}]}])
        launched.append(run["Instances"][0]["InstanceId"])
    ec2_demo.get_waiter("instance_running").wait(InstanceIds=launched, WaiterConfig=FAST)
    found = [i for r in ec2_demo.describe_instances(InstanceIds=launched)["Reservations"] for i in r["Instances"]]
    assert {i["Placement"]["GroupName"] for i in found} == {name}
    in_group = ec2_demo.describe_instances(Filters=[{"Name": "placement-group-name", "Values": [name]}])
    assert sorted(i["InstanceId"] for r in in_group["Reservations"] for i in r["Instances"]) == sorted(launched)
    hosts = _hosts(admin_conn, ec2_demo, launched, demo_conn)
    assert len(set(hosts)) == (2 if strategy == "spread" else 1), hosts
    with pytest.raises(ClientError) as e:
        ec2_demo.delete_placement_group(GroupName=name)
    assert code_of(e) == "InvalidPlacementGroup.InUse"
    # Another project neither sees nor uses it.
    with pytest.raises(ClientError) as e:
        ec2_alt.describe_placement_groups(GroupIds=[made["GroupId"]])
    assert code_of(e) == "InvalidPlacementGroupId.NotFound"
    with pytest.raises(ClientError) as e:
        ec2_alt.delete_placement_group(GroupName=name)
    assert code_of(e) == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as e:
        ec2_alt.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, Placement={"GroupId": made["GroupId"]})
    assert code_of(e) == "InvalidPlacementGroup.Unknown"


def test_partition_and_unknown_refused(ec2_demo, image_id, aws_cli):
    with pytest.raises(ClientError) as e:
        ec2_demo.create_placement_group(GroupName=f"pg-{uuid.uuid4().hex[:8]}", Strategy="partition",
                                        PartitionCount=2)
    assert code_of(e) == "InvalidParameterValue" and "PartitionCount" in str(e.value)
    with pytest.raises(ClientError) as e:
        ec2_demo.create_placement_group(GroupName=f"pg-{uuid.uuid4().hex[:8]}", Strategy="partition")
    assert code_of(e) == "InvalidParameterValue" and "partition" in str(e.value)
    with pytest.raises(ClientError) as e:
        ec2_demo.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, Placement={"GroupName": "no-such-group"})
    assert code_of(e) == "InvalidPlacementGroup.Unknown"
    name = f"pg-cli-{uuid.uuid4().hex[:8]}"
    aws_cli("demo", "create-placement-group", "--group-name", name, "--strategy", "spread")
    try:
        out = aws_cli("demo", "describe-placement-groups", "--group-names", name)["PlacementGroups"]
        assert out[0]["Strategy"] == "spread" and out[0]["SpreadLevel"] == "host"
    finally:
        aws_cli("demo", "delete-placement-group", "--group-name", name)
    assert aws_cli("demo", "describe-placement-groups", "--filters", f"Name=group-name,Values={name}")[
        "PlacementGroups"] == []
