"""CreateSnapshot, CreateSnapshots, CopySnapshot, DeleteSnapshot, Modify/ResetSnapshotAttribute.

What each checks is checked before Cinder is asked; what was made is undone when a later step
fails (a snapshot whose id and tags cannot be recorded is deleted again; a copy's holder volume is
deleted when its snapshot cannot be made).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from openstack import exceptions as sdk_exc

from ec2api_runtime import honours
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _bulk as bulk
from handlers import _glance as glance
from handlers._storage import snapshot_of, volume_of
from handlers.snapshots import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CopySnapshotRequest,
        CopySnapshotResult,
        CreateSnapshotRequest,
        CreateSnapshotsRequest,
        CreateSnapshotsResult,
        DeleteSnapshotRequest,
        ModifySnapshotAttributeRequest,
        ResetSnapshotAttributeRequest,
        Snapshot,
        Tag,
    )

RESOURCE_TYPE = "snapshot"
HOLDER_WAIT = 120.0   # seconds CopySnapshot waits for its holder volume to be made from the source


def _snapshot(ctx: Any, volume_os_id: str, description: str, new_tags: list[Tag], data: dict | None = None) -> Any:
    """A Cinder snapshot of a volume (attached or not, as AWS allows) with its id, tags and data."""
    snap = ctx.os.block_storage.create_snapshot(volume_id=volume_os_id, description=description, force=True)
    try:
        with ctx.session() as s:
            snapshot_id = ids.ec2_id(s, ctx.project_id, view.KIND, snap.id)
            if new_tags:
                tags.set_tags(s, ctx.project_id, [snapshot_id], new_tags)
            if data:
                ids.set_data(s, ctx.project_id, snapshot_id, data)
    except BaseException:
        ctx.os.block_storage.delete_snapshot(snap.id, ignore_missing=True)
        raise
    return snap


def _present(ctx: Any, snap: Any) -> Any:
    item = view.views(ctx, [snap])[0]
    item["State"] = "pending"   # Cinder answers a create before the snapshot is made
    drop_empty_tags([item])
    return item


@handler("CreateSnapshot", not_found="InvalidVolume.NotFound", honours=("VolumeId", "Description", "TagSpecifications"))
def create_snapshot(ctx: RequestContext, params: CreateSnapshotRequest) -> Snapshot:
    """A snapshot of one of the caller's volumes (``pending`` until Cinder has copied it)."""
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    os_id, volume = volume_of(ctx, params["VolumeId"])
    if volume.status not in ("available", "in-use"):
        raise EC2Error("IncorrectState", f"Volume '{params['VolumeId']}' is not 'available' or 'in-use'.")
    return _present(ctx, _snapshot(ctx, os_id, params.get("Description", ""), new_tags))


def _is_boot(server: bulk.Server, volume: Any) -> bool:
    # A server booted from a volume has no image; its bootable volume is its root (Nova shows the
    # root device name to admins only).
    return not server.image and bool(volume.is_bootable)


@handler("CreateSnapshots", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceSpecification", "Description", "TagSpecifications", "CopyTagsFromSource"))
def create_snapshots(ctx: RequestContext, params: CreateSnapshotsRequest) -> CreateSnapshotsResult:
    """A snapshot of every volume of an instance (less the boot volume / the ones excluded), at once."""
    spec = params["InstanceSpecification"]
    instance_id = spec["InstanceId"]
    ids.require_well_formed("i", [instance_id])
    excluded = spec.get("ExcludeDataVolumeIds") or []
    ids.require_well_formed("vol", excluded)
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    with ctx.session() as s:
        server_id = ids.os_id(s, ctx.project_id, instance_id)
        excluded_os = set(ids.os_ids(s, ctx.project_id, excluded).values())
    bulk.prepare(ctx, "compute")
    server = bulk.server(ctx, server_id) if server_id else None
    if server is None:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    storage = ctx.os.block_storage
    volumes = [bulk.volume(storage, a["id"]) for a in server.attached_volumes if isinstance(a, dict) and a.get("id")]
    chosen = [v for v in volumes if v is not None and v.id not in excluded_os
              and not (spec.get("ExcludeBootVolume") and _is_boot(server, v))]
    with ctx.session() as s:
        vol_ids = ids.ec2_ids(s, ctx.project_id, "vol", [v.id for v in chosen])
        source_tags = tags.tags_for(s, ctx.project_id, vol_ids.values())
    made: list[Any] = []
    try:
        for v in chosen:
            copied = source_tags.get(vol_ids[v.id], []) if params.get("CopyTagsFromSource") == "volume" else []
            merged = {t["Key"]: t for t in [*copied, *new_tags]}
            made.append(_snapshot(ctx, v.id, params.get("Description", ""), list(merged.values())))  # type: ignore[arg-type]
    except BaseException:
        for snap in made:
            storage.delete_snapshot(snap.id, ignore_missing=True)
        raise
    infos: list[Any] = []
    for item in (_present(ctx, snap) for snap in made):
        item.pop("StorageTier")   # the one Snapshot member a SnapshotInfo lacks
        infos.append(item)
    return {"Snapshots": infos}


# PresignedUrl: botocore adds it for cross-region copies; within one cloud it has nothing to authorise.
@handler("CopySnapshot", not_found="InvalidSnapshot.NotFound",
         honours=("SourceRegion", "SourceSnapshotId", "Description", "TagSpecifications", "PresignedUrl",
                  "DestinationRegion"),
         partly={"Encrypted": (False,)})
def copy_snapshot(ctx: RequestContext, params: CopySnapshotRequest) -> CopySnapshotResult:
    """A copy within this cloud: a holder volume from the source, then a snapshot of it."""
    for member in ("SourceRegion", "DestinationRegion"):
        region = params.get(member)
        if region is not None and region != ctx.region:
            raise honours.unsupported(member, region)
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    source_os_id, source = snapshot_of(ctx, params["SourceSnapshotId"], "SourceSnapshotId")
    if source.status != "available":
        raise EC2Error("IncorrectState", f"Snapshot '{params['SourceSnapshotId']}' is not 'completed'.")
    storage = ctx.os.block_storage
    holder = storage.create_volume(size=int(source.size), snapshot_id=source_os_id,
                                   description=f"ec2api: holds a copy of {params['SourceSnapshotId']}")
    try:
        with ctx.session() as s:
            holder_id = ids.ec2_id(s, ctx.project_id, "vol", holder.id)
            ids.set_data(s, ctx.project_id, holder_id, {"hidden": "snapshot copy holder"})
        _wait_volume(storage, holder.id)
        description = params.get("Description", source.description or "")
        snap = _snapshot(ctx, holder.id, description, new_tags, {"holder": holder.id})
    except BaseException:
        storage.delete_volume(holder.id, ignore_missing=True)
        raise
    with ctx.session() as s:
        snapshot_id = ids.ec2_id(s, ctx.project_id, view.KIND, snap.id)
    result: CopySnapshotResult = {"SnapshotId": snapshot_id}
    if new_tags:
        result["Tags"] = new_tags
    return result


def _wait_volume(storage: Any, os_id: str) -> None:
    deadline = time.monotonic() + HOLDER_WAIT
    while True:
        status = storage.get_volume(os_id).status
        if status == "available":
            return
        if status.startswith("error") or time.monotonic() > deadline:
            raise EC2Error("InternalError", "The snapshot could not be copied (Cinder did not make its volume).",
                           status=500)
        time.sleep(0.5)


def _images_using(ctx: Any, os_id: str) -> list[str]:
    """The caller's Glance images whose block device mapping names the Cinder snapshot ``os_id``."""
    out = []
    for image in glance.list_images(ctx, owner=ctx.project_id):
        raw = image.get("block_device_mapping")
        try:
            mappings = json.loads(raw) if isinstance(raw, str) else raw or []
        except ValueError:
            continue
        if any(isinstance(m, dict) and m.get("snapshot_id") == os_id for m in mappings or []):
            out.append(image["id"])
    return out


@handler("DeleteSnapshot", not_found="InvalidSnapshot.NotFound", honours=("SnapshotId",))
def delete_snapshot(ctx: RequestContext, params: DeleteSnapshotRequest) -> None:
    """Delete a snapshot no AMI uses (``InvalidSnapshot.InUse`` otherwise); a copy takes its holder volume."""
    snapshot_id = params["SnapshotId"]
    os_id, snap = snapshot_of(ctx, snapshot_id)
    using = _images_using(ctx, os_id)
    if using:
        with ctx.session() as s:
            ami = glance.image_ids(s, using)
        raise EC2Error("InvalidSnapshot.InUse",
                       f"The snapshot {snapshot_id} is currently in use by {ami[using[0]]}")
    with ctx.session() as s:
        holder = ids.get_data_many(s, ctx.project_id, [snapshot_id]).get(snapshot_id, {}).get("holder")
    storage = ctx.os.block_storage
    if snap.status != "deleting":
        storage.delete_snapshot(os_id)
    if holder:
        _delete_holder(storage, os_id, holder)


def _delete_holder(storage: Any, snapshot_os_id: str, holder: str) -> None:
    """Delete a copy's holder volume once Cinder has deleted the copy (it cannot go before)."""
    deadline = time.monotonic() + HOLDER_WAIT
    while time.monotonic() < deadline:
        try:
            storage.get_snapshot(snapshot_os_id)
        except sdk_exc.NotFoundException:
            storage.delete_volume(holder, ignore_missing=True)
            return
        time.sleep(0.5)


@handler("ModifySnapshotAttribute", not_found="InvalidSnapshot.NotFound",
         honours=("SnapshotId", "Attribute", "OperationType", "UserIds", "GroupNames", "CreateVolumePermission"))
def modify_snapshot_attribute(ctx: RequestContext, params: ModifySnapshotAttributeRequest) -> None:
    """Removing permissions succeeds (nobody holds any); granting one is refused: Cinder cannot share."""
    snapshot_of(ctx, params["SnapshotId"])
    if params.get("Attribute", "createVolumePermission") != "createVolumePermission":
        raise EC2Error("InvalidParameterValue", f"Value ({params['Attribute']}) for parameter attribute is invalid.")
    adds = (params.get("CreateVolumePermission") or {}).get("Add") or []
    if params.get("OperationType") == "add" or adds:
        raise EC2Error("InvalidParameterValue", "Snapshots cannot be shared in this cloud: Cinder keeps each "
                                                "snapshot in its own project (createVolumePermission).")


@handler("ResetSnapshotAttribute", not_found="InvalidSnapshot.NotFound", honours=("SnapshotId", "Attribute"))
def reset_snapshot_attribute(ctx: RequestContext, params: ResetSnapshotAttributeRequest) -> None:
    """Nothing to reset: a snapshot here is never shared."""
    snapshot_of(ctx, params["SnapshotId"])
