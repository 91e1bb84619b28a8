"""Ansible's amazon.aws against ec2api: each playbook phase run twice, the second changing nothing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

pytestmark = pytest.mark.cloud


def _public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode() + " e2e"


def test_key_pairs(ansible):
    keys = {"public_key_a": _public_key(), "public_key_b": _public_key()}
    for phase in ("create", "change", "absent"):
        ansible.converge("keys.yml", phase=phase, **keys)
