"""Ansible's amazon.aws security group and elastic IP modules against ec2api: each phase twice
(the second run changes nothing), then absent; Neutron is checked to hold none of the groups after."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def _groups_of(ec2, run_id: str) -> list[dict]:
    return ec2.describe_security_groups(Filters=[{"Name": "tag:run", "Values": [run_id]}])["SecurityGroups"]


def test_security_groups_and_eips(ansible, ec2_demo, demo_conn, run_id, subnet_id):
    try:
        ansible.converge("security_groups.yml", phase="create", subnet_id=subnet_id)
        made = {g["GroupName"]: g for g in _groups_of(ec2_demo, run_id)}
        web = made[f"{run_id}-web"]
        # What the module asked for is what EC2 shows (and Neutron holds: the second run found it).
        ports = sorted((p.get("FromPort", -1), p["IpProtocol"]) for p in web["IpPermissions"])
        assert ports == [(-1, "-1"), (22, "tcp"), (80, "tcp")], web["IpPermissions"]
        everything = next(p for p in web["IpPermissions"] if p["IpProtocol"] == "-1")
        assert sorted(g["GroupId"] for g in everything["UserIdGroupPairs"]) == sorted(
            [web["GroupId"], made[f"{run_id}-app"]["GroupId"]])
        assert [(p["IpProtocol"], p["FromPort"]) for p in web["IpPermissionsEgress"]] == [("tcp", 443)]
    finally:
        ansible.converge("security_groups.yml", phase="absent", subnet_id=subnet_id)
    assert not _groups_of(ec2_demo, run_id)
    assert not [g for g in demo_conn.network.security_groups() if g.name.startswith(run_id)]
