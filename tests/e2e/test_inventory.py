"""The amazon.aws.aws_ec2 inventory plugin over instances launched with boto3: ``ansible-inventory
--list`` with endpoint_url, regions, tag filters, hostnames from a tag and groups keyed by tags."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.test_ansible import _unwrap

pytestmark = pytest.mark.cloud

FAST = {"Delay": 2, "MaxAttempts": 90}


@pytest.fixture
def two_instances(ec2_demo, test_image_id):
    """Two running instances tagged for this test: ``{Name: instance}``, terminated afterwards."""
    run = f"inv-{uuid.uuid4().hex[:8]}"
    roles = {f"{run}-web": ("web", "front"), f"{run}-db": ("db", "back")}
    launched = []
    try:
        for name, (role, tier) in roles.items():
            tags = [{"Key": "Name", "Value": name}, {"Key": "inventory-run", "Value": run},
                    {"Key": "role", "Value": role}, {"Key": "tier", "Value": tier}]
            launched.append(ec2_demo.run_instances(
                ImageId=test_image_id, InstanceType="t3.nano", MinCount=1, MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"][0]["InstanceId"])
        ec2_demo.get_waiter("instance_running").wait(InstanceIds=launched, WaiterConfig=FAST)
        found = [i for r in ec2_demo.describe_instances(InstanceIds=launched)["Reservations"] for i in r["Instances"]]
        yield run, {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i for i in found}
    finally:
        if launched:
            ec2_demo.terminate_instances(InstanceIds=launched)
            ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=launched, WaiterConfig=FAST)


def test_inventory_lists_both_hosts_with_tag_groups(ansible, two_instances):
    run, instances = two_instances
    ansible.env["E2E_INVENTORY_RUN"] = run
    listed = _unwrap(ansible.inventory("inventory_tags.aws_ec2.yml"))
    web, db = f"{run}-web", f"{run}-db"
    assert sorted(listed["aws_ec2"]["hosts"]) == sorted([web, db])
    assert listed["role_web"]["hosts"] == [web] and listed["role_db"]["hosts"] == [db]
    assert listed["tier_front"]["hosts"] == [web] and listed["tier_back"]["hosts"] == [db]
    for name, instance in instances.items():
        hostvars = listed["_meta"]["hostvars"][name]
        assert hostvars["instance_id"] == instance["InstanceId"]
        assert hostvars["private_ip_address"] == instance["PrivateIpAddress"]
        assert hostvars["tags"] == {t["Key"]: t["Value"] for t in instance["Tags"]}
        assert hostvars["state"]["name"] == "running"
        assert hostvars["instance_type"] == "t3.nano"
        assert hostvars["placement"]["availability_zone"] == instance["Placement"]["AvailabilityZone"]
        assert hostvars["monitoring"]["state"] == "disabled"
        assert hostvars["metadata_options"]["http_tokens"] == "optional"
