"""What the volume and snapshot areas share: EC2 volume types on Cinder types, states, lookups.

Volume types: each EC2 type maps to the Cinder type of the same name unless the ``volume_types``
setting names another (README "Configuration"); MultiAttachEnabled volumes use the Cinder type of
``multiattach_volume_types`` (default ``<type>-multiattach``, which must say ``multiattach <is>
True``). A volume shows the EC2 type whose Cinder type it has; Cinder types no EC2 type maps to (the
cloud's default type, which Nova uses for RunInstances' volumes) show as ``gp3``.
"""

from __future__ import annotations

from typing import Any

from openstack import exceptions as sdk_exc

from ec2api_runtime import honours
from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error

EC2_TYPES = ("standard", "io1", "io2", "gp2", "sc1", "st1", "gp3")
MULTIATTACH_TYPES = ("io1", "io2")    # AWS offers Multi-Attach on Provisioned IOPS volumes only
DEFAULT_TYPE = "gp2"                  # AWS's CreateVolume default
SHOWN_FOR_UNMAPPED = "gp3"
# What a gp3 volume reports (AWS's gp3 baseline); the only Iops/Throughput values honoured, since
# Cinder sets performance per volume type (QoS specs), never per volume.
GP3_IOPS, GP3_THROUGHPUT = 3000, 125
# AWS's size bounds (GiB) per volume type.
SIZE_BOUNDS = {"standard": (1, 1024), "gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384),
               "io2": (4, 65536), "st1": (125, 16384), "sc1": (125, 16384)}

_VOLUME_STATES = {
    "creating": "creating", "available": "available", "reserved": "available", "attaching": "in-use",
    "detaching": "in-use", "in-use": "in-use", "maintenance": "in-use", "deleting": "deleting",
    "error": "error", "error_deleting": "error", "error_extending": "error", "backing-up": "in-use",
    "restoring-backup": "creating", "error_restoring": "error", "extending": "in-use",
    "downloading": "creating", "uploading": "in-use", "retyping": "in-use", "awaiting-transfer": "available"}
_SNAPSHOT_STATES = {"creating": "pending", "available": "completed", "backing-up": "completed",
                    "deleting": "pending", "restoring": "completed", "unmanaging": "pending",
                    "error": "error", "error_deleting": "error"}


def volume_state(status: str | None) -> str:
    """EC2's volume state for a Cinder volume status."""
    return _VOLUME_STATES.get((status or "").lower(), "error")


def snapshot_state(status: str | None) -> str:
    """EC2's snapshot state for a Cinder snapshot status."""
    return _SNAPSHOT_STATES.get((status or "").lower(), "error")


def cinder_type_name(config: Any, ec2_type: str, multiattach: bool = False) -> str:
    """The Cinder type name configured for an EC2 volume type."""
    if multiattach:
        return (getattr(config, "multiattach_volume_types", None) or {}).get(ec2_type, f"{ec2_type}-multiattach")
    return (getattr(config, "volume_types", None) or {}).get(ec2_type, ec2_type)


def ec2_type_name(config: Any, cinder_type: str | None) -> str:
    """The EC2 volume type shown for a volume of Cinder type ``cinder_type``."""
    for ec2_type in EC2_TYPES:
        if cinder_type in (cinder_type_name(config, ec2_type), cinder_type_name(config, ec2_type, True)):
            return ec2_type
    return SHOWN_FOR_UNMAPPED


def cinder_type(ctx: Any, ec2_type: str, multiattach: bool = False, member: str = "VolumeType") -> Any:
    """The Cinder volume type for an EC2 type, checked to exist (and to multi-attach when asked);
    ``InvalidParameterValue`` naming ``member`` otherwise."""
    if ec2_type not in EC2_TYPES:
        raise EC2Error("InvalidParameterValue", f"Value ({ec2_type}) for parameter {member} is invalid.")
    if multiattach and ec2_type not in MULTIATTACH_TYPES:
        raise EC2Error("InvalidParameterCombination",
                       f"Multi-Attach is supported only for io1 and io2 volumes, not for {ec2_type}.")
    name = cinder_type_name(ctx.config, ec2_type, multiattach)
    found = next((t for t in ctx.os.block_storage.types() if t.name == name), None)
    if found is None:
        raise honours.unsupported("MultiAttachEnabled" if multiattach else member,
                                  True if multiattach else ec2_type)
    if multiattach and str((found.extra_specs or {}).get("multiattach", "")).lower() != "<is> true":
        raise honours.unsupported("MultiAttachEnabled", True)
    return found


def check_performance(ec2_type: str, iops: int | None, throughput: int | None) -> None:
    """Refuse Iops/Throughput the type does not take (AWS's rule) or this cloud cannot set."""
    if iops is not None:
        if ec2_type not in ("io1", "io2", "gp3"):
            raise EC2Error("InvalidParameterCombination",
                           f"The parameter iops is not supported for {ec2_type} volumes.")
        if ec2_type != "gp3" or iops != GP3_IOPS:
            raise honours.unsupported("Iops", iops)
    if throughput is not None:
        if ec2_type != "gp3":
            raise EC2Error("InvalidParameterCombination",
                           f"The parameter throughput is not supported for {ec2_type} volumes.")
        if throughput != GP3_THROUGHPUT:
            raise honours.unsupported("Throughput", throughput)


def check_size(size: int, ec2_type: str, snapshot: Any = None, snapshot_id: str = "") -> None:
    """AWS's size rules: within the type's bounds, and not below the snapshot's size."""
    low, high = SIZE_BOUNDS[ec2_type]
    if size < low:
        raise EC2Error("InvalidParameterValue", f"Volume of {size}GiB is too small; minimum is {low}GiB.")
    if size > high:
        raise EC2Error("InvalidParameterValue", f"Volume of {size}GiB is too large; maximum is {high}GiB.")
    if snapshot is not None and size < int(snapshot.size):
        raise EC2Error("InvalidParameterValue",
                       f"Volume of {size}GiB is smaller than snapshot '{snapshot_id}', "
                       f"expect size >= {int(snapshot.size)}GiB")


def check_snapshot_type(ctx: Any, snapshot: Any, cinder_type_name: str, member: str) -> None:
    """Refuse a volume type other than the snapshot's own where Nova would make the volume later.

    Cinder makes a volume of a snapshot in another type only where it could retype between them
    (the same backend); Nova asks it during the build, so a refusal there would be an instance in
    ``error`` after RunInstances succeeded. The type of the snapshot's volume is the one known to
    work (a deleted volume's is not known: then Cinder decides)."""
    try:
        source = ctx.os.block_storage.get_volume(snapshot.volume_id) if snapshot.volume_id else None
    except sdk_exc.NotFoundException:
        source = None
    if source is not None and source.volume_type and source.volume_type != cinder_type_name:
        raise EC2Error("InvalidParameterValue",
                       f"The parameter {member} must be the snapshot's own volume type here "
                       f"({ec2_type_name(ctx.config, source.volume_type)}): this cloud (Cinder) cannot "
                       "make a volume of the snapshot in another type.")


def volume_of(ctx: Any, volume_id: str) -> tuple[str, Any]:
    """``(cinder id, volume)`` of the caller's ``vol-`` id; ``InvalidVolume.NotFound`` if it is not theirs."""
    ids.require_well_formed("vol", [volume_id])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, volume_id)
    volume = None
    if os_id is not None:
        try:
            volume = ctx.os.block_storage.get_volume(os_id)
        except sdk_exc.NotFoundException:
            volume = None
    if volume is None:
        raise EC2Error("InvalidVolume.NotFound", f"The volume '{volume_id}' does not exist.")
    return os_id or "", volume


def snapshot_of(ctx: Any, snapshot_id: str, member: str = "SnapshotId") -> tuple[str, Any]:
    """``(cinder id, snapshot)`` of the caller's ``snap-`` id; ``InvalidSnapshot.NotFound`` otherwise."""
    ids.require_well_formed("snap", [snapshot_id])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, snapshot_id)
    snapshot = None
    if os_id is not None:
        try:
            snapshot = ctx.os.block_storage.get_snapshot(os_id)
        except sdk_exc.NotFoundException:
            snapshot = None
    if snapshot is None:
        raise EC2Error("InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.")
    return os_id or "", snapshot
