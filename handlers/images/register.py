"""CreateImage, RegisterImage, CopyImage, DeregisterImage: images made and removed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from openstack import exceptions as sdk_exc

from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.honours import ANY
from ec2api_runtime.openstack import checked
from ec2api_runtime.tagging import tags_from_specs
from handlers._glance import NOT_FOUND, SCOPE, get_image, glance_id_of, image_ids, list_images, resolve
from handlers._storage import check_size, check_snapshot_type, cinder_type
from handlers.images._common import require_owner
from handlers.images._view import SOURCE_PROPERTY, glance_bdms

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CopyImageRequest,
        CopyImageResult,
        CreateImageRequest,
        CreateImageResult,
        DeleteSnapshotReturnCode,
        DeregisterImageRequest,
        DeregisterImageResult,
        RegisterImageRequest,
        RegisterImageResult,
    )

RESOURCE_TYPE = "image"
_NAME_RE = re.compile(r"[a-zA-Z0-9()\[\] ./\-'@_]{3,128}")
_DISK_FORMATS = {".qcow2": "qcow2", ".img": "raw", ".raw": "raw", ".iso": "iso", ".vmdk": "vmdk",
                 ".vhd": "vhd", ".vhdx": "vhdx", ".vdi": "vdi"}


def _check_name(ctx: Any, name: str) -> None:
    """AWS's name rules, and no two images of the caller with one name (one Glance call)."""
    if not _NAME_RE.fullmatch(name or ""):
        raise EC2Error("InvalidAMIName.Malformed",
                       "AMI names must be between 3 and 128 characters long, and may contain letters, "
                       "numbers, '(', ')', '.', '-', '/', '_', '[', ']', ' ', '@' and '''")
    holders = [i for i in list_images(ctx, owner=ctx.project_id, name=name) if i.get("status") != "deleted"]
    if holders:
        with ctx.session() as s:
            holder = image_ids(s, [holders[0]["id"]])[holders[0]["id"]]
        raise EC2Error("InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {holder}")


def _register(ctx: Any, glance_id: str, new_tags: Sequence[Mapping[str, Any]], data: dict | None = None) -> str:
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
def create_image(ctx: RequestContext, params: CreateImageRequest) -> CreateImageResult:
    """A snapshot of an instance through Nova's createImage (pending until Nova has uploaded it)."""
    instance_id = params["InstanceId"]
    if not ids.is_well_formed("i", instance_id):
        raise ids.malformed("i", instance_id)
    name = params["Name"]
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


def _tag_snapshots(ctx: Any, glance_id: str, new_tags: Sequence[Mapping[str, Any]]) -> None:
    """Tag the Cinder snapshots a new image is made of (Nova records them in the image's mapping
    before createImage answers; an image-backed instance's image has none)."""
    image = get_image(ctx, glance_id) or {}
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


def _image_properties(params: RegisterImageRequest) -> dict[str, Any]:
    props: dict[str, Any] = {"architecture": params.get("Architecture") or "x86_64"}
    if params.get("Description"):
        props["description"] = params["Description"]
    if params.get("BootMode") in ("uefi", "uefi-preferred"):
        props["hw_firmware_type"] = "uefi"
    elif params.get("BootMode") == "legacy-bios":
        props["hw_firmware_type"] = "bios"
    return props


def _snapshot_bdms(ctx: Any, params: RegisterImageRequest) -> tuple[list[dict], str]:
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
            raise missing_parameter("DeviceName")
        if not ebs:   # NoDevice, VirtualName and Encrypted=true are refused by the runtime
            continue
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
            if ebs.get("VolumeSize") is not None:
                check_size(int(ebs["VolumeSize"]), ebs.get("VolumeType") or "gp3", snapshot, sid)
            entry.update(source_type="snapshot", snapshot_id=snapshot.id,
                         volume_size=int(ebs["VolumeSize"] if ebs.get("VolumeSize") is not None else snapshot.size))
        elif ebs.get("VolumeSize"):
            entry.update(source_type="blank", volume_size=int(ebs["VolumeSize"]))
        else:
            raise EC2Error("InvalidParameterValue", f"The mapping of {device} needs a SnapshotId or a VolumeSize.")
        if ebs.get("VolumeType"):   # the Cinder type the EC2 type maps to, checked to exist
            entry["volume_type"] = cinder_type(ctx, ebs["VolumeType"], member="VolumeType").name
            if entry["source_type"] == "snapshot":   # Nova makes the volume at launch: refused now, not then
                check_snapshot_type(ctx, snapshot, entry["volume_type"], "VolumeType")
        out.append(entry)
    if not any(e["boot_index"] == 0 and e["source_type"] == "snapshot" for e in out):
        raise EC2Error("InvalidParameterValue", f"The root device {root} must be mapped to an EBS snapshot.")
    return out, root


def _create_glance(ctx: Any, body: dict) -> dict:
    return checked(ctx.os.image.post("/images", json=body)).json()


def _upload(ctx: Any, glance_id: str, data: Any) -> None:
    checked(ctx.os.image.put(f"/images/{glance_id}/file", data=data,
                            headers={"Content-Type": "application/octet-stream"}))


@handler("RegisterImage", not_found=NOT_FOUND,
         honours=("Name", "Description", "ImageLocation", "Architecture", "BootMode", "RootDeviceName",
                  "KernelId", "RamdiskId", "TagSpecifications"),
         partly={"BlockDeviceMappings": {"DeviceName": ANY, "Ebs": {
                     "SnapshotId": ANY, "VolumeSize": ANY, "VolumeType": ANY, "DeleteOnTermination": ANY,
                     "Encrypted": (False,)}},
                 # What DescribeImages reports for every image here.
                 "VirtualizationType": ("hvm",), "EnaSupport": (True,)})
def register_image(ctx: RequestContext, params: RegisterImageRequest) -> RegisterImageResult:
    """From EBS snapshots (a volume-backed Glance image, as Nova makes them), or from an http(s)
    ImageLocation that Glance imports itself (``web-download``)."""
    name = params["Name"]
    location = params.get("ImageLocation") or ""
    has_bdm = bool(params.get("BlockDeviceMappings"))
    if not location and not has_bdm:
        raise EC2Error("MissingParameter", "The request must contain the parameter ImageLocation or "
                                           "BlockDeviceMappings")
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    props = _image_properties(params)
    for given, prop in ((params.get("KernelId"), "kernel_id"), (params.get("RamdiskId"), "ramdisk_id")):
        if given:
            props[prop] = glance_id_of(ctx, given)
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
    info = checked(ctx.os.image.get("/info/import")).json()
    methods = ((info.get("import-methods") or {}).get("value")) or []
    if "web-download" not in methods:
        raise EC2Error("UnsupportedOperation", "This cloud's Glance does not import images from URLs.")
    image = _create_glance(ctx, {"name": name, "disk_format": _disk_format(location),
                                 "container_format": "bare", **props})
    try:
        checked(ctx.os.image.post(f"/images/{image['id']}/import",
                                 json={"method": {"name": "web-download", "uri": location}}))
    except sdk_exc.HttpException as e:
        ctx.os.image.delete(f"/images/{image['id']}")
        raise EC2Error("InvalidParameterValue", f"Glance cannot import {location}: {e.details or e}") from e
    except BaseException:
        ctx.os.image.delete(f"/images/{image['id']}")
        raise
    return {"ImageId": _register(ctx, image["id"], new_tags)}


@handler("DeregisterImage", not_found=NOT_FOUND, honours=("ImageId", "DeleteAssociatedSnapshots"))
def deregister_image(ctx: RequestContext, params: DeregisterImageRequest) -> DeregisterImageResult:
    """Delete the Glance image (owner only); its id and every project's tags on it go too."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    require_owner(ctx, image, image_id)
    resp = ctx.os.image.delete(f"/images/{image['id']}")
    if resp.status_code != 404:
        checked(resp)
    result: DeregisterImageResult = {"Return": True}
    if params.get("DeleteAssociatedSnapshots"):
        snapshots = [b["snapshot_id"] for b in glance_bdms(image) if b.get("snapshot_id")]
        with ctx.session() as s:
            snap_ids = ids.ec2_ids(s, ctx.project_id, "snap", snapshots) if snapshots else {}
        outcomes: list[DeleteSnapshotReturnCode] = []
        for sid in snapshots:
            try:
                ctx.os.block_storage.delete_snapshot(sid, ignore_missing=True)
                outcomes.append({"SnapshotId": snap_ids[sid], "ReturnCode": "success"})
            except sdk_exc.HttpException:
                outcomes.append({"SnapshotId": snap_ids[sid], "ReturnCode": "skipped"})   # the model's word
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
def copy_image(ctx: RequestContext, params: CopyImageRequest) -> CopyImageResult:
    """A new image with the source's data and facts, in this region (the only one here)."""
    if params["SourceRegion"] != ctx.region:
        raise EC2Error("InvalidParameterValue",
                       f"Invalid source region {params['SourceRegion']}: this cloud has only {ctx.region}.")
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
    new_tags: Sequence[Mapping[str, Any]] = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    if params.get("CopyImageTags"):
        with ctx.session() as s:
            old = tags.tags_for(s, ctx.project_id, [source_id])[source_id]
        given = {t["Key"] for t in new_tags}
        new_tags = [*(t for t in old if t["Key"] not in given), *new_tags]
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
            download = checked(ctx.os.image.get(f"/images/{source['id']}/file", stream=True))
            try:
                _upload(ctx, image["id"], _SizedStream(download.raw, int(source["size"])))
            finally:
                download.close()
    except BaseException:
        ctx.os.image.delete(f"/images/{image['id']}")
        raise
    return {"ImageId": _register(ctx, image["id"], new_tags)}
