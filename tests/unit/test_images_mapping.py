"""Pure mappings of handlers/images/ (Glance image -> EC2 Image) and handlers/instance_types.py."""

from __future__ import annotations

import json

import pytest

from handlers import instance_types
from handlers.images import _view as images
from handlers.images.describe import _FILTERS
from handlers.images.register import _disk_format


@pytest.mark.parametrize(("status", "state"), [
    ("active", "available"), ("queued", "pending"), ("saving", "pending"), ("importing", "pending"),
    ("uploading", "pending"), ("killed", "failed"), ("deactivated", "disabled"),
    ("deleted", "deregistered"), ("pending_delete", "deregistered"),
])
def test_states(status: str, state: str) -> None:
    assert images.ec2_state(status) == state


def test_architecture() -> None:
    assert images.architecture(None) == "x86_64"
    assert images.architecture("aarch64") == "arm64"
    assert images.architecture("i686") == "i386"
    assert images.architecture("X86_64") == "x86_64"


GLANCE = {
    "id": "g1", "name": "web", "status": "active", "visibility": "private", "owner": "p1",
    "created_at": "2026-11-26T07:00:00Z", "disk_format": "qcow2", "container_format": "bare",
    "size": 3 * 2**30 + 1, "min_disk": 0, "description": "a web server",
}


def _image(glance: dict, **kw) -> dict:
    args = {"image_id": "ami-0123456789abcdef0", "owner_account": "123456789012", "image_tags": [],
            "snapshot_ids": {}, "extra_ids": {}, "region": "RegionOne", **kw}
    return images.image_dict(glance, **args)


def test_disk_image() -> None:
    out = _image(GLANCE)
    assert out["ImageId"] == "ami-0123456789abcdef0"
    assert out["State"] == "available" and out["Public"] is False
    assert out["CreationDate"] == "2026-11-26T07:00:00.000Z"
    assert out["OwnerId"] == "123456789012" and out["ImageLocation"] == "123456789012/web"
    # A disk image without volume mappings is instance-store, with no EBS mapping (as AWS shows one).
    assert out["RootDeviceName"] == "/dev/sda1" and out["RootDeviceType"] == "instance-store"
    assert out["BlockDeviceMappings"] == []
    assert out["Description"] == "a web server"
    assert out["PlatformDetails"] == "Linux/UNIX" and out["UsageOperation"] == "RunInstances"
    assert "Platform" not in out and "StateReason" not in out


def test_public_windows_failed() -> None:
    out = _image({**GLANCE, "visibility": "community", "os_type": "windows", "status": "killed"})
    assert out["Public"] is True and out["Platform"] == "Windows"
    assert out["State"] == "failed" and out["StateReason"]["Code"]


def test_volume_backed_image() -> None:
    bdm = [{"source_type": "snapshot", "destination_type": "volume", "snapshot_id": "c1", "volume_size": 2,
            "boot_index": 0, "device_name": "/dev/vda", "delete_on_termination": True},
           {"source_type": "blank", "destination_type": "local", "guest_format": "swap"},
           {"source_type": "blank", "destination_type": "volume", "device_name": "vdb", "volume_size": 5,
            "volume_type": "fast"}]
    glance = {**GLANCE, "size": 0, "block_device_mapping": json.dumps(bdm), "root_device_name": "/dev/vda",
              "instance_uuid": "srv1"}
    out = _image(glance, snapshot_ids={"c1": "snap-0123456789abcdef0"}, extra_ids={"srv1": "i-0123456789abcdef0"})
    assert out["RootDeviceName"] == "/dev/vda" and out["RootDeviceType"] == "ebs"
    assert out["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/vda", "Ebs": {"DeleteOnTermination": True, "Encrypted": False,
                                           "SnapshotId": "snap-0123456789abcdef0", "VolumeSize": 2,
                                           "VolumeType": "standard"}},
        {"DeviceName": "/dev/vdb", "Ebs": {"DeleteOnTermination": False, "Encrypted": False, "VolumeSize": 5,
                                           "VolumeType": "fast"}}]
    assert out["SourceInstanceId"] == "i-0123456789abcdef0"


def test_bad_bdm_property_is_ignored() -> None:
    assert images.glance_bdms({"block_device_mapping": "not json"}) == []
    assert images.glance_bdms({"block_device_mapping": "{}"}) == []


def test_volume_types_shown_through_the_mapping() -> None:
    bdm = [{"source_type": "snapshot", "destination_type": "volume", "snapshot_id": "c1", "volume_size": 2,
            "boot_index": 0, "device_name": "/dev/sda1", "volume_type": "fast-ssd"},
           {"source_type": "blank", "destination_type": "volume", "device_name": "/dev/sdf", "volume_size": 4}]
    out = _image({**GLANCE, "block_device_mapping": json.dumps(bdm)},
                 volume_type=lambda t: {"fast-ssd": "io2"}.get(t or "", "gp3"))
    assert [b["Ebs"]["VolumeType"] for b in out["BlockDeviceMappings"]] == ["io2", "gp3"]


def test_filters_extract_from_images() -> None:
    bdm = [{"source_type": "blank", "destination_type": "volume", "device_name": "/dev/sda1", "volume_size": 4,
            "boot_index": 0}]
    out = _image({**GLANCE, "block_device_mapping": json.dumps(bdm)})
    assert _FILTERS["block-device-mapping.volume-size"](out) == [4]
    assert _FILTERS["block-device-mapping.device-name"](out) == ["/dev/sda1"]
    assert _FILTERS["is-public"](out) is False


def test_disk_format_from_url() -> None:
    assert _disk_format("https://example.com/x/cirros.qcow2?sig=1") == "qcow2"
    assert _disk_format("https://example.com/disk") == "raw"


@pytest.mark.parametrize(("name", "burstable", "free"), [
    ("t3.micro", True, True), ("t2.micro", True, True), ("t3a.large", True, False), ("t4g.nano", True, False),
    ("m5.large", False, False), ("c5.xlarge", False, False),
])
def test_instance_type_flags(name: str, burstable: bool, free: bool) -> None:
    info = instance_types.type_info(name, 2, 1024)
    assert info["BurstablePerformanceSupported"] is burstable
    assert info["FreeTierEligible"] is free


def test_instance_type_info() -> None:
    info = instance_types.type_info("m5.xlarge", 4, 16384, ephemeral_gb=0)
    assert info["VCpuInfo"]["DefaultVCpus"] == 4 and info["VCpuInfo"]["DefaultThreadsPerCore"] == 1
    assert info["MemoryInfo"] == {"SizeInMiB": 16384}
    assert info["InstanceStorageSupported"] is False and "InstanceStorageInfo" not in info
    assert info["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"]
    assert info["CurrentGeneration"] is True
    with_disk = instance_types.type_info("m5d.large", 2, 8192, ephemeral_gb=75)
    assert with_disk["InstanceStorageInfo"]["TotalSizeInGB"] == 75
    assert instance_types.type_info("m3.medium", 1, 3840)["CurrentGeneration"] is False
    assert "t3.micro" in instance_types.EC2_INSTANCE_TYPES and "m1.tiny" not in instance_types.EC2_INSTANCE_TYPES


def test_failed_import_is_failed() -> None:
    out = _image({**GLANCE, "status": "queued", "os_glance_failed_import": "file"})
    assert out["State"] == "failed" and out["StateReason"]["Code"] == "Client.InvalidImageLocation"
    assert _image({**GLANCE, "status": "queued", "os_glance_failed_import": ""})["State"] == "pending"
