"""DescribeSnapshots and DescribeSnapshotAttribute.

By ids, one Cinder GET per snapshot asked for; otherwise one listing of the project's snapshots
(cost follows the result). Only the caller's own snapshots exist for them (package docstring).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers._storage import snapshot_of
from handlers.snapshots import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeSnapshotAttributeRequest,
        DescribeSnapshotAttributeResult,
        DescribeSnapshotsRequest,
        DescribeSnapshotsResult,
    )


def _own(ctx: Any, accounts: list[str] | None) -> bool:
    """Whether an OwnerIds / RestorableByUserIds list includes the caller (absent: it does)."""
    return accounts is None or any(a in ("self", ctx.account_id) for a in accounts)


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    if not _own(ctx, params.get("OwnerIds")) or not _own(ctx, params.get("RestorableByUserIds")):
        return []   # nobody else's snapshot can be seen or restored here
    requested = wanted["SnapshotIds"]
    if requested:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, requested)
        found = view.snapshots(ctx, list(known.values()))
    else:
        found = view.snapshots(ctx, None)
    return view.views(ctx, found)


def _not_found(missing: list[str]) -> EC2Error:
    return EC2Error("InvalidSnapshot.NotFound", f"The snapshot '{missing[0]}' does not exist.")


DESCRIBE = describe.Describe(
    result_key="Snapshots",
    fetch=_fetch,
    sort_key=lambda i: i["SnapshotId"],
    requested=(describe.Requested("SnapshotIds", lambda i: i["SnapshotId"], _not_found, kind=view.KIND),),
    filters={
        "description": lambda i: i["Description"],
        "encrypted": lambda i: i["Encrypted"],
        "owner-alias": lambda i: "",        # no snapshot here is Amazon's or the marketplace's
        "owner-id": lambda i: i["OwnerId"],
        "progress": lambda i: i["Progress"],
        "snapshot-id": lambda i: i["SnapshotId"],
        "start-time": lambda i: i.get("StartTime"),
        "status": lambda i: i["State"],
        "storage-tier": lambda i: i["StorageTier"],
        "transfer-type": lambda i: "standard",
        "volume-id": lambda i: i["VolumeId"],
        "volume-size": lambda i: i["VolumeSize"],
    },
)


@handler("DescribeSnapshots", not_found="InvalidSnapshot.NotFound",
         honours=("SnapshotIds", "OwnerIds", "RestorableByUserIds", "Filters", "MaxResults", "NextToken"))
def describe_snapshots(ctx: RequestContext, params: DescribeSnapshotsRequest) -> DescribeSnapshotsResult:
    """The caller's Cinder snapshots, by id, owner and filter, paged by snapshot id."""
    return describe.run(ctx, params, DESCRIBE)


@handler("DescribeSnapshotAttribute", not_found="InvalidSnapshot.NotFound", honours=("SnapshotId", "Attribute"))
def describe_snapshot_attribute(ctx: RequestContext,
                                params: DescribeSnapshotAttributeRequest) -> DescribeSnapshotAttributeResult:
    """``createVolumePermission``: nobody (Cinder snapshots are never shared); ``productCodes``: none."""
    snapshot_id = params["SnapshotId"]
    snapshot_of(ctx, snapshot_id)
    if params["Attribute"] == "productCodes":
        return {"SnapshotId": snapshot_id, "ProductCodes": []}
    return {"SnapshotId": snapshot_id, "CreateVolumePermissions": []}
