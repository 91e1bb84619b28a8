"""Ansible's amazon.aws ec2_instance with EBS volumes: launch (twice, the second changing nothing), then
``absent``, which terminates the instance and deletes the volume kept after termination."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def test_instance_with_volumes(ansible, subnet_id):
    try:
        ansible.converge("ebs_instance.yml", phase="launch", subnet_id=subnet_id)
    finally:
        ansible.converge("ebs_instance.yml", phase="absent", subnet_id=subnet_id)
