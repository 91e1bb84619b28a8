"""Ansible's amazon.aws on EBS: ec2_vol (create, attach, detach, delete), ec2_vol_info, ec2_snapshot and
ec2_snapshot_info, each phase run twice (the second changing nothing), then ``absent``."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def test_volumes_and_snapshots(ansible, subnet_id):
    try:
        for phase in ("create", "attach", "snapshot", "detach"):
            ansible.converge("volumes.yml", phase=phase, subnet_id=subnet_id)
    finally:
        ansible.converge("volumes.yml", phase="absent", subnet_id=subnet_id)
