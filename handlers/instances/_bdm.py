"""RunInstances' BlockDeviceMappings as Nova ``block_device_mapping_v2``, checked before anything is made.

The root device is the image's (``root_device_name``, else ``/dev/sda1``; the usual aliases of it
too). A plain Glance image boots from its local disk (instance-store) unless the request maps its
root device to EBS: then Nova makes a volume of the image (or of the snapshot named) and boots
from it. An EBS-backed AMI (a Glance image with Nova's ``block_device_mapping`` property) boots
from volumes made from its snapshots; request mappings override its entries by device name, and
``NoDevice`` drops one. Every snapshot is read as the caller (another project's is not found),
every type checked against Cinder's and every size against the snapshot's, as CreateVolume does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from openstack import exceptions as sdk_exc

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.openstack import checked
from handlers._storage import (
    check_performance,
    check_size,
    check_snapshot_type,
    cinder_type,
    ec2_type_name,
    snapshot_of,
)
from handlers.images._view import glance_bdms, root_device_name

ROOT_ALIASES = ("/dev/sda1", "/dev/xvda", "/dev/sda", "/dev/vda")
SHOWN_DEFAULT = "gp3"   # what a volume of Cinder's default type shows as (handlers/_storage.py)


def _device(name: str | None) -> str:
    if not name:
        return ""
    return name if name.startswith("/dev/") else "/dev/" + name


def _is_root(device: str, root: str) -> bool:
    return device == root or (root in ROOT_ALIASES and device in ROOT_ALIASES)


def _image_size_gib(image: dict) -> int:
    return max(int(image.get("min_disk") or 0), math.ceil((image.get("size") or 0) / 2**30), 1)


def _ami_entries(ctx: Any, image: dict, root: str) -> dict[str, dict]:
    """``{device: entry}`` of an EBS-backed AMI's volumes, its snapshots checked as the caller."""
    out: dict[str, dict] = {}
    storage = ctx.os.block_storage
    for b in glance_bdms(image):
        if b.get("destination_type") not in (None, "volume") or b.get("no_device"):
            continue
        device = _device(b.get("device_name")) or (root if b.get("boot_index") in (0, "0") else "")
        if not device:
            continue
        entry: dict[str, Any] = {"device_name": device, "destination_type": "volume",
                                 "delete_on_termination": bool(b.get("delete_on_termination", False)),
                                 "_type": ec2_type_name(ctx.config, b.get("volume_type"))
                                 if b.get("volume_type") else SHOWN_DEFAULT}
        if b.get("volume_type"):
            entry["volume_type"] = b["volume_type"]
        if b.get("snapshot_id"):
            snapshot = _snapshot_or_none(storage, b["snapshot_id"])
            if snapshot is None:
                # Cinder keeps snapshots in their project: another account's AMI cannot be booted here.
                raise EC2Error("UnsupportedOperation",
                               f"The image '{image.get('id')}' is backed by snapshots of another account; "
                               "this cloud (Cinder) cannot make volumes of them.")
            if snapshot.status != "available":
                raise EC2Error("IncorrectState", "A snapshot of the image is not 'completed'.")
            entry.update(source_type="snapshot", uuid=snapshot.id, _snapshot=snapshot,
                         volume_size=int(b.get("volume_size") or snapshot.size))
        elif b.get("volume_size"):
            entry.update(source_type="blank", volume_size=int(b["volume_size"]))
        else:
            continue
        out[device] = entry
    return out


def _snapshot_or_none(storage: Any, snapshot_id: str) -> Any:
    try:
        return storage.get_snapshot(snapshot_id)
    except sdk_exc.NotFoundException:
        return None


def _apply_ebs(ctx: Any, entry: dict, ebs: dict, n: int, image: dict, root: bool) -> None:
    """Fold one request mapping's Ebs into ``entry`` (new, or the AMI's entry for that device)."""
    member = f"BlockDeviceMappings.{n}.Ebs"
    if ebs.get("VolumeType"):
        vtype = cinder_type(ctx, ebs["VolumeType"], member=f"{member}.VolumeType")
        entry.update(volume_type=vtype.name, _type=ebs["VolumeType"], _member=f"{member}.VolumeType")
    entry.setdefault("_type", SHOWN_DEFAULT)
    check_performance(entry["_type"], ebs.get("Iops"), ebs.get("Throughput"))
    if ebs.get("SnapshotId"):
        os_id, snapshot = snapshot_of(ctx, ebs["SnapshotId"], f"{member}.SnapshotId")
        if snapshot.status != "available":
            raise EC2Error("IncorrectState", f"Snapshot '{ebs['SnapshotId']}' is not 'completed'.")
        entry.update(source_type="snapshot", uuid=os_id, _snapshot=snapshot, _snapshot_id=ebs["SnapshotId"])
        entry.setdefault("volume_size", int(snapshot.size))
    elif "source_type" not in entry:
        if root:
            entry.update(source_type="image", uuid=image["id"], volume_size=_image_size_gib(image))
        elif not ebs.get("VolumeSize"):
            raise EC2Error("MissingParameter", f"The request must contain the parameter size or snapshotId "
                                               f"({member})")
        else:
            entry["source_type"] = "blank"
    if ebs.get("VolumeSize"):
        entry["volume_size"] = int(ebs["VolumeSize"])
    if "DeleteOnTermination" in ebs:
        entry["delete_on_termination"] = bool(ebs["DeleteOnTermination"])
    if entry.get("volume_size") is not None:
        snapshot = entry.get("_snapshot")
        label = entry.get("_snapshot_id") or ""
        if snapshot is not None and not label:
            with ctx.session() as s:
                label = ids.ec2_id(s, ctx.project_id, "snap", snapshot.id)
        check_size(entry["volume_size"], entry["_type"], snapshot, label)
        if entry["source_type"] == "image" and entry["volume_size"] < _image_size_gib(image):
            raise EC2Error("InvalidParameterValue", f"Volume of {entry['volume_size']}GiB is smaller than the "
                                                    f"image, expect size >= {_image_size_gib(image)}GiB")


def launch_mappings(ctx: Any, mappings: Sequence[Any], image: dict) -> tuple[list[dict] | None, str, bool]:
    """``(block_device_mapping_v2 or None, root device name, boots from a volume)``."""
    root = root_device_name(image)
    by_device = _ami_entries(ctx, image, root)
    ami_root = next((d for d in by_device if _is_root(d, root)), None)
    for n, m in enumerate(mappings, start=1):
        device = m.get("DeviceName")
        if not device:
            raise missing_parameter(f"BlockDeviceMappings.{n}.DeviceName")
        device = _device(device)
        is_root = _is_root(device, root)
        if "NoDevice" in m:
            if m.get("Ebs"):
                raise EC2Error("InvalidParameterCombination",
                               f"BlockDeviceMappings.{n}: NoDevice and Ebs cannot be given together.")
            if is_root:
                raise EC2Error("InvalidParameterValue", f"The root device {device} cannot be suppressed (NoDevice).")
            by_device.pop(device, None)   # AWS: an AMI mapping suppressed, or nothing to suppress
            continue
        ebs = m.get("Ebs")
        if not ebs:
            raise EC2Error("InvalidParameterValue", f"BlockDeviceMappings.{n} for {device} needs Ebs or NoDevice.")
        key = ami_root if is_root and ami_root else device
        entry = by_device.get(key) or {"device_name": device, "destination_type": "volume",
                                       "delete_on_termination": True}
        _apply_ebs(ctx, entry, ebs, n, image, is_root)
        by_device[key] = entry
    if not by_device:
        return None, root, False
    out: list[dict] = []
    boots_from_volume = False
    for device, entry in by_device.items():
        if entry.get("_snapshot") is not None and entry.get("volume_type"):
            check_snapshot_type(ctx, entry["_snapshot"], entry["volume_type"],
                                entry.get("_member", f"the image's mapping of {device}: VolumeType"))
        nova = {k: v for k, v in entry.items() if not k.startswith("_")}
        if _is_root(device, root):
            nova["boot_index"] = 0
            boots_from_volume = True
            out.insert(0, nova)
        else:
            nova["boot_index"] = -1
            out.append(nova)
    if not boots_from_volume:
        out.insert(0, {"boot_index": 0, "uuid": image["id"], "source_type": "image", "destination_type": "local",
                       "delete_on_termination": True})
    return out, root, boots_from_volume


def set_delete_on_termination(ctx: Any, server_id: str, instance: dict, mappings: Sequence[Any]) -> None:
    """ModifyInstanceAttribute BlockDeviceMappings: DeleteOnTermination of attached volumes (Nova's
    volume attachment update, microversion 2.85). Every mapping is checked before any is changed."""
    attached = {d["DeviceName"]: d["Ebs"]["VolumeId"] for d in instance.get("BlockDeviceMappings") or []}
    changes: list[tuple[str, bool]] = []
    for n, m in enumerate(mappings, start=1):
        device = m.get("DeviceName")
        if not device:
            raise missing_parameter(f"BlockDeviceMappings.{n}.DeviceName")
        ebs = m.get("Ebs") or {}
        volume_id = attached.get(device)
        if volume_id is None:
            raise EC2Error("InvalidParameterValue",
                           f"The device '{device}' is not attached to instance {instance['InstanceId']}.")
        if ebs.get("VolumeId") and ebs["VolumeId"] != volume_id:
            raise EC2Error("InvalidParameterValue",
                           f"The volume '{ebs['VolumeId']}' is not the one attached as {device} ({volume_id}).")
        if "DeleteOnTermination" in ebs:
            changes.append((volume_id, bool(ebs["DeleteOnTermination"])))
    if not changes:
        return
    with ctx.session() as s:
        os_ids = ids.os_ids(s, ctx.project_id, [v for v, _ in changes])
    for volume_id, flag in changes:
        cinder_id = os_ids[volume_id]
        resp = ctx.os.compute.put(f"/servers/{server_id}/os-volume_attachments/{cinder_id}", json={
            "volumeAttachment": {"volumeId": cinder_id, "delete_on_termination": flag}}, microversion="2.85")
        checked(resp)
