"""The EC2 view of Cinder snapshots (ids and tags in bulk; no other OpenStack call)."""

from __future__ import annotations

from typing import Any

from openstack import exceptions as sdk_exc

from ec2api_runtime import parallel
from ec2api_runtime.db import ids, tags
from ec2api_runtime.timeutil import parse_os_time
from handlers._storage import snapshot_state

KIND = "snap"
COPY_VOLUME_ID = "vol-ffffffff"   # what AWS shows as the volume of a copied snapshot


def views(ctx: Any, snapshots: list[Any]) -> list[dict]:
    """EC2 Snapshots for Cinder snapshots."""
    with ctx.session() as s:
        snap_ids = ids.ec2_ids(s, ctx.project_id, KIND, [x.id for x in snapshots])
        vol_ids = ids.ec2_ids(s, ctx.project_id, "vol", {x.volume_id for x in snapshots if x.volume_id})
        tags_of = tags.tags_for(s, ctx.project_id, snap_ids.values())
        data = ids.get_data_many(s, ctx.project_id, snap_ids.values())
    out = []
    for x in snapshots:
        snapshot_id = snap_ids[x.id]
        state = snapshot_state(x.status)
        progress = x.progress or ("100%" if state == "completed" else "0%")
        item: dict = {
            "SnapshotId": snapshot_id, "State": state, "Progress": progress, "OwnerId": ctx.account_id,
            "VolumeId": COPY_VOLUME_ID if data.get(snapshot_id, {}).get("holder") else vol_ids.get(x.volume_id, ""),
            "VolumeSize": int(x.size or 0), "Description": x.description or "", "Encrypted": False,
            "StorageTier": "standard", "Tags": tags_of.get(snapshot_id, []),
        }
        started = parse_os_time(x.created_at)
        if started is not None:
            item["StartTime"] = started
        out.append(item)
    return out


def snapshots(ctx: Any, wanted_os_ids: list[str] | None) -> list[Any]:
    """The project's Cinder snapshots (one listing), or those of ``wanted_os_ids`` (one GET each)."""
    storage = ctx.os.block_storage   # built in this thread, not in the pool's
    if wanted_os_ids is None:
        return list(storage.snapshots(details=True))

    def one(os_id: str) -> Any:
        try:
            return storage.get_snapshot(os_id)
        except sdk_exc.NotFoundException:
            return None

    found = parallel.gather(*[lambda sid=sid: one(sid) for sid in dict.fromkeys(wanted_os_ids)])
    return [x for x in found if x is not None]
