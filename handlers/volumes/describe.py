"""Volumes on Cinder: DescribeVolumes (what Terraform reads for an instance's block devices).

One Cinder list call per request, or by ids one GET per volume asked for (cost follows the result);
attachment server ids map to the caller's ``i-`` ids in bulk.
Cinder volume types are not EC2's: every volume reports ``gp3``, except ones whose Cinder type is
named like an EC2 type (``gp2``, ``io1``, ...), which report that name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe, parallel
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import DescribeVolumesRequest, DescribeVolumesResult

KIND = "vol"
BY_ID_LIMIT = 20   # up to this many servers are fetched one GET each (in parallel) rather than listed
EC2_TYPES = {"standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"}
_STATES = {"creating": "creating", "available": "available", "reserved": "available", "attaching": "in-use",
           "detaching": "in-use", "in-use": "in-use", "maintenance": "in-use", "deleting": "deleting",
           "error": "error", "error_deleting": "error", "error_extending": "error", "backing-up": "in-use",
           "restoring-backup": "creating", "error_restoring": "error", "extending": "in-use",
           "downloading": "creating", "uploading": "in-use", "retyping": "in-use",
           "awaiting-transfer": "available"}


def volume_state(status: str | None) -> str:
    """EC2's volume state for a Cinder status."""
    return _STATES.get((status or "").lower(), "error")


def _volume_type(volume: Any) -> str:
    name = (volume.volume_type or "").lower()
    return name if name in EC2_TYPES else "gp3"


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The EC2 views of the caller's volumes, or of the requested ones only."""
    requested = wanted["VolumeIds"]
    volumes = _volumes(ctx, requested)
    server_ids = {a.get("server_id") for v in volumes for a in v.attachments or [] if a.get("server_id")}
    snapshot_ids = {v.snapshot_id for v in volumes if v.snapshot_id}
    with ctx.session() as s:
        vol_ids = ids.ec2_ids(s, ctx.project_id, KIND, [v.id for v in volumes])
        instance_ids = ids.ec2_ids(s, ctx.project_id, "i", server_ids)
        snap_ids = ids.ec2_ids(s, ctx.project_id, "snap", snapshot_ids)
        tags_of = tags.tags_for(s, ctx.project_id, vol_ids.values())
    # The attached servers by id when they are few (a Describe by id, or a filter that found a
    # few), else the project's servers in one listing.
    by_id = len(server_ids) <= BY_ID_LIMIT
    delete_on_termination = _delete_on_termination(ctx, server_ids if by_id else None) if server_ids else {}
    items = []
    for v in volumes:
        volume_id = vol_ids[v.id]
        attachments = [{
            "VolumeId": volume_id,
            "InstanceId": instance_ids.get(a.get("server_id"), ""),
            "Device": a.get("device") or "",
            "State": "attached",
            "AttachTime": parse_os_time(a.get("attached_at")),
            "DeleteOnTermination": delete_on_termination.get((a.get("server_id"), v.id), False),
        } for a in v.attachments or []]
        for a in attachments:
            if a["AttachTime"] is None:
                del a["AttachTime"]
        item = {
            "VolumeId": volume_id, "Size": int(v.size or 0), "AvailabilityZone": v.availability_zone or "",
            "State": volume_state(v.status), "Attachments": attachments, "VolumeType": _volume_type(v),
            "Encrypted": bool(v.is_encrypted), "MultiAttachEnabled": bool(v.is_multiattach),
            "Tags": tags_of.get(volume_id, []),
            "SnapshotId": snap_ids.get(v.snapshot_id, "") if v.snapshot_id else "",
        }
        created = parse_os_time(v.created_at)
        if created is not None:
            item["CreateTime"] = created
        if item["VolumeType"] == "gp3":
            item.update(Iops=3000, Throughput=125)
        items.append(item)
    return items


DESCRIBE = describe.Describe(
    result_key="Volumes",
    fetch=_fetch,
    sort_key=lambda i: i["VolumeId"],
    requested=(describe.Requested("VolumeIds", lambda i: i["VolumeId"], lambda missing: EC2Error(
        "InvalidVolume.NotFound", f"The volume '{missing[0]}' does not exist."), kind=KIND,
        with_max_results="volumeSet"),),
    filters={
        "attachment.attach-time": lambda i: [a.get("AttachTime") for a in i["Attachments"]],
        "attachment.delete-on-termination": lambda i: [a["DeleteOnTermination"] for a in i["Attachments"]],
        "attachment.device": lambda i: [a["Device"] for a in i["Attachments"]],
        "attachment.instance-id": lambda i: [a["InstanceId"] for a in i["Attachments"]],
        "attachment.status": lambda i: [a["State"] for a in i["Attachments"]],
        "availability-zone": lambda i: i["AvailabilityZone"],
        "create-time": lambda i: i.get("CreateTime"),
        "encrypted": lambda i: i["Encrypted"],
        "multi-attach-enabled": lambda i: i["MultiAttachEnabled"],
        "size": lambda i: i["Size"],
        "snapshot-id": lambda i: i["SnapshotId"],
        "status": lambda i: i["State"],
        "volume-id": lambda i: i["VolumeId"],
        "volume-type": lambda i: i["VolumeType"],
    },
)


# IncludeManagedResources: no volume here is managed by another service, so both values are one answer.
@handler("DescribeVolumes", not_found="InvalidVolume.NotFound",
         honours=("VolumeIds", "Filters", "MaxResults", "NextToken", "IncludeManagedResources"))
def describe_volumes(ctx: RequestContext, params: DescribeVolumesRequest) -> DescribeVolumesResult:
    """The caller's Cinder volumes, by id and filter, paged by volume id."""
    return describe.run(ctx, params, DESCRIBE)


def _volumes(ctx: Any, wanted: list[str]) -> list[Any]:
    """The project's volumes, or when ids are given those only (one GET each, at the same time)."""
    if not wanted:
        return list(ctx.os.block_storage.volumes(details=True))
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, wanted)
    storage = ctx.os.block_storage   # the proxy is built here, in this thread, not in the pool's
    found = parallel.gather(*[lambda vid=vid: bulk.volume(storage, vid) for vid in dict.fromkeys(known.values())])
    return [v for v in found if v is not None]



def _delete_on_termination(ctx: Any, server_ids: set[str] | None = None) -> dict[tuple[str, str], bool]:
    """``{(server id, volume id): flag}`` from Nova's view of attached volumes (Cinder does not keep
    it): the project's servers in one list call, or ``server_ids`` by id; made only when some volume
    is attached."""
    out = {}
    bulk.prepare(ctx, "compute")
    servers = bulk.servers(ctx) if server_ids is None else bulk.servers_by_id(ctx, server_ids)
    for server in servers:
        for attached in server.attached_volumes or []:
            if isinstance(attached, dict) and attached.get("id"):
                out[(server.id, attached["id"])] = bool(attached.get("delete_on_termination", False))
    return out
