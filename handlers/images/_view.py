"""The EC2 ``Image`` of a Glance image: pure mapping, no I/O (unit-tested in tests/unit/test_images_mapping.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ec2api_runtime.codec import ts_iso8601
from ec2api_runtime.timeutil import parse_os_time

DEFAULT_ROOT_DEVICE = "/dev/sda1"
SOURCE_PROPERTY = "ec2api_source_image"     # Glance property naming the image a copy came from
DEPRECATION_PROPERTY = "ec2api_deprecation_time"   # EnableImageDeprecation's time (handlers/images/deprecation.py)
_STATES = {
    "active": "available", "queued": "pending", "saving": "pending", "uploading": "pending",
    "importing": "pending", "killed": "failed", "deactivated": "disabled", "deleted": "deregistered",
    "pending_delete": "deregistered",
}
_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64",
                  "i386": "i386", "i686": "i386", "x86": "i386"}


def ec2_state(glance_status: str | None) -> str:
    """The EC2 ImageState of a Glance image status."""
    return _STATES.get(glance_status or "", "pending")


def architecture(value: str | None) -> str:
    """Glance's ``architecture`` property as an EC2 architecture (x86_64 when unset or unknown)."""
    return _ARCHITECTURES.get((value or "").lower(), "x86_64")


def is_public(image: dict) -> bool:
    """Public in AWS's sense: every account may find and launch it."""
    return image.get("visibility") in ("public", "community")


def glance_bdms(image: dict) -> list[dict]:
    """The ``block_device_mapping`` property (a JSON list, as Nova writes it) of a Glance image."""
    raw = image.get("block_device_mapping")
    if not raw:
        return []
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def is_ebs(image: dict) -> bool:
    """EBS-backed: the image is volume mappings (Nova's ``block_device_mapping``), not a disk of its own."""
    return any(b.get("destination_type") in (None, "volume") for b in glance_bdms(image))


def _device(name: str | None) -> str | None:
    if not name:
        return None
    return name if name.startswith("/dev/") else "/dev/" + name


def root_device_name(image: dict) -> str:
    """The image's root device: Nova's ``root_device_name`` property, else AWS's ``/dev/sda1``."""
    return _device(image.get("root_device_name")) or DEFAULT_ROOT_DEVICE


def deprecation_time(image: dict) -> datetime | None:
    """When the image is (or was) deprecated; None when unset or not a time (set in Glance by hand)."""
    value = image.get(DEPRECATION_PROPERTY)
    try:
        return parse_os_time(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def block_device_mappings(image: dict, snapshot_ids: dict[str, str],
                          volume_type: Callable[[str | None], str] | None = None) -> list[dict]:
    """EC2 BlockDeviceMappings of a Glance image; ``snapshot_ids`` maps Cinder ids to ``snap-`` ids,
    ``volume_type`` a Cinder type name to the EC2 type shown (handlers/_storage.py)."""
    root = root_device_name(image)
    bdms = glance_bdms(image)
    out: list[dict] = []
    for b in bdms:
        if b.get("destination_type") not in (None, "volume"):
            continue
        if b.get("source_type") == "blank" and b.get("guest_format") == "swap":
            continue
        device = _device(b.get("device_name")) or (root if b.get("boot_index") in (0, "0") else None)
        if device is None:
            continue
        ebs: dict[str, Any] = {"DeleteOnTermination": bool(b.get("delete_on_termination", False)),
                               "Encrypted": False}
        if b.get("snapshot_id"):
            ebs["SnapshotId"] = snapshot_ids.get(b["snapshot_id"], "")
        if b.get("volume_size") is not None:
            ebs["VolumeSize"] = int(b["volume_size"])
        ebs["VolumeType"] = volume_type(b.get("volume_type")) if volume_type else b.get("volume_type") or "standard"
        out.append({"DeviceName": device, "Ebs": ebs})
    # An image holding a disk (no volume mappings) is instance-store, as AWS shows such AMIs: no EBS
    # mapping (RunInstances may still map its root device to a volume made of it).
    return out


def image_dict(image: dict, *, image_id: str, owner_account: str, image_tags: list[dict],
               snapshot_ids: dict[str, str], extra_ids: dict[str, str], region: str,
               volume_type: Callable[[str | None], str] | None = None) -> dict[str, Any]:
    """The EC2 ``Image`` of a Glance image (a Glance v2 JSON dict).

    ``extra_ids`` maps other OpenStack ids the image names (kernel, ramdisk, source image, source
    instance) to their EC2 ids.
    """
    name = image.get("name") or ""
    windows = (image.get("os_type") or "").lower() == "windows"
    created = parse_os_time(image.get("created_at"))
    container = image.get("container_format")
    out: dict[str, Any] = {
        "ImageId": image_id,
        "ImageLocation": f"{owner_account}/{name}",
        "State": "failed" if image.get("os_glance_failed_import") else ec2_state(image.get("status")),
        "OwnerId": owner_account,
        "CreationDate": ts_iso8601(created) if created else "",
        "Public": is_public(image),
        "Architecture": architecture(image.get("architecture")),
        "ImageType": {"aki": "kernel", "ari": "ramdisk"}.get(container or "", "machine"),
        "Name": name,
        "RootDeviceName": root_device_name(image),
        "RootDeviceType": "ebs" if is_ebs(image) else "instance-store",
        "VirtualizationType": "hvm",
        "Hypervisor": "xen",
        "BlockDeviceMappings": block_device_mappings(image, snapshot_ids, volume_type),
        "EnaSupport": True,
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
        "ProductCodes": [],
        "Tags": image_tags,
    }
    if windows:
        out["Platform"] = "Windows"
    if image.get("description"):
        out["Description"] = image["description"]
    firmware = (image.get("hw_firmware_type") or "").lower()
    if firmware in ("uefi", "bios"):
        out["BootMode"] = "uefi" if firmware == "uefi" else "legacy-bios"
    for prop, key in (("kernel_id", "KernelId"), ("ramdisk_id", "RamdiskId"),
                      (SOURCE_PROPERTY, "SourceImageId"), ("instance_uuid", "SourceInstanceId")):
        if image.get(prop) and extra_ids.get(image[prop]):
            out[key] = extra_ids[image[prop]]
    deprecated = deprecation_time(image)
    if deprecated:
        out["DeprecationTime"] = ts_iso8601(deprecated)
    if "SourceImageId" in out:
        out["SourceImageRegion"] = region
    if image.get("os_glance_failed_import"):
        out["StateReason"] = {"Code": "Client.InvalidImageLocation",
                              "Message": "Glance could not import the image from its location."}
    elif out["State"] == "failed":
        out["StateReason"] = {"Code": "Server.InternalError",
                              "Message": "The image could not be stored (Glance status killed)."}
    return out
