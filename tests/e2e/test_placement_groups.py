"""Ansible's ec2_placement_group(_info) and ec2_instance with a placement group, each phase twice."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def test_placement_groups(ansible, ec2_demo, subnet_id, run_id):
    common = {"subnet_id": subnet_id}
    try:
        ansible.converge("placement_groups.yml", phase="present", **common)
        groups = ec2_demo.describe_placement_groups(GroupNames=[f"{run_id}-spread"])["PlacementGroups"]
        assert [g["Strategy"] for g in groups] == ["spread"]
    finally:
        ansible.converge("placement_groups.yml", phase="absent", **common)
    left = ec2_demo.describe_placement_groups(Filters=[{"Name": "group-name", "Values": [f"{run_id}-spread"]}])
    assert left["PlacementGroups"] == []
