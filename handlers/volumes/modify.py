"""ModifyVolume (Size: Cinder extend; VolumeType: Cinder retype) and DescribeVolumesModifications.

The latest modification of a volume is kept with its id (``modification``); its state is read from
Cinder each time: ``modifying`` while Cinder extends or retypes, ``completed`` once the volume has
the target size and type, ``failed`` when Cinder ended in error or without reaching the target.
Cinder has no phase after the change is made, so ``optimizing`` is never shown. Iops and Throughput
are what the target type takes here (``handlers._storage.check_performance``); MultiAttachEnabled
cannot be changed (Cinder sets it with the type).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe, honours
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.timeutil import parse_os_time
from handlers._storage import (
    GP3_IOPS,
    GP3_THROUGHPUT,
    check_performance,
    cinder_type,
    ec2_type_name,
    volume_of,
    volume_state,
)
from handlers.volumes import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeVolumesModificationsRequest,
        DescribeVolumesModificationsResult,
        ModifyVolumeRequest,
        ModifyVolumeResult,
    )

EXTEND_WAIT = 20.0   # seconds a ModifyVolume of size and type waits for the extend before the retype


def _state(record: dict, volume: Any, config: Any) -> tuple[str, int]:
    """(ModificationState, Progress) of a kept modification, from the volume as Cinder has it now."""
    status = (volume.status or "").lower() if volume is not None else "deleted"
    if status in ("extending", "retyping"):
        return "modifying", 50
    if status.startswith("error") or volume is None:
        return "failed", 0
    done = int(volume.size) == record["TargetSize"] and ec2_type_name(config, volume.volume_type) == \
        record["TargetVolumeType"]
    return ("completed", 100) if done else ("failed", 0)


def _record(record: dict, volume: Any, config: Any) -> dict:
    state, progress = _state(record, volume, config)
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    out["StartTime"] = parse_os_time(record["StartTime"])
    out.update(ModificationState=state, Progress=progress)
    return out


def _performance(ec2_type: str) -> dict:
    return {"Iops": GP3_IOPS, "Throughput": GP3_THROUGHPUT} if ec2_type == "gp3" else {}


@handler("ModifyVolume", not_found="InvalidVolume.NotFound",
         honours=("VolumeId", "Size", "VolumeType", "Iops", "Throughput", "MultiAttachEnabled"))
def modify_volume(ctx: RequestContext, params: ModifyVolumeRequest) -> ModifyVolumeResult:
    """Grow a volume and/or change its type; the change is watched with DescribeVolumesModifications."""
    volume_id = params["VolumeId"]
    os_id, volume = volume_of(ctx, volume_id)
    original_type = ec2_type_name(ctx.config, volume.volume_type)
    target_type = params.get("VolumeType", original_type)
    size, target_size = int(volume.size), params.get("Size", int(volume.size))
    if params.get("MultiAttachEnabled", bool(volume.is_multiattach)) != bool(volume.is_multiattach):
        raise honours.unsupported("MultiAttachEnabled", params["MultiAttachEnabled"])
    if target_size < size:
        raise EC2Error("InvalidParameterValue", f"New size cannot be smaller than existing size ({size}GiB).")
    new_type = cinder_type(ctx, target_type, bool(volume.is_multiattach)) if target_type != original_type else None
    check_performance(target_type, params.get("Iops"), params.get("Throughput"))
    if target_size == size and new_type is None:
        raise EC2Error("InvalidParameterValue", f"The volume '{volume_id}' already has the requested size and type.")
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, [volume_id]).get(volume_id, {})
    previous = data.get("modification")
    if previous and _state(previous, volume, ctx.config)[0] == "modifying":
        raise EC2Error("IncorrectModificationState",
                       f"Volume {volume_id} is already being modified.")
    if volume.status not in ("available", "in-use"):
        raise EC2Error("IncorrectState", f"Volume '{volume_id}' is in the '{volume_state(volume.status)}' state.")
    record: dict = {"VolumeId": volume_id, "OriginalSize": size, "TargetSize": target_size,
                    "OriginalVolumeType": original_type, "TargetVolumeType": target_type,
                    "OriginalMultiAttachEnabled": bool(volume.is_multiattach),
                    "TargetMultiAttachEnabled": bool(volume.is_multiattach),
                    "StartTime": datetime.now(UTC).isoformat()}
    record.update({f"Original{k}": v for k, v in _performance(original_type).items()})
    record.update({f"Target{k}": v for k, v in _performance(target_type).items()})
    storage = ctx.os.block_storage
    if target_size > size:
        storage.extend_volume(os_id, target_size)
    if new_type is not None:
        if target_size > size:
            _wait_extended(storage, os_id)
        storage.retype_volume(os_id, new_type.id, migration_policy="on-demand")
    with ctx.session() as s:
        ids.set_data(s, ctx.project_id, volume_id, {**data, "modification": record})
    modification: Any = {k: v for k, v in record.items() if k != "StartTime"}
    modification.update(StartTime=parse_os_time(record["StartTime"]), ModificationState="modifying", Progress=0)
    return {"VolumeModification": modification}


def _wait_extended(storage: Any, os_id: str) -> None:
    """Cinder retypes only a volume that is not extending: wait (briefly) for the extend to end."""
    deadline = time.monotonic() + EXTEND_WAIT
    while time.monotonic() < deadline:
        if (storage.get_volume(os_id).status or "") != "extending":
            return
        time.sleep(0.25)
    raise EC2Error("IncorrectModificationState", "The volume is still being extended; retry the type change.")


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    """The kept modifications (of the volumes asked for), with their state from Cinder."""
    with ctx.session() as s:
        if wanted["VolumeIds"]:
            known = ids.os_ids(s, ctx.project_id, wanted["VolumeIds"])
            unknown = [v for v in wanted["VolumeIds"] if v not in known]
            if unknown:
                raise ids.not_found(view.KIND, unknown[0])
            data = ids.get_data_many(s, ctx.project_id, known)
            kept = {vid: (known[vid], d) for vid, d in data.items() if d.get("modification")}
        else:
            kept = {vid: (os_id, d) for vid, (os_id, d) in ids.items_with_data(s, ctx.project_id, view.KIND).items()
                    if d.get("modification")}
    if not kept:
        return []
    # By id: those volumes only (one GET each); otherwise one listing of the project's volumes.
    volumes = view.volumes(ctx, list(kept) if wanted["VolumeIds"] else [])
    by_os_id = {v.id: v for v in volumes}
    return [_record(d["modification"], by_os_id.get(os_id), ctx.config) for os_id, d in kept.values()]


DESCRIBE_MODIFICATIONS = describe.Describe(
    result_key="VolumesModifications",
    fetch=_fetch,
    sort_key=lambda i: i["VolumeId"],
    tags=False,
    requested=(describe.Requested("VolumeIds", lambda i: i["VolumeId"], lambda missing: EC2Error(
        "InvalidVolumeModification.NotFound", f"Modification for volume '{missing[0]}' does not exist."),
        kind=view.KIND),),
    filters={
        "modification-state": lambda i: i["ModificationState"],
        "original-iops": lambda i: i.get("OriginalIops"),
        "original-size": lambda i: i["OriginalSize"],
        "original-volume-type": lambda i: i["OriginalVolumeType"],
        "originalMultiAttachEnabled": lambda i: i["OriginalMultiAttachEnabled"],
        "start-time": lambda i: i["StartTime"],
        "target-iops": lambda i: i.get("TargetIops"),
        "target-size": lambda i: i["TargetSize"],
        "target-volume-type": lambda i: i["TargetVolumeType"],
        "targetMultiAttachEnabled": lambda i: i["TargetMultiAttachEnabled"],
        "volume-id": lambda i: i["VolumeId"],
    },
)


# IncludeManagedResources: no volume here is managed by another service, so both values are one answer.
@handler("DescribeVolumesModifications", not_found="InvalidVolume.NotFound",
         honours=("VolumeIds", "Filters", "MaxResults", "NextToken", "IncludeManagedResources"))
def describe_volumes_modifications(ctx: RequestContext, params: DescribeVolumesModificationsRequest
                                   ) -> DescribeVolumesModificationsResult:
    """The latest modification of each of the caller's volumes (or of those asked for)."""
    return describe.run(ctx, params, DESCRIBE_MODIFICATIONS)
