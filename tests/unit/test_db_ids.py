"""EC2 id format, kinds and error codes (no database)."""

from __future__ import annotations

import re

import pytest

from ec2api_runtime.db import ids


def test_new_ids_are_17_lowercase_hex_digits() -> None:
    made = {ids.new_ec2_id("i") for _ in range(2000)}
    assert len(made) == 2000
    assert all(re.fullmatch(r"i-[0-9a-f]{17}", x) for x in made)
    assert ids.new_ec2_id("eipalloc").startswith("eipalloc-")


@pytest.mark.parametrize(("kind", "ec2_id", "ok"), [
    ("i", "i-0123456789abcdef0", True),
    ("i", "i-12345678", True),                       # AWS's older 8-digit ids
    ("vol", "vol-0123456789abcdef0", True),
    ("i", "i-0123456789ABCDEF0", False),             # upper case
    ("i", "i-0123456789abcdef", False),              # 16 digits
    ("i", "i-1234567", False),
    ("i", "vol-0123456789abcdef0", False),           # other kind
    ("i", "i-0123456789abcdefg", False),
    ("i", " i-12345678", False),
    ("i", "i-12345678\n", False),
    ("ami", "", False),
    ("ami", None, False),
])
def test_is_well_formed(kind: str, ec2_id: str, ok: bool) -> None:
    assert ids.is_well_formed(kind, ec2_id) is ok


def test_kind_of() -> None:
    assert ids.kind_of("eipassoc-0123456789abcdef0") == "eipassoc"
    assert ids.kind_of("tgw-attach-0123456789abcdef0") == "tgw-attach"
    assert ids.kind_of("i-xyz") is None
    assert ids.kind_of("0123456789abcdef0") is None


def test_error_codes() -> None:
    err = ids.not_found("i", "i-12345678")
    assert (err.code, err.status) == ("InvalidInstanceID.NotFound", 400)
    assert "i-12345678" in err.message
    assert ids.malformed("i", "i-xyz").code == "InvalidInstanceID.Malformed"
    assert ids.not_found("vol", "vol-12345678").code == "InvalidVolume.NotFound"
    assert ids.malformed("vol", "vol-x").code == "InvalidVolumeID.Malformed"
    assert ids.malformed("key", "key-x").code == "InvalidParameterValue"   # AWS has no key-pair Malformed code
    assert ids.not_found("ami", "ami-12345678").code == "InvalidAMIID.NotFound"
    assert ids.not_found("sg", "sg-12345678").code == "InvalidGroup.NotFound"
    assert ids.not_found("unknownkind", "unknownkind-12345678").code == "InvalidID"   # AWS's generic code


def test_resource_types() -> None:
    assert ids.kind_info("i").resource_type == "instance"
    assert ids.kind_info("key").resource_type == "key-pair"
    assert ids.kind_info("eipalloc").resource_type == "elastic-ip"
    assert sorted(ids.KINDS_BY_RESOURCE_TYPE["image"]) == ["aki", "ami", "ari"]


def test_bad_kind_rejected() -> None:
    with pytest.raises(ValueError):
        ids.ec2_ids(None, "p", "I", ["x"])  # type: ignore[arg-type]
