"""Ansible's amazon.aws VPC modules against ec2api: the VPC phase twice, then absent; afterwards
nothing of the run is left in Neutron."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def _vpc_ids(ec2, run_id: str) -> list[str]:
    return [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "tag:run", "Values": [run_id]}])["Vpcs"]]


def test_vpc(ansible, ec2_demo, demo_conn, run_id):
    made: list[str] = []
    try:
        ansible.converge("vpc.yml", phase="present")
        made = _vpc_ids(ec2_demo, run_id)
        assert len(made) == 1
        # The route via the interface is the VPC router's extra route to the interface's address.
        router = next(demo_conn.network.routers(name=made[0]))
        assert [(r["destination"], r["nexthop"]) for r in demo_conn.network.get_router(router.id).routes] \
            == [("172.16.0.0/12", "10.42.2.10")]
    finally:
        ansible.converge("vpc.yml", phase="absent")
    assert _vpc_ids(ec2_demo, run_id) == []
    # The VPC's Neutron network, router and default group are named after its id.
    for vpc_id in made:
        assert not list(demo_conn.network.networks(name=vpc_id))
        assert not list(demo_conn.network.routers(name=vpc_id))
        assert not list(demo_conn.network.security_groups(name=f"default-{vpc_id}"))
