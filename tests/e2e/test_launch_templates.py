"""Ansible's ec2_launch_template and ec2_instance with launch_template, each phase run twice."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.cloud


def test_launch_templates(ansible, subnet_id):
    common = {"subnet_id": subnet_id}
    try:
        ansible.converge("launch_templates.yml", phase="present", **common)
    finally:
        ansible.converge("launch_templates.yml", phase="absent", **common)
