"""Images on Glance: DescribeImages, Describe/Modify/ResetImageAttribute, CreateImage, RegisterImage,
DeregisterImage, CopyImage.

Rules (what an AWS user sees, and why):

* **Ids.** AMI ids are global in AWS: a shared or public image has the same ``ami-`` id for every
  account. So image ids live in one shared scope (``SCOPE``, project ``"*"`` of the id layer), one id
  per Glance image, whoever looks. Visibility stays Glance's business: an ``ami-`` id resolves only
  to an image the caller's own Glance listing (or GET) shows. Tags on an image are per project, as
  for every other resource (``ec2api_runtime.db.tags`` accepts ids of the shared scope).
* **Which images.** DescribeImages shows what Glance lists for the caller: their own images, public
  and community images, and images shared with them (Glance ``member_status=all``: *pending* as well
  as accepted memberships; not *rejected* ones). AWS has no acceptance step: a launch permission
  takes effect at once. ec2api acts as the caller and cannot accept on the consumer's behalf, so it
  does not hide pending shares: a member can GET and boot a shared image whatever its member status
  (Glance's member status only filters *listings*), and ec2api lists them explicitly.
* **Launch permissions.** ``Group=all`` is Glance visibility ``community`` (launchable and listable
  by every project, and settable by project members; ``public`` needs an admin). Removing it leaves
  ``shared`` (if accounts were granted) or ``private``. A ``UserId`` grant is a Glance member for that
  account's project (the image becomes ``shared``). Glance keeps members only on shared images, so
  ec2api also records the granted accounts with the image's id (item data): that record answers
  DescribeImageAttribute for a public image and ``ExecutableUsers=<other account>``. Grants made in
  Glance directly show in DescribeImageAttribute but not in ``ExecutableUsers=<other account>``.
  ResetImageAttribute makes the image private and removes its members.
* **State.** Glance ``active`` -> available; ``queued``/``saving``/``uploading``/``importing`` ->
  pending; ``killed`` -> failed; ``deactivated`` -> disabled; ``deleted``/``pending_delete`` ->
  deregistered.
* **Root device.** Every image is ``ebs``: every Nova server can be stopped and started with its
  disk kept, which is what AWS users rely on ``ebs`` for. Volume-backed images (Nova's snapshots of
  boot-from-volume servers, and RegisterImage from a snapshot) carry Glance's ``block_device_mapping``
  property; their mappings show the Cinder snapshots as ``snap-`` ids of the caller's project.
* **Deregistering** deletes the Glance image and every project's tags on it; the ``ami-`` id stays
  mapped (Glance ids are never reused), so instances launched from it still name it. For
  ``deregistered_visible_seconds`` (one hour by default) afterwards, DescribeImages by that id
  answers an empty list, as AWS does for a while (``ec2_ami state: absent`` relies on it); later,
  and for ids never seen, ``InvalidAMIID.NotFound``.
* **Tags on creation**: CreateImage takes ``image`` and ``snapshot`` specifications, as AWS does.
  Snapshot tags go on the Cinder snapshots Nova made for the image (a volume-backed instance's
  volumes, shown as ``snap-`` ids in the image's mappings). An image-backed instance's image holds
  its disk in Glance and has no snapshots, so there is nothing for them to tag.
* **Constants**: VirtualizationType ``hvm``; Hypervisor ``xen`` (the model allows only ``ovm``/``xen``
  for images); Architecture from Glance's ``architecture`` property (default x86_64); ImageLocation
  ``<owner account>/<name>``, as AWS shows it for EBS-backed images.
* **Copies** are synchronous (download from Glance, upload to Glance: the copy is ``available`` when
  CopyImage answers); volume-backed images are copied as metadata (they hold no data).

Every Describe lists Glance images in a constant number of calls (two listings, paged by 1,000).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

from openstack import exceptions as sdk_exc

from ec2api_runtime import describe, parallel
from ec2api_runtime.codec import ts_iso8601
from ec2api_runtime.db import accounts, ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.honours import ANY
from ec2api_runtime.tagging import tags_from_specs
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk

SCOPE = ids.SHARED_SCOPE   # one ami- id per Glance image, the same for every project
KIND = "ami"
RESOURCE_TYPE = "image"
NOT_FOUND = "InvalidAMIID.NotFound"
GLANCE_PAGE = 1000
ID_CHUNK = 100           # image ids per Glance "id=in:" query
DEFAULT_ROOT_DEVICE = "/dev/sda1"
SOURCE_PROPERTY = "ec2api_source_image"     # Glance property naming the image a copy came from
OWNER_ALIASES = ("amazon", "aws-marketplace", "aws-backup-vault")

_STATES = {
    "active": "available", "queued": "pending", "saving": "pending", "uploading": "pending",
    "importing": "pending", "killed": "failed", "deactivated": "disabled", "deleted": "deregistered",
    "pending_delete": "deregistered",
}
_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64",
                  "i386": "i386", "i686": "i386", "x86": "i386"}
_NAME_RE = re.compile(r"[a-zA-Z0-9()\[\] ./\-'@_]{3,128}")
_DISK_FORMATS = {".qcow2": "qcow2", ".img": "raw", ".raw": "raw", ".iso": "iso", ".vmdk": "vmdk",
                 ".vhd": "vhd", ".vhdx": "vhdx", ".vdi": "vdi"}


# ----------------------------------------------------------------------------------------------
# pure mapping (unit-tested in tests/unit/test_images_mapping.py)

def ec2_state(glance_status: str | None) -> str:
    """The EC2 ImageState of a Glance image status."""
    return _STATES.get(glance_status or "", "pending")


def architecture(value: str | None) -> str:
    """Glance's ``architecture`` property as an EC2 architecture (x86_64 when unset or unknown)."""
    return _ARCHITECTURES.get((value or "").lower(), "x86_64")


def is_public(image: dict) -> bool:
    """Public in AWS's sense: every account may find and launch it."""
    return image.get("visibility") in ("public", "community")


def glance_bdms(image: dict) -> list[dict]:
    """The ``block_device_mapping`` property (a JSON list, as Nova writes it) of a Glance image."""
    raw = image.get("block_device_mapping")
    if not raw:
        return []
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def _device(name: str | None) -> str | None:
    if not name:
        return None
    return name if name.startswith("/dev/") else "/dev/" + name


def root_device_name(image: dict) -> str:
    """The image's root device: Nova's ``root_device_name`` property, else AWS's ``/dev/sda1``."""
    return _device(image.get("root_device_name")) or DEFAULT_ROOT_DEVICE


def block_device_mappings(image: dict, snapshot_ids: dict[str, str]) -> list[dict]:
    """EC2 BlockDeviceMappings of a Glance image; ``snapshot_ids`` maps Cinder ids to ``snap-`` ids."""
    root = root_device_name(image)
    bdms = glance_bdms(image)
    out: list[dict] = []
    for b in bdms:
        if b.get("destination_type") not in (None, "volume"):
            continue
        if b.get("source_type") == "blank" and b.get("guest_format") == "swap":
            continue
        device = _device(b.get("device_name")) or (root if b.get("boot_index") in (0, "0") else None)
        if device is None:
            continue
        ebs: dict[str, Any] = {"DeleteOnTermination": bool(b.get("delete_on_termination", False)),
                               "Encrypted": False}
        if b.get("snapshot_id"):
            ebs["SnapshotId"] = snapshot_ids.get(b["snapshot_id"], "")
        if b.get("volume_size") is not None:
            ebs["VolumeSize"] = int(b["volume_size"])
        ebs["VolumeType"] = b.get("volume_type") or "standard"
        out.append({"DeviceName": device, "Ebs": ebs})
    if not bdms:
        # An image holding a disk: its root volume is the size of the image (at least min_disk).
        size_gib = math.ceil((image.get("size") or 0) / 2**30)
        out.append({"DeviceName": root, "Ebs": {
            "DeleteOnTermination": True, "VolumeSize": max(int(image.get("min_disk") or 0), size_gib, 1),
            "VolumeType": "standard", "Encrypted": False}})
    return out


def image_dict(image: dict, *, image_id: str, owner_account: str, image_tags: list[dict],
               snapshot_ids: dict[str, str], extra_ids: dict[str, str], region: str) -> dict[str, Any]:
    """The EC2 ``Image`` of a Glance image (a Glance v2 JSON dict).

    ``extra_ids`` maps other OpenStack ids the image names (kernel, ramdisk, source image, source
    instance) to their EC2 ids.
    """
    name = image.get("name") or ""
    windows = (image.get("os_type") or "").lower() == "windows"
    created = parse_os_time(image.get("created_at"))
    container = image.get("container_format")
    out: dict[str, Any] = {
        "ImageId": image_id,
        "ImageLocation": f"{owner_account}/{name}",
        "State": "failed" if image.get("os_glance_failed_import") else ec2_state(image.get("status")),
        "OwnerId": owner_account,
        "CreationDate": ts_iso8601(created) if created else "",
        "Public": is_public(image),
        "Architecture": architecture(image.get("architecture")),
        "ImageType": {"aki": "kernel", "ari": "ramdisk"}.get(container or "", "machine"),
        "Name": name,
        "RootDeviceName": root_device_name(image),
        "RootDeviceType": "ebs",
        "VirtualizationType": "hvm",
        "Hypervisor": "xen",
        "BlockDeviceMappings": block_device_mappings(image, snapshot_ids),
        "EnaSupport": True,
        "PlatformDetails": "Windows" if windows else "Linux/UNIX",
        "UsageOperation": "RunInstances:0002" if windows else "RunInstances",
        "ProductCodes": [],
        "Tags": image_tags,
    }
    if windows:
        out["Platform"] = "Windows"
    if image.get("description"):
        out["Description"] = image["description"]
    firmware = (image.get("hw_firmware_type") or "").lower()
    if firmware in ("uefi", "bios"):
        out["BootMode"] = "uefi" if firmware == "uefi" else "legacy-bios"
    for prop, key in (("kernel_id", "KernelId"), ("ramdisk_id", "RamdiskId"),
                      (SOURCE_PROPERTY, "SourceImageId"), ("instance_uuid", "SourceInstanceId")):
        if image.get(prop) and extra_ids.get(image[prop]):
            out[key] = extra_ids[image[prop]]
    if "SourceImageId" in out:
        out["SourceImageRegion"] = region
    if image.get("os_glance_failed_import"):
        out["StateReason"] = {"Code": "Client.InvalidImageLocation",
                              "Message": "Glance could not import the image from its location."}
    elif out["State"] == "failed":
        out["StateReason"] = {"Code": "Server.InternalError",
                              "Message": "The image could not be stored (Glance status killed)."}
    return out


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


# ----------------------------------------------------------------------------------------------
# Glance access

def _check(resp: Any) -> Any:
    sdk_exc.raise_from_response(resp)
    return resp


def _list_glance(ctx: Any, **query: str) -> list[dict]:
    """Glance images the caller may see matching ``query``, following Glance's pages of 1,000."""
    out: list[dict] = []
    path: str | None = "/images?" + urlencode({"limit": GLANCE_PAGE, **query})
    while path:
        body = bulk.get_json(ctx, "image", path)
        out.extend(body.get("images") or [])
        nxt = body.get("next")
        path = nxt[nxt.index("/images"):] if nxt and len(body.get("images") or []) else None
    return out


def visible_images(ctx: Any, glance_ids: Iterable[str] | None = None, owner: str | None = None) -> list[dict]:
    """What the caller sees: own, public, community and shared (pending or accepted) images.

    ``glance_ids`` / ``owner`` narrow the Glance query (the answer then follows the result size).
    """
    base: dict[str, str] = {} if owner is None else {"owner": owner}
    if glance_ids is None:
        queries = [base]
    else:
        wanted = sorted(set(glance_ids))
        # Glance's "in:" operator; chunks keep URLs short.
        queries = [{**base, "id": "in:" + ",".join(wanted[i:i + ID_CHUNK])}
                   for i in range(0, len(wanted), ID_CHUNK)]
    listed: dict[str, dict] = {}
    rejected: set[str] = set()
    bulk.prepare(ctx, "image")
    for query in queries:
        # Community images of other projects are listed only when asked for by visibility; shared
        # images the caller rejected are listed by member_status=all and must be taken out again.
        # The three listings are independent: fetched at the same time.
        everything, community, rejected_here = parallel.gather(
            lambda q=query: _list_glance(ctx, member_status="all", **q),
            lambda q=query: _list_glance(ctx, visibility="community", **q),
            lambda q=query: _list_glance(ctx, visibility="shared", member_status="rejected", **q))
        listed.update({i["id"]: i for i in everything + community})
        rejected.update(i["id"] for i in rejected_here if i.get("owner") != ctx.project_id)
    return [i for i in listed.values() if i["id"] not in rejected and i.get("status") != "deleted"]


def _get_glance(ctx: Any, glance_id: str) -> dict | None:
    resp = ctx.os.image.get(f"/images/{glance_id}")
    if resp.status_code == 404:
        return None
    return _check(resp).json()


def _not_found(image_id: str) -> EC2Error:
    return EC2Error(NOT_FOUND, f"The image id '[{image_id}]' does not exist")


def resolve(ctx: Any, image_id: str) -> dict:
    """The Glance image (JSON dict) behind ``ami-...``, if the caller can see it; else NotFound."""
    ids.require_well_formed(KIND, [image_id])
    with ctx.session() as s:
        glance_id = ids.os_id(s, SCOPE, image_id)
    image = _get_glance(ctx, glance_id) if glance_id else None
    if image is None or image.get("status") in ("deleted", "pending_delete"):
        raise _not_found(image_id)
    return image


def resolve_many(ctx: Any, image_ids: Iterable[str]) -> dict[str, dict]:
    """``{ami id: Glance image}`` for ids the caller can see; NotFound names the first unseen id.

    One id costs one Glance GET; more cost one bulk listing (three calls per chunk of ids).
    """
    wanted = list(dict.fromkeys(image_ids))
    if len(wanted) <= 1:
        return {i: resolve(ctx, i) for i in wanted}
    ids.require_well_formed(KIND, wanted)
    with ctx.session() as s:
        glance_of = ids.os_ids(s, SCOPE, wanted)
    seen = {i["id"]: i for i in visible_images(ctx, glance_of.values())} if glance_of else {}
    for image_id in wanted:
        image = seen.get(glance_of.get(image_id, ""))
        if image is None or image.get("status") in ("deleted", "pending_delete"):
            raise _not_found(image_id)
    return {i: seen[glance_of[i]] for i in wanted}


def glance_id_of(ctx: Any, image_id: str) -> str:
    """The Glance id behind ``ami-...`` (for other handlers: RunInstances, ...); NotFound if unseen."""
    return resolve(ctx, image_id)["id"]


def _owned(ctx: Any, image: dict, image_id: str) -> None:
    if image.get("owner") != ctx.project_id:
        raise EC2Error("AuthFailure", f"Not authorized for image:{image_id}")


def image_ids(s: Any, glance_ids: Iterable[str]) -> dict[str, str]:
    """``{glance id: ami-...}`` in the shared scope (created when missing)."""
    return ids.ec2_ids(s, SCOPE, KIND, glance_ids)


# ----------------------------------------------------------------------------------------------
# DescribeImages

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


def _present(ctx: Any, images: list[dict]) -> list[dict]:
    """EC2 Images for Glance images: one transaction for every id, tag and account they need."""
    snapshots = sorted({b["snapshot_id"] for i in images for b in glance_bdms(i) if b.get("snapshot_id")})
    instances = sorted({i["instance_uuid"] for i in images
                        if i.get("instance_uuid") and i.get("owner") == ctx.project_id})
    related = {i[p] for i in images for p in ("kernel_id", "ramdisk_id", SOURCE_PROPERTY) if i.get(p)}
    with ctx.session() as s:
        ami = image_ids(s, [i["id"] for i in images] + sorted(related))
        snap = ids.ec2_ids(s, ctx.project_id, "snap", snapshots) if snapshots else {}
        inst = ids.ec2_ids(s, ctx.project_id, "i", instances) if instances else {}
        tags_of = tags.tags_for(s, ctx.project_id, [ami[i["id"]] for i in images])
        owners = {o: accounts.account_id(s, o) for o in sorted({i.get("owner") or "" for i in images})}
    extra = {**ami, **inst}
    return [image_dict(i, image_id=ami[i["id"]], owner_account=owners[i.get("owner") or ""],
                       image_tags=tags_of[ami[i["id"]]], snapshot_ids=snap, extra_ids=extra,
                       region=ctx.region)
            for i in images]


def _launch_records(ctx: Any, image_ids_: Iterable[str]) -> dict[str, set[str]]:
    with ctx.session() as s:
        data = ids.get_data_many(s, SCOPE, image_ids_)
    return {k: set(v.get("launch_accounts") or []) for k, v in data.items()}


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
    items = _present(ctx, images)
    for item, image in zip(items, images, strict=True):
        item["_glance"] = image   # for ExecutableUsers, taken out again in _executable
    return items


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
    requested=(describe.Requested("ImageIds", lambda i: i["ImageId"], lambda missing: _not_found(missing[0]),
                                  kind=KIND, gone=_gone),),
    filters=_FILTERS,
    extra=_executable,
)


# IncludeDeprecated: no image is deprecated here, so both values are one answer.
@handler("DescribeImages", not_found=NOT_FOUND,
         honours=("ImageIds", "Owners", "ExecutableUsers", "Filters", "IncludeDeprecated", "IncludeDisabled",
                  "MaxResults", "NextToken"))
def describe_images(ctx: Any, params: dict) -> dict:
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
        records = _launch_records(ctx, mine)
        keep.update(k for k, granted in records.items() if granted & set(others))
    return [i for i in items if i["ImageId"] in keep]


# ----------------------------------------------------------------------------------------------
# attributes and launch permissions

def _members(ctx: Any, glance_id: str) -> list[dict]:
    resp = ctx.os.image.get(f"/images/{glance_id}/members")
    if resp.status_code in (403, 404):     # Glance: only shared images have members
        return []
    return _check(resp).json().get("members") or []


def _accounts_of(ctx: Any, projects: Iterable[str]) -> list[str]:
    with ctx.session() as s:
        return sorted(accounts.account_id(s, p) for p in projects)


def _launch_permissions(ctx: Any, image: dict, image_id: str) -> list[dict]:
    out: list[dict] = []
    if is_public(image):
        out.append({"Group": "all"})
    if image.get("visibility") == "shared":
        granted = _accounts_of(ctx, [m["member_id"] for m in _members(ctx, image["id"])
                                     if m.get("status") != "rejected"])
    else:
        granted = sorted(_launch_records(ctx, [image_id]).get(image_id, set()))
    out.extend({"UserId": a} for a in granted)
    return out


# ModifyImageAttribute's Attribute is a free string in the model; AWS matches it without regard to
# case (amazon.aws sends ``Description`` and ``LaunchPermission``).
_MODIFIABLE = {a.lower(): a for a in ("description", "launchPermission", "productCodes", "imdsSupport")}


@handler("DescribeImageAttribute", not_found=NOT_FOUND, honours=("ImageId", "Attribute"))
def describe_image_attribute(ctx: Any, params: dict) -> dict:
    """One attribute of an image; only its owner may read its launch permissions."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    attribute = params["Attribute"]
    out: dict[str, Any] = {"ImageId": image_id}
    if attribute == "description":
        out["Description"] = {"Value": image["description"]} if image.get("description") else {}
    elif attribute == "launchPermission":
        _owned(ctx, image, image_id)
        out["LaunchPermissions"] = _launch_permissions(ctx, image, image_id)
    elif attribute in ("kernel", "ramdisk", "blockDeviceMapping"):
        item = _present(ctx, [image])[0]
        if attribute == "blockDeviceMapping":
            out["BlockDeviceMappings"] = item["BlockDeviceMappings"]
        else:
            key = "KernelId" if attribute == "kernel" else "RamdiskId"
            out[key] = {"Value": item[key]} if item.get(key) else {}
    elif attribute == "productCodes":
        out["ProductCodes"] = []
    elif attribute == "bootMode":
        boot = image_dict(image, image_id=image_id, owner_account="", image_tags=[], snapshot_ids={},
                          extra_ids={}, region=ctx.region).get("BootMode")
        out["BootMode"] = {"Value": boot} if boot else {}
    elif attribute == "deregistrationProtection":
        out["DeregistrationProtection"] = {"Value": "disabled"}
    else:   # sriovNetSupport, tpmSupport, uefiData, lastLaunchedTime, imdsSupport: not set here
        key = attribute[0].upper() + attribute[1:]
        out[key] = {}
    return out


def _user_projects(ctx: Any, user_ids: Iterable[str]) -> dict[str, str]:
    """``{account id: project}`` for launch permission grants; AWS's error for unknown accounts."""
    out: dict[str, str] = {}
    with ctx.session() as s:
        for u in user_ids:
            project = accounts.project_id(s, u) if isinstance(u, str) else None
            if project is None:
                raise EC2Error("InvalidAMIAttributeItemValue",
                               f"Invalid attribute item value \"{u}\" for userId item type.")
            out[u] = project
    return out


def _permission_changes(params: dict) -> tuple[list[dict], list[dict]]:
    """(add, remove) launch permissions from either spelling ModifyImageAttribute accepts."""
    lp = params.get("LaunchPermission") or {}
    add, remove = list(lp.get("Add") or []), list(lp.get("Remove") or [])
    legacy = [{"UserId": u} for u in params.get("UserIds") or []] + \
             [{"Group": g} for g in params.get("UserGroups") or []]
    if legacy:
        op = params.get("OperationType")
        if op not in ("add", "remove"):
            raise EC2Error("MissingParameter", "The request must contain the parameter OperationType")
        (add if op == "add" else remove).extend(legacy)
    for p in add + remove:
        if p.get("OrganizationArn") or p.get("OrganizationalUnitArn"):
            raise EC2Error("UnsupportedOperation", "Sharing with organizations is not supported.")
        if not p.get("UserId") and p.get("Group") != "all":
            raise EC2Error("InvalidParameterValue", "A launch permission needs a UserId or Group 'all'.")
    return add, remove


def _set_launch_permissions(ctx: Any, image: dict, image_id: str, public: bool, granted: dict[str, str]) -> None:
    """Bring Glance to ``public`` + members ``granted`` ({account: project}); record the grants.

    Glance calls come first; the record is written only once they succeeded.
    """
    glance_id = image["id"]
    current = image.get("visibility")
    if public:
        target = "public" if current == "public" else "community"
    else:
        target = "shared" if granted else "private"
    if target == "shared" or current == "shared":
        if current != "shared":
            _patch(ctx, glance_id, [{"op": "replace", "path": "/visibility", "value": "shared"}])
        have = {m["member_id"] for m in _members(ctx, glance_id)}
        # A public image keeps its Glance members (ignored while public): they are the grants again
        # once it stops being public.
        want = set(granted.values()) if target in ("shared", "community", "public") else set()
        for project in sorted(want - have):
            _check(ctx.os.image.post(f"/images/{glance_id}/members", json={"member": project}))
        for project in sorted(have - want):
            resp = ctx.os.image.delete(f"/images/{glance_id}/members/{project}")
            if resp.status_code != 404:
                _check(resp)
        current = "shared"
    if target != current:
        _patch(ctx, glance_id, [{"op": "replace", "path": "/visibility", "value": target}])
    with ctx.session() as s:
        ids.set_data(s, SCOPE, image_id, {"launch_accounts": sorted(granted)} if granted else {})


def _patch(ctx: Any, glance_id: str, ops: list[dict]) -> dict:
    resp = ctx.os.image.patch(f"/images/{glance_id}", json=ops,
                              headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    return _check(resp).json()


@handler("ModifyImageAttribute", not_found=NOT_FOUND,
         honours=("ImageId", "Attribute", "Description", "Value", "OperationType", "UserIds", "UserGroups"),
         partly={"LaunchPermission": {"Add": {"UserId": ANY, "Group": ANY},
                                      "Remove": {"UserId": ANY, "Group": ANY}}})
def modify_image_attribute(ctx: Any, params: dict) -> None:
    """Launch permissions (accounts, ``all``) and the description; only the owner may."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    _owned(ctx, image, image_id)
    attribute = params.get("Attribute")
    if attribute is not None:
        if attribute.lower() not in _MODIFIABLE:
            raise EC2Error("InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid.")
        attribute = _MODIFIABLE[attribute.lower()]
    if params.get("ProductCodes") or attribute == "productCodes":
        raise EC2Error("UnsupportedOperation", "Product codes are not supported.")
    if params.get("OrganizationArns") or params.get("OrganizationalUnitArns"):
        raise EC2Error("UnsupportedOperation", "Sharing with organizations is not supported.")
    if params.get("ImdsSupport") or attribute == "imdsSupport":
        raise EC2Error("UnsupportedOperation", "imdsSupport cannot be changed here.")
    description = (params.get("Description") or {}).get("Value")
    if attribute == "description" and description is None:
        description = params.get("Value")
    add, remove = _permission_changes(params)
    if description is None and not add and not remove:
        raise EC2Error("MissingParameter", "No attribute to modify was given.")
    if add or remove:
        projects = _user_projects(ctx, [p["UserId"] for p in add + remove if p.get("UserId")])
        projects = {a: p for a, p in projects.items() if p != ctx.project_id}   # owners need no grant
        granted = _current_grants(ctx, image, image_id)
        public = is_public(image)
        for p in remove:
            if p.get("Group") == "all":
                public = False
            elif p["UserId"] in projects:
                granted.pop(p["UserId"], None)
        for p in add:
            if p.get("Group") == "all":
                public = True
            elif p["UserId"] in projects:
                granted[p["UserId"]] = projects[p["UserId"]]
        _set_launch_permissions(ctx, image, image_id, public, granted)
    if description is not None:
        op = "replace" if "description" in image else "add"
        _patch(ctx, image["id"], [{"op": op, "path": "/description", "value": description}])


def _current_grants(ctx: Any, image: dict, image_id: str) -> dict[str, str]:
    """``{account: project}`` the image is granted to now (Glance members, or ec2api's record)."""
    if image.get("visibility") == "shared":
        projects = [m["member_id"] for m in _members(ctx, image["id"])]
        with ctx.session() as s:
            return {accounts.account_id(s, p): p for p in projects}
    accts = sorted(_launch_records(ctx, [image_id]).get(image_id, set()))
    with ctx.session() as s:
        pairs = {a: accounts.project_id(s, a) for a in accts}
    return {a: p for a, p in pairs.items() if p}


# Attribute: launchPermission is the only value the model allows.
@handler("ResetImageAttribute", not_found=NOT_FOUND, honours=("ImageId", "Attribute"))
def reset_image_attribute(ctx: Any, params: dict) -> None:
    """launchPermission: private, no members."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    _owned(ctx, image, image_id)
    _set_launch_permissions(ctx, image, image_id, False, {})


# ----------------------------------------------------------------------------------------------
# creating and removing images

def _check_name(ctx: Any, name: str) -> None:
    """AWS's name rules, and no two images of the caller with one name (one Glance call)."""
    if not _NAME_RE.fullmatch(name or ""):
        raise EC2Error("InvalidAMIName.Malformed",
                       "AMI names must be between 3 and 128 characters long, and may contain letters, "
                       "numbers, '(', ')', '.', '-', '/', '_', '[', ']', ' ', '@' and '''")
    holders = [i for i in _list_glance(ctx, owner=ctx.project_id, name=name) if i.get("status") != "deleted"]
    if holders:
        with ctx.session() as s:
            holder = image_ids(s, [holders[0]["id"]])[holders[0]["id"]]
        raise EC2Error("InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {holder}")


def _register(ctx: Any, glance_id: str, new_tags: list[dict], data: dict | None = None) -> str:
    """The new image's ami- id and tags; the Glance image is deleted if that fails."""
    try:
        with ctx.session() as s:
            image_id = image_ids(s, [glance_id])[glance_id]
            if data:
                ids.set_data(s, SCOPE, image_id, data)
            if new_tags:
                tags.set_tags(s, ctx.project_id, [image_id], new_tags)
    except BaseException:
        ctx.os.image.delete(f"/images/{glance_id}")
        raise
    return image_id


# NoReboot: Nova snapshots without rebooting the guest (quiescing it where it can), whatever the value.
@handler("CreateImage", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceId", "Name", "Description", "NoReboot", "TagSpecifications"),
         partly={"SnapshotLocation": ("regional",)})
def create_image(ctx: Any, params: dict) -> dict:
    """A snapshot of an instance through Nova's createImage (pending until Nova has uploaded it)."""
    instance_id = params["InstanceId"]
    if not ids.is_well_formed("i", instance_id):
        raise ids.malformed("i", instance_id)
    name = params["Name"]
    if params.get("BlockDeviceMappings"):
        raise EC2Error("UnsupportedOperation", "BlockDeviceMappings on CreateImage are not supported.")
    specs = params.get("TagSpecifications")
    new_tags = tags_from_specs(specs, RESOURCE_TYPE, allowed=(RESOURCE_TYPE, "snapshot"))
    snapshot_tags = tags_from_specs(specs, "snapshot", allowed=(RESOURCE_TYPE, "snapshot"))
    with ctx.session() as s:
        server_id = ids.os_id(s, ctx.project_id, instance_id)
    try:
        server = ctx.os.compute.get_server(server_id) if server_id else None
    except sdk_exc.NotFoundException:
        server = None
    if server is None:
        raise ids.not_found("i", instance_id)
    _check_name(ctx, name)
    # Nova records instance_uuid only on snapshots of image-backed servers; say it for all.
    metadata = {"instance_uuid": server.id}
    if params.get("Description"):
        metadata["description"] = params["Description"]
    try:
        glance_id = server.create_image(ctx.os.compute, name, metadata)
    except sdk_exc.ConflictException as e:
        raise EC2Error("IncorrectInstanceState",
                       f"The instance '{instance_id}' is not in a state from which it can be imaged.") from e
    if snapshot_tags:
        try:
            _tag_snapshots(ctx, glance_id, snapshot_tags)
        except BaseException:
            ctx.os.image.delete(f"/images/{glance_id}")
            raise
    return {"ImageId": _register(ctx, glance_id, new_tags)}


def _tag_snapshots(ctx: Any, glance_id: str, new_tags: list[dict]) -> None:
    """Tag the Cinder snapshots a new image is made of (Nova records them in the image's mapping
    before createImage answers; an image-backed instance's image has none)."""
    image = _get_glance(ctx, glance_id) or {}
    snapshots = sorted({b["snapshot_id"] for b in glance_bdms(image) if b.get("snapshot_id")})
    if not snapshots:
        return
    with ctx.session() as s:
        snap_ids = ids.ec2_ids(s, ctx.project_id, "snap", snapshots)
        tags.set_tags(s, ctx.project_id, list(snap_ids.values()), new_tags)


def _disk_format(url: str) -> str:
    path = urlparse(url).path.lower()
    for ext, fmt in _DISK_FORMATS.items():
        if path.endswith(ext):
            return fmt
    return "raw"


def _image_properties(params: dict) -> dict[str, Any]:
    props: dict[str, Any] = {"architecture": params.get("Architecture") or "x86_64"}
    if params.get("Description"):
        props["description"] = params["Description"]
    if params.get("BootMode") in ("uefi", "uefi-preferred"):
        props["hw_firmware_type"] = "uefi"
    elif params.get("BootMode") == "legacy-bios":
        props["hw_firmware_type"] = "bios"
    return props


def _snapshot_bdms(ctx: Any, params: dict) -> tuple[list[dict], str]:
    """Nova-style block_device_mapping entries for RegisterImage's mappings, and the root device."""
    mappings = params.get("BlockDeviceMappings") or []
    root = params.get("RootDeviceName") or next(
        (m["DeviceName"] for m in mappings if (m.get("Ebs") or {}).get("SnapshotId")), None)
    if not root:
        raise EC2Error("InvalidParameterValue", "The root device must be mapped to an EBS snapshot.")
    snap_ids = [m["Ebs"]["SnapshotId"] for m in mappings if (m.get("Ebs") or {}).get("SnapshotId")]
    ids.require_well_formed("snap", snap_ids)
    with ctx.session() as s:
        cinder = ids.os_ids(s, ctx.project_id, snap_ids)
    out: list[dict] = []
    for m in mappings:
        device, ebs = m.get("DeviceName"), m.get("Ebs")
        if not device:
            raise EC2Error("MissingParameter", "The request must contain the parameter DeviceName")
        if m.get("NoDevice") is not None or m.get("VirtualName") or not ebs:
            continue
        if ebs.get("Encrypted") or ebs.get("KmsKeyId"):
            raise EC2Error("UnsupportedOperation", "Encrypted volumes are not supported.")
        entry: dict[str, Any] = {"device_name": device, "destination_type": "volume",
                                 "delete_on_termination": bool(ebs.get("DeleteOnTermination", True)),
                                 "boot_index": 0 if device == root else -1}
        if ebs.get("SnapshotId"):
            sid = ebs["SnapshotId"]
            try:
                snapshot = ctx.os.block_storage.get_snapshot(cinder[sid]) if sid in cinder else None
            except sdk_exc.NotFoundException:
                snapshot = None
            if snapshot is None:
                raise ids.not_found("snap", sid)
            if snapshot.status != "available":
                raise EC2Error("IncorrectState", f"The snapshot '{sid}' is not available.")
            entry.update(source_type="snapshot", snapshot_id=snapshot.id,
                         volume_size=int(ebs.get("VolumeSize") or snapshot.size))
        elif ebs.get("VolumeSize"):
            entry.update(source_type="blank", volume_size=int(ebs["VolumeSize"]))
        else:
            raise EC2Error("InvalidParameterValue", f"The mapping of {device} needs a SnapshotId or a VolumeSize.")
        if ebs.get("VolumeType"):
            entry["volume_type"] = ebs["VolumeType"]
        out.append(entry)
    if not any(e["boot_index"] == 0 and e["source_type"] == "snapshot" for e in out):
        raise EC2Error("InvalidParameterValue", f"The root device {root} must be mapped to an EBS snapshot.")
    return out, root


def _create_glance(ctx: Any, body: dict) -> dict:
    return _check(ctx.os.image.post("/images", json=body)).json()


def _upload(ctx: Any, glance_id: str, data: Any) -> None:
    _check(ctx.os.image.put(f"/images/{glance_id}/file", data=data,
                            headers={"Content-Type": "application/octet-stream"}))


@handler("RegisterImage", not_found=NOT_FOUND,
         honours=("Name", "Description", "ImageLocation", "Architecture", "BootMode", "RootDeviceName",
                  "KernelId", "RamdiskId", "TagSpecifications"),
         partly={"BlockDeviceMappings": {"DeviceName": ANY, "Ebs": {
                     "SnapshotId": ANY, "VolumeSize": ANY, "VolumeType": ANY, "DeleteOnTermination": ANY,
                     "Encrypted": (False,)}},
                 # What DescribeImages reports for every image here.
                 "VirtualizationType": ("hvm",), "EnaSupport": (True,)})
def register_image(ctx: Any, params: dict) -> dict:
    """From EBS snapshots (a volume-backed Glance image, as Nova makes them), or from an http(s)
    ImageLocation that Glance imports itself (``web-download``)."""
    name = params["Name"]
    location = params.get("ImageLocation")
    has_bdm = bool(params.get("BlockDeviceMappings"))
    if not location and not has_bdm:
        raise EC2Error("MissingParameter", "The request must contain the parameter ImageLocation or "
                                           "BlockDeviceMappings")
    if params.get("BillingProducts"):
        raise EC2Error("UnsupportedOperation", "Billing products are not supported.")
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    props = _image_properties(params)
    for key, prop in (("KernelId", "kernel_id"), ("RamdiskId", "ramdisk_id")):
        if params.get(key):
            props[prop] = glance_id_of(ctx, params[key])
    if has_bdm:
        bdms, root = _snapshot_bdms(ctx, params)
        _check_name(ctx, name)
        body = {"name": name, "disk_format": "raw", "container_format": "bare", **props,
                "block_device_mapping": json.dumps(bdms), "bdm_v2": "True",
                "root_device_name": root}
        image = _create_glance(ctx, body)
        try:
            _upload(ctx, image["id"], b"")      # zero bytes make it active, as Nova does
        except BaseException:
            ctx.os.image.delete(f"/images/{image['id']}")
            raise
        return {"ImageId": _register(ctx, image["id"], new_tags)}
    url = urlparse(location)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise EC2Error("InvalidParameterValue",
                       f"ImageLocation must be an http(s) URL Glance can import from: {location}")
    _check_name(ctx, name)
    info = _check(ctx.os.image.get("/info/import")).json()
    methods = ((info.get("import-methods") or {}).get("value")) or []
    if "web-download" not in methods:
        raise EC2Error("UnsupportedOperation", "This cloud's Glance does not import images from URLs.")
    image = _create_glance(ctx, {"name": name, "disk_format": _disk_format(location),
                                 "container_format": "bare", **props})
    try:
        _check(ctx.os.image.post(f"/images/{image['id']}/import",
                                 json={"method": {"name": "web-download", "uri": location}}))
    except sdk_exc.HttpException as e:
        ctx.os.image.delete(f"/images/{image['id']}")
        raise EC2Error("InvalidParameterValue", f"Glance cannot import {location}: {e.details or e}") from e
    except BaseException:
        ctx.os.image.delete(f"/images/{image['id']}")
        raise
    return {"ImageId": _register(ctx, image["id"], new_tags)}


@handler("DeregisterImage", not_found=NOT_FOUND, honours=("ImageId", "DeleteAssociatedSnapshots"))
def deregister_image(ctx: Any, params: dict) -> dict:
    """Delete the Glance image (owner only); its id and every project's tags on it go too."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    _owned(ctx, image, image_id)
    resp = ctx.os.image.delete(f"/images/{image['id']}")
    if resp.status_code != 404:
        _check(resp)
    result: dict[str, Any] = {"Return": True}
    if params.get("DeleteAssociatedSnapshots"):
        snapshots = [b["snapshot_id"] for b in glance_bdms(image) if b.get("snapshot_id")]
        with ctx.session() as s:
            snap_ids = ids.ec2_ids(s, ctx.project_id, "snap", snapshots) if snapshots else {}
        outcomes = []
        for sid in snapshots:
            try:
                ctx.os.block_storage.delete_snapshot(sid, ignore_missing=True)
                outcomes.append({"SnapshotId": snap_ids[sid], "ReturnCode": "success"})
            except sdk_exc.HttpException:
                outcomes.append({"SnapshotId": snap_ids[sid], "ReturnCode": "warn-skipped-snapshot-in-use"})
        result["DeleteSnapshotResults"] = outcomes
    with ctx.session() as s:
        tags.purge(s, [image_id])   # the id stays: instances launched from the image still name it
        ids.set_data(s, SCOPE, image_id, {"deregistered_at": datetime.now(UTC).isoformat()})
    return result


class _SizedStream:
    """A download passed on as an upload body of known length: requests then sends Content-Length
    rather than chunks (Glance under uWSGI does not take chunked uploads), in constant memory."""

    def __init__(self, raw: Any, size: int) -> None:
        self._raw = raw
        self._size = size

    def __len__(self) -> int:
        return self._size

    def read(self, n: int = -1) -> bytes:
        return self._raw.read(n if n is not None and n >= 0 else None)


_COPIED_PROPERTIES = ("architecture", "os_distro", "os_version", "os_type", "hw_firmware_type",
                      "hw_disk_bus", "hw_scsi_model", "hw_vif_model", "hw_machine_type", "hw_cpu_policy",
                      "kernel_id", "ramdisk_id", "block_device_mapping", "bdm_v2", "root_device_name",
                      "min_disk", "min_ram")


@handler("CopyImage", not_found=NOT_FOUND,
         honours=("SourceImageId", "SourceRegion", "Name", "Description", "CopyImageTags", "TagSpecifications"),
         partly={"Encrypted": (False,)})
def copy_image(ctx: Any, params: dict) -> dict:
    """A new image with the source's data and facts, in this region (the only one here)."""
    if params["SourceRegion"] != ctx.region:
        raise EC2Error("InvalidParameterValue",
                       f"Invalid source region {params['SourceRegion']}: this cloud has only {ctx.region}.")
    if params.get("Encrypted") or params.get("KmsKeyId"):
        raise EC2Error("UnsupportedOperation", "Encrypted copies are not supported.")
    if params.get("DestinationOutpostArn"):
        raise EC2Error("UnsupportedOperation", "Outposts are not supported.")
    source_id = params["SourceImageId"]
    source = resolve(ctx, source_id)
    if source.get("status") != "active":
        raise EC2Error("IncorrectState", f"The image '{source_id}' is not available.")
    if glance_bdms(source) and source.get("owner") != ctx.project_id:
        # Its data are the owner's Cinder snapshots, which a copy in this project could not use.
        raise EC2Error("UnsupportedOperation",
                       f"The image '{source_id}' is backed by another account's snapshots; only its owner can copy it.")
    name = params["Name"]
    _check_name(ctx, name)
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    if params.get("CopyImageTags"):
        with ctx.session() as s:
            old = tags.tags_for(s, ctx.project_id, [source_id])[source_id]
        given = {t["Key"] for t in new_tags}
        new_tags = [t for t in old if t["Key"] not in given] + new_tags
    body: dict[str, Any] = {"name": name, "disk_format": source.get("disk_format") or "raw",
                            "container_format": source.get("container_format") or "bare",
                            SOURCE_PROPERTY: source["id"]}
    body.update({k: source[k] for k in _COPIED_PROPERTIES if source.get(k) is not None})
    description = params.get("Description", source.get("description"))
    if description:
        body["description"] = description
    image = _create_glance(ctx, body)
    try:
        if glance_bdms(source) or not source.get("size"):
            _upload(ctx, image["id"], b"")
        else:
            download = _check(ctx.os.image.get(f"/images/{source['id']}/file", stream=True))
            try:
                _upload(ctx, image["id"], _SizedStream(download.raw, int(source["size"])))
            finally:
                download.close()
    except BaseException:
        ctx.os.image.delete(f"/images/{image['id']}")
        raise
    return {"ImageId": _register(ctx, image["id"], new_tags)}
