"""DescribeImages: the images the caller may launch, by id, owner, launch permission and filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import accounts, ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.timeutil import parse_os_time
from handlers._glance import KIND, NOT_FOUND, SCOPE, not_found, visible_images
from handlers.images._common import launch_records, present
from handlers.images._view import deprecation_time

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import DescribeImagesRequest, DescribeImagesResult

OWNER_ALIASES = ("amazon", "aws-marketplace", "aws-backup-vault")


def _bdm_values(key: str) -> Any:
    def extract(i: dict) -> list:
        return [b["Ebs"].get(key) if key != "DeviceName" else b.get("DeviceName")
                for b in i["BlockDeviceMappings"] if key == "DeviceName" or "Ebs" in b]
    return extract


# Filters DescribeImages implements; every other documented one is rejected by apply_filters.
_FILTERS: dict[str, Any] = {
    "architecture": lambda i: i["Architecture"],
    "block-device-mapping.delete-on-termination": _bdm_values("DeleteOnTermination"),
    "block-device-mapping.device-name": _bdm_values("DeviceName"),
    "block-device-mapping.snapshot-id": _bdm_values("SnapshotId"),
    "block-device-mapping.volume-size": _bdm_values("VolumeSize"),
    "block-device-mapping.volume-type": _bdm_values("VolumeType"),
    "block-device-mapping.encrypted": _bdm_values("Encrypted"),
    "boot-mode": lambda i: i.get("BootMode"),
    "creation-date": lambda i: i["CreationDate"],
    "description": lambda i: i.get("Description"),
    "ena-support": lambda i: i["EnaSupport"],
    "free-tier-eligible": lambda i: False,
    "hypervisor": lambda i: i["Hypervisor"],
    "image-id": lambda i: i["ImageId"],
    "image-type": lambda i: i["ImageType"],
    "is-public": lambda i: i["Public"],
    "kernel-id": lambda i: i.get("KernelId"),
    "manifest-location": lambda i: i["ImageLocation"],
    "name": lambda i: i["Name"],
    "owner-alias": lambda i: i.get("ImageOwnerAlias"),
    "owner-id": lambda i: i["OwnerId"],
    "platform": lambda i: "windows" if i.get("Platform") else None,
    "product-code": lambda i: [p.get("ProductCodeId") for p in i["ProductCodes"]],
    "product-code.type": lambda i: [p.get("ProductCodeType") for p in i["ProductCodes"]],
    "ramdisk-id": lambda i: i.get("RamdiskId"),
    "root-device-name": lambda i: i["RootDeviceName"],
    "root-device-type": lambda i: i["RootDeviceType"],
    "source-image-id": lambda i: i.get("SourceImageId"),
    "source-image-region": lambda i: i.get("SourceImageRegion"),
    "source-instance-id": lambda i: i.get("SourceInstanceId"),
    "state": lambda i: i["State"],
    "state-reason-code": lambda i: (i.get("StateReason") or {}).get("Code"),
    "state-reason-message": lambda i: (i.get("StateReason") or {}).get("Message"),
    "sriov-net-support": lambda i: i.get("SriovNetSupport"),
    "virtualization-type": lambda i: i["VirtualizationType"],
}


def _owner_projects(ctx: Any, owners: list[str]) -> set[str]:
    """Keystone projects of ``Owners`` (``self``, account ids; AWS's aliases own nothing here)."""
    projects: set[str] = set()
    numeric = []
    for o in owners:
        if o == "self":
            projects.add(ctx.project_id)
        elif o in OWNER_ALIASES:
            continue
        elif accounts.ACCOUNT_ID_RE.fullmatch(o):
            numeric.append(o)
        else:
            raise EC2Error("InvalidUserID.Malformed", f"Invalid user id: \"{o}\"")
    if numeric:
        with ctx.session() as s:
            for o in numeric:
                project = accounts.project_id(s, o)
                if project:
                    projects.add(project)
    return projects


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The images the caller may see, narrowed in Glance by id and owner where the request does."""
    requested = wanted["ImageIds"]
    owners = params.get("Owners") or []
    owner_projects = _owner_projects(ctx, owners) if owners else None
    if owner_projects is not None and not owner_projects:
        return []
    glance_ids = None
    if requested:
        with ctx.session() as s:
            known = ids.os_ids(s, SCOPE, requested)
        glance_ids = [known[w] for w in requested if w in known]
        if not glance_ids:
            return []
    owner = next(iter(owner_projects)) if owner_projects and len(owner_projects) == 1 else None
    images = visible_images(ctx, glance_ids, owner)
    if glance_ids is not None:      # Glance filtered by id already; this keeps it exact
        wanted_glance = set(glance_ids)
        images = [i for i in images if i["id"] in wanted_glance]
    if owner_projects:
        images = [i for i in images if i.get("owner") in owner_projects]
    if not params.get("IncludeDisabled"):
        images = [i for i in images if i.get("status") != "deactivated"]
    if not params.get("IncludeDeprecated") and not requested:
        images = _without_deprecated(ctx, images)
    items = present(ctx, images)
    for item, image in zip(items, images, strict=True):
        item["_glance"] = image   # for ExecutableUsers, taken out again in _executable
    return items


def _without_deprecated(ctx: Any, images: list[dict]) -> list[dict]:
    """AWS's listing rule: other owners' images past their deprecation time are left out (an owner
    sees all of theirs; an image asked for by id is shown whatever its deprecation)."""
    now = datetime.now(UTC)
    return [i for i in images if i.get("owner") == ctx.project_id
            or (when := deprecation_time(i)) is None or when > now]


def _executable(ctx: Any, params: dict, items: list[dict]) -> list[dict]:
    users = params.get("ExecutableUsers") or []
    if users:
        items = _executable_by(ctx, items, users)
    for i in items:
        del i["_glance"]
    return items


def _gone(ctx: Any, image_ids_: list[str]) -> set[str]:
    with ctx.session() as s:
        return _recently_deregistered(ctx, s, image_ids_)


DESCRIBE = describe.Describe(
    result_key="Images",
    fetch=_fetch,
    sort_key=lambda i: i["ImageId"],
    requested=(describe.Requested("ImageIds", lambda i: i["ImageId"], lambda missing: not_found(missing[0]),
                                  kind=KIND, gone=_gone),),
    filters=_FILTERS,
    extra=_executable,
)


# IncludeDeprecated: other owners' images past their EnableImageDeprecation time are listed only with it.
@handler("DescribeImages", not_found=NOT_FOUND,
         honours=("ImageIds", "Owners", "ExecutableUsers", "Filters", "IncludeDeprecated", "IncludeDisabled",
                  "MaxResults", "NextToken"))
def describe_images(ctx: RequestContext, params: DescribeImagesRequest) -> DescribeImagesResult:
    """Images the caller may launch, by id, owner, launch permission and filter."""
    return describe.run(ctx, params, DESCRIBE)


def _recently_deregistered(ctx: Any, s: Any, image_ids_: list[str]) -> set[str]:
    """Ids among ``image_ids_`` deregistered less than ``deregistered_visible_seconds`` ago."""
    horizon = datetime.now(UTC) - timedelta(seconds=ctx.config.deregistered_visible_seconds)
    out = set()
    for image_id, data in ids.get_data_many(s, SCOPE, image_ids_).items():
        when = parse_os_time(data.get("deregistered_at"))
        if when is not None and when >= horizon:
            out.add(image_id)
    return out


def _executable_by(ctx: Any, items: list[dict], users: list[str]) -> list[dict]:
    """``ExecutableUsers``: ``all`` = public; ``self`` (or the caller's account) = shared with the
    caller; another account = the caller's images granted to it (ec2api's launch record)."""
    glance = {i["ImageId"]: i["_glance"] for i in items}
    keep: set[str] = set()
    others = []
    for u in users:
        if u == "all":
            keep.update(i["ImageId"] for i in items if i["Public"])
        elif u == "self" or u == ctx.account_id:
            keep.update(i["ImageId"] for i in items
                        if glance[i["ImageId"]].get("visibility") == "shared"
                        and glance[i["ImageId"]].get("owner") != ctx.project_id)
        elif accounts.ACCOUNT_ID_RE.fullmatch(u):
            others.append(u)
        else:
            raise EC2Error("InvalidUserID.Malformed", f"Invalid user id: \"{u}\"")
    if others:
        mine = [i["ImageId"] for i in items if i["OwnerId"] == ctx.account_id]
        records = launch_records(ctx, mine)
        keep.update(k for k, granted in records.items() if granted & set(others))
    return [i for i in items if i["ImageId"] in keep]
