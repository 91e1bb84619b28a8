"""The EC2 view of Cinder volumes, shared by the volume handlers (pure of requests: ids, tags and
kept facts read in bulk; attached servers fetched by id when few, else listed once).

The device an attachment shows is the one AttachVolume was asked for (kept with the volume's id in
``devices``: the hypervisor picks its own, which Cinder reports), else Cinder's.
"""

from __future__ import annotations

from typing import Any

from ec2api_runtime import parallel
from ec2api_runtime.db import ids, tags
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers._storage import GP3_IOPS, GP3_THROUGHPUT, ec2_type_name, volume_state

KIND = "vol"
BY_ID_LIMIT = 20   # up to this many servers are fetched one GET each (in parallel) rather than listed


def views(ctx: Any, volumes: list[Any]) -> list[dict]:
    """The EC2 views of Cinder volumes (ids, tags and kept facts in bulk)."""
    server_ids = {a.get("server_id") for v in volumes for a in v.attachments or [] if a.get("server_id")}
    snapshot_ids = {v.snapshot_id for v in volumes if v.snapshot_id}
    with ctx.session() as s:
        vol_ids = ids.ec2_ids(s, ctx.project_id, KIND, [v.id for v in volumes])
        instance_ids = ids.ec2_ids(s, ctx.project_id, "i", server_ids)
        snap_ids = ids.ec2_ids(s, ctx.project_id, "snap", snapshot_ids)
        tags_of = tags.tags_for(s, ctx.project_id, vol_ids.values())
        data = ids.get_data_many(s, ctx.project_id, vol_ids.values())
    # The attached servers by id when they are few (a Describe by id, or a filter that found a
    # few), else the project's servers in one listing.
    by_id = len(server_ids) <= BY_ID_LIMIT
    delete_on_termination = _delete_on_termination(ctx, server_ids if by_id else None) if server_ids else {}
    items = []
    for v in volumes:
        volume_id = vol_ids[v.id]
        if data.get(volume_id, {}).get("hidden"):
            continue   # a snapshot copy's holder (handlers.snapshots): Cinder's detail, not the caller's volume
        devices = data.get(volume_id, {}).get("devices", {})
        attachments = [{
            "VolumeId": volume_id,
            "InstanceId": instance_ids.get(a.get("server_id"), ""),
            "Device": devices.get(a.get("server_id")) or a.get("device") or "",
            "State": "attached",
            "AttachTime": parse_os_time(a.get("attached_at")),
            "DeleteOnTermination": delete_on_termination.get((a.get("server_id"), v.id), False),
        } for a in v.attachments or []]
        for a in attachments:
            if a["AttachTime"] is None:
                del a["AttachTime"]
        item = {
            "VolumeId": volume_id, "Size": int(v.size or 0), "AvailabilityZone": v.availability_zone or "",
            "State": volume_state(v.status), "Attachments": attachments, "VolumeType": ec2_type_name(ctx.config, v.volume_type),
            "Encrypted": bool(v.is_encrypted), "MultiAttachEnabled": bool(v.is_multiattach),
            "Tags": tags_of.get(volume_id, []),
            "SnapshotId": snap_ids.get(v.snapshot_id, "") if v.snapshot_id else "",
        }
        created = parse_os_time(v.created_at)
        if created is not None:
            item["CreateTime"] = created
        if item["VolumeType"] == "gp3":
            item.update(Iops=GP3_IOPS, Throughput=GP3_THROUGHPUT)
        items.append(item)
    return items


def volumes(ctx: Any, wanted: list[str]) -> list[Any]:
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
