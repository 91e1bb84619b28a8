"""DescribeVolumes (what Terraform reads for an instance's block devices).

One Cinder list call per request, or by ids one GET per volume asked for (cost follows the result);
attachment server ids map to the caller's ``i-`` ids in bulk (``_view``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers._zones import zone_id, zone_names
from handlers.volumes import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import DescribeVolumesRequest, DescribeVolumesResult

KIND = view.KIND


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The EC2 views of the caller's volumes, or of the requested ones only."""
    return view.views(ctx, view.volumes(ctx, wanted["VolumeIds"]))


def _zone_ids(ctx: Any, params: Any, items: list[dict]) -> list[dict]:
    """The zone ids (``regionone-az1``) the ``availability-zone-id`` filter needs: one Nova call,
    made only when that filter is asked for."""
    if any(f.get("Name") == "availability-zone-id" for f in params.get("Filters") or []):
        names = zone_names(ctx)
        for item in items:
            az = item["AvailabilityZone"]
            item["_zone_id"] = zone_id(ctx.region, names.index(az)) if az in names else ""
    return items


DESCRIBE = describe.Describe(
    result_key="Volumes",
    fetch=_fetch,
    extra=_zone_ids,
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
        "availability-zone-id": lambda i: i.get("_zone_id", ""),
        # No volume here is fast-restored or managed by another service.
        "fast-restored": lambda i: False,
        "operator.managed": lambda i: False,
        "operator.principal": lambda i: "",
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
    result = describe.run(ctx, params, DESCRIBE)
    for item in result["Volumes"]:
        item.pop("_zone_id", None)
    return result
