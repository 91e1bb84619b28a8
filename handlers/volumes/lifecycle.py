"""CreateVolume and DeleteVolume on Cinder.

Everything CreateVolume checks (zone, type, size against the snapshot, performance, tags) is checked
before Cinder is asked; if ec2api cannot record the new volume's id and tags, the Cinder volume is
deleted again. A deleted volume keeps its id mapping, so DescribeVolumes by that id answers
``InvalidVolume.NotFound`` once Cinder has it gone (the ``volume_deleted`` waiter's success).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openstack import exceptions as sdk_exc

from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers._storage import (
    DEFAULT_TYPE,
    check_performance,
    check_size,
    cinder_type,
    snapshot_of,
    volume_of,
    volume_state,
)
from handlers.volumes import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import CreateVolumeRequest, DeleteVolumeRequest, Volume

def _zone(ctx: Any, zone: str | None) -> str:
    """The requested zone, checked against Cinder's zones (where the volume is made)."""
    if not zone:
        raise missing_parameter("AvailabilityZone")
    known = {z.name for z in ctx.os.block_storage.availability_zones()}
    if zone not in known:
        raise EC2Error("InvalidZone.NotFound", f"The zone '{zone}' does not exist.")
    return zone


def _size(params: CreateVolumeRequest, ec2_type: str, snapshot: Any) -> int:
    """The size to create: as asked (within AWS's bounds, not below the snapshot's), else the snapshot's."""
    size = params.get("Size")
    if size is None:
        if snapshot is None:
            raise EC2Error("MissingParameter", "The request must contain the parameter size or snapshotId")
        return int(snapshot.size)
    check_size(size, ec2_type, snapshot, params.get("SnapshotId", ""))
    return size


# Encrypted: only false (this cloud has no encryption volume type; KmsKeyId is refused with it).
@handler("CreateVolume", honours=("AvailabilityZone", "Size", "SnapshotId", "VolumeType", "Iops", "Throughput",
                                  "MultiAttachEnabled", "TagSpecifications"),
         partly={"Encrypted": (False,)})
def create_volume(ctx: RequestContext, params: CreateVolumeRequest) -> Volume:
    """A Cinder volume of the mapped type, blank or from a snapshot (``creating`` until Cinder is done)."""
    zone = _zone(ctx, params.get("AvailabilityZone"))
    ec2_type = params.get("VolumeType", DEFAULT_TYPE)
    multiattach = bool(params.get("MultiAttachEnabled", False))
    vtype = cinder_type(ctx, ec2_type, multiattach)
    check_performance(ec2_type, params.get("Iops"), params.get("Throughput"))
    snapshot_os_id, snapshot = snapshot_of(ctx, params["SnapshotId"]) if params.get("SnapshotId") else (None, None)
    if snapshot is not None and snapshot.status != "available":
        raise EC2Error("IncorrectState", f"Snapshot '{params['SnapshotId']}' is not 'completed'.")
    size = _size(params, ec2_type, snapshot)
    new_tags = tags_from_specs(params.get("TagSpecifications"), "volume")
    attrs: dict = {"size": size, "availability_zone": zone, "volume_type": vtype.name}
    if snapshot_os_id:
        attrs["snapshot_id"] = snapshot_os_id
    volume = ctx.os.block_storage.create_volume(**attrs)
    try:
        with ctx.session() as s:
            volume_id = ids.ec2_id(s, ctx.project_id, view.KIND, volume.id)
            if new_tags:
                tags.set_tags(s, ctx.project_id, [volume_id], new_tags)
        result: Any = view.views(ctx, [volume])[0]
    except BaseException:
        ctx.os.block_storage.delete_volume(volume.id, ignore_missing=True)
        raise
    drop_empty_tags([result])
    result["State"] = "creating"   # Cinder answers a create before the volume exists
    return result


@handler("DeleteVolume", not_found="InvalidVolume.NotFound", honours=("VolumeId",))
def delete_volume(ctx: RequestContext, params: DeleteVolumeRequest) -> None:
    """Delete an unattached volume; an attached one is ``VolumeInUse``, as on AWS."""
    volume_id = params["VolumeId"]
    os_id, volume = volume_of(ctx, volume_id)
    if volume.attachments or volume.status in ("in-use", "attaching", "detaching", "reserved"):
        with ctx.session() as s:
            servers = [a.get("server_id") for a in volume.attachments or [] if a.get("server_id")]
            instance_ids = ids.ec2_ids(s, ctx.project_id, "i", servers)
        where = f" to {', '.join(instance_ids.values())}" if instance_ids else ""
        raise EC2Error("VolumeInUse", f"Volume {volume_id} is currently attached{where}")
    if volume.status in ("deleting", "error_deleting"):
        return
    if volume.status not in ("available", "error", "error_restoring", "error_extending"):
        raise EC2Error("IncorrectState", f"Volume {volume_id} is in the '{volume_state(volume.status)}' state.")
    try:
        ctx.os.block_storage.delete_volume(os_id)
    except sdk_exc.BadRequestException:
        # Cinder keeps a snapshot inside its volume: a volume with snapshots cannot go before them
        # (Cinder filters snapshots by volume only in memory here, so the listing is made on refusal only).
        if any(snap.volume_id == os_id for snap in ctx.os.block_storage.snapshots()):
            raise EC2Error("VolumeInUse", f"Volume {volume_id} has snapshots; this cloud (Cinder) deletes a "
                                          "volume only after its snapshots are deleted") from None
        raise
