"""DescribeVolumeStatus, Describe/ModifyVolumeAttribute and EnableVolumeIO.

This cloud never suspends a volume's I/O (there are no EBS-style consistency checks), so a
volume's status comes from Cinder's alone: ``ok`` when it is usable, ``impaired`` in error,
``insufficient-data`` while it is being made; there are no events and no actions. ``autoEnableIO``
is kept with the volume's id and shown; EnableVolumeIO has nothing to re-enable and succeeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from handlers._storage import volume_of, volume_state
from handlers.volumes import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeVolumeAttributeRequest,
        DescribeVolumeAttributeResult,
        DescribeVolumeStatusRequest,
        DescribeVolumeStatusResult,
        EnableVolumeIORequest,
        ModifyVolumeAttributeRequest,
    )

_STATUS = {"available": "ok", "in-use": "ok", "creating": "insufficient-data", "deleting": "insufficient-data",
           "error": "impaired"}


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    """Volume statuses from Cinder alone (no server lookups): the project's, or those asked for."""
    volumes = view.volumes(ctx, wanted["VolumeIds"])
    with ctx.session() as s:
        vol_ids = ids.ec2_ids(s, ctx.project_id, view.KIND, [v.id for v in volumes])
        instance_ids = ids.ec2_ids(s, ctx.project_id, "i", {a["server_id"] for v in volumes
                                                            for a in v.attachments or [] if a.get("server_id")})
    items = []
    for v in volumes:
        status = _STATUS.get(volume_state(v.status), "insufficient-data")
        items.append({
            "VolumeId": vol_ids[v.id], "AvailabilityZone": v.availability_zone or "",
            "VolumeStatus": {"Status": status, "Details": [
                {"Name": "io-enabled", "Status": "passed" if status == "ok" else "failed"
                 if status == "impaired" else "insufficient-data"},
                {"Name": "io-performance", "Status": "not-applicable"}]},
            "Events": [], "Actions": [],
            "AttachmentStatuses": [{"InstanceId": instance_ids.get(a["server_id"], ""), "IoPerformance": "normal"}
                                   for a in v.attachments or [] if a.get("server_id")],
        })
    return items


def _details(name: str) -> Any:
    return lambda i: [d["Status"] if name == "status" else d["Name"] for d in i["VolumeStatus"]["Details"]]


DESCRIBE_STATUS = describe.Describe(
    result_key="VolumeStatuses",
    fetch=_fetch,
    sort_key=lambda i: i["VolumeId"],
    tags=False,
    requested=(describe.Requested("VolumeIds", lambda i: i["VolumeId"], lambda missing: EC2Error(
        "InvalidVolume.NotFound", f"The volume '{missing[0]}' does not exist."), kind=view.KIND),),
    filters={
        # No events and no actions here: those filters match nothing.
        "action.code": lambda i: [], "action.description": lambda i: [], "action.event-id": lambda i: [],
        "event.description": lambda i: [], "event.event-id": lambda i: [], "event.event-type": lambda i: [],
        "event.not-after": lambda i: [], "event.not-before": lambda i: [],
        "attachment-status.instance-id": lambda i: [a["InstanceId"] for a in i["AttachmentStatuses"]],
        "attachment-status.io-performance": lambda i: [a["IoPerformance"] for a in i["AttachmentStatuses"]],
        "availability-zone": lambda i: i["AvailabilityZone"],
        "volume-status.details-name": _details("name"),
        "volume-status.details-status": _details("status"),
        "volume-status.status": lambda i: i["VolumeStatus"]["Status"],
    },
)


# IncludeManagedResources: no volume here is managed by another service, so both values are one answer.
@handler("DescribeVolumeStatus", not_found="InvalidVolume.NotFound",
         honours=("VolumeIds", "Filters", "MaxResults", "NextToken", "IncludeManagedResources"))
def describe_volume_status(ctx: RequestContext, params: DescribeVolumeStatusRequest) -> DescribeVolumeStatusResult:
    """The status of the caller's volumes, from Cinder's state."""
    return describe.run(ctx, params, DESCRIBE_STATUS)


def _kept(ctx: Any, volume_id: str) -> dict:
    with ctx.session() as s:
        return ids.get_data_many(s, ctx.project_id, [volume_id]).get(volume_id, {})


@handler("DescribeVolumeAttribute", not_found="InvalidVolume.NotFound", honours=("VolumeId", "Attribute"))
def describe_volume_attribute(ctx: RequestContext,
                              params: DescribeVolumeAttributeRequest) -> DescribeVolumeAttributeResult:
    """``autoEnableIO`` (as last set; false by default) or ``productCodes`` (none here)."""
    volume_id = params["VolumeId"]
    volume_of(ctx, volume_id)
    if params["Attribute"] == "productCodes":
        return {"VolumeId": volume_id, "ProductCodes": []}
    return {"VolumeId": volume_id, "AutoEnableIO": {"Value": bool(_kept(ctx, volume_id).get("auto_enable_io"))}}


@handler("ModifyVolumeAttribute", not_found="InvalidVolume.NotFound", honours=("VolumeId", "AutoEnableIO"))
def modify_volume_attribute(ctx: RequestContext, params: ModifyVolumeAttributeRequest) -> None:
    """Set ``autoEnableIO`` (I/O is never suspended here, so either value is what the volume does)."""
    volume_id = params["VolumeId"]
    volume_of(ctx, volume_id)
    value = (params.get("AutoEnableIO") or {}).get("Value")
    if value is None:
        raise missing_parameter("AutoEnableIO")
    data = _kept(ctx, volume_id)
    with ctx.session() as s:
        ids.set_data(s, ctx.project_id, volume_id, {**data, "auto_enable_io": bool(value)})


@handler("EnableVolumeIO", not_found="InvalidVolume.NotFound", honours=("VolumeId",))
def enable_volume_io(ctx: RequestContext, params: EnableVolumeIORequest) -> None:
    """Nothing to re-enable: this cloud never suspends a volume's I/O. The volume must be the caller's."""
    volume_of(ctx, params["VolumeId"])
