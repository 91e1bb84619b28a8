"""AttachVolume and DetachVolume through Nova's volume attachments.

Nova (the hypervisor) names the guest device itself; the device the caller asked for is kept with
the volume's id (``devices``: server id -> device) and shown by DescribeVolumes, as AWS shows it.
The root volume of an instance is not detached (``OperationNotPermitted``, as AWS answers for a
running instance); an instance's volumes are checked against its zone before Nova is asked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openstack import exceptions as sdk_exc

from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers._storage import volume_of, volume_state

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import AttachVolumeRequest, DetachVolumeRequest, VolumeAttachment

# The device names AWS accepts for EBS volumes (Linux and Windows styles).
_DEVICE = re.compile(r"^(/dev/(sd[a-z][1-9]?|xvd[a-z]{1,2}|hd[a-z]|vd[a-z]{1,2}|nvme\d+n\d+)|xvd[a-z]{1,2})$")


def _server(ctx: Any, instance_id: str) -> tuple[str, bulk.Server]:
    ids.require_well_formed("i", [instance_id])
    with ctx.session() as s:
        server_id = ids.os_id(s, ctx.project_id, instance_id)
    bulk.prepare(ctx, "compute")
    server = bulk.server(ctx, server_id) if server_id else None
    if server is None or server.status == "DELETED":
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    return server_id or "", server


def _devices(ctx: Any, volume_id: str) -> tuple[dict, dict[str, str]]:
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, [volume_id]).get(volume_id, {})
    return data, dict(data.get("devices") or {})


def _keep_devices(ctx: Any, volume_id: str, data: dict, devices: dict[str, str]) -> None:
    with ctx.session() as s:
        ids.set_data(s, ctx.project_id, volume_id, {**data, "devices": devices})


@handler("AttachVolume", not_found="InvalidVolume.NotFound", honours=("VolumeId", "InstanceId", "Device"))
def attach_volume(ctx: RequestContext, params: AttachVolumeRequest) -> VolumeAttachment:
    """Attach an available volume of the instance's zone; the device asked for is kept and shown."""
    volume_id, instance_id, device = params["VolumeId"], params["InstanceId"], params["Device"]
    if not _DEVICE.match(device):
        raise EC2Error("InvalidParameterValue",
                       f"Value ({device}) for parameter device is invalid. {device} is not a valid EBS device name.")
    os_id, volume = volume_of(ctx, volume_id)
    server_id, server = _server(ctx, instance_id)
    attached_to = {a.get("server_id") for a in volume.attachments or []}
    if server_id in attached_to:
        raise EC2Error("VolumeInUse", f"{volume_id} is already attached to an instance")
    if volume.status != "available" and not (volume.is_multiattach and volume.status == "in-use"):
        raise EC2Error("IncorrectState", f"{volume_id} is not 'available'.")
    if volume.availability_zone != server.availability_zone:
        raise EC2Error("InvalidVolume.ZoneMismatch",
                       f"The volume '{volume_id}' is not in the same availability zone as instance '{instance_id}'")
    if server.status not in ("ACTIVE", "SHUTOFF"):
        raise EC2Error("IncorrectInstanceState", f"Instance '{instance_id}' is not 'running' or 'stopped'.")
    data, devices = _devices(ctx, volume_id)
    # The device is not passed on: Nova names the guest's device itself (and refuses names it
    # would not give), so ec2api keeps the caller's.
    ctx.os.compute.create_volume_attachment(server_id, volume_id=os_id)
    try:
        _keep_devices(ctx, volume_id, data, {**devices, server_id: device})
    except BaseException:
        ctx.os.compute.delete_volume_attachment(server_id, os_id, ignore_missing=True)
        raise
    return {"VolumeId": volume_id, "InstanceId": instance_id, "Device": device, "State": "attaching",
            "AttachTime": datetime.now(UTC), "DeleteOnTermination": False}


# Force: Nova detaches through the hypervisor without waiting on the guest beyond its retries,
# which is what a forced detachment is; both values take the same path.
@handler("DetachVolume", not_found="InvalidVolume.NotFound", honours=("VolumeId", "InstanceId", "Device", "Force"))
def detach_volume(ctx: RequestContext, params: DetachVolumeRequest) -> VolumeAttachment:
    """Detach a volume (from the one instance it is attached to, or the one named); never the root volume."""
    volume_id = params["VolumeId"]
    os_id, volume = volume_of(ctx, volume_id)
    attachments = [a for a in volume.attachments or [] if a.get("server_id")]
    if not attachments:
        raise EC2Error("IncorrectState", f"Volume '{volume_id}' is in the '{volume_state(volume.status)}' state.")
    with ctx.session() as s:
        instance_ids = ids.ec2_ids(s, ctx.project_id, "i", [a["server_id"] for a in attachments])
    data, devices = _devices(ctx, volume_id)
    wanted = params.get("InstanceId")
    if wanted is not None:
        ids.require_well_formed("i", [wanted])
    chosen = [a for a in attachments if wanted in (None, instance_ids[a["server_id"]])
              and params.get("Device") in (None, devices.get(a["server_id"]) or a.get("device"))]
    if not chosen or (wanted is None and len(chosen) > 1):
        raise EC2Error("InvalidAttachment.NotFound",
                       f"Volume '{volume_id}' is not attached to {wanted or 'one instance'}"
                       + (f" at '{params['Device']}'" if params.get("Device") else "") + ".")
    attachment = chosen[0]
    server_id = attachment["server_id"]
    instance_id = instance_ids[server_id]
    bulk.prepare(ctx, "compute")
    server = bulk.server(ctx, server_id)
    if server is not None and attachment.get("device") and attachment.get("device") == server.root_device_name:
        raise EC2Error("OperationNotPermitted",
                       f"The volume '{volume_id}' is the root device of instance '{instance_id}' and cannot be detached.")
    try:
        ctx.os.compute.delete_volume_attachment(server_id, os_id)
    except sdk_exc.BadRequestException as e:
        # Nova shows root_device_name to admins only; it refuses a root volume's detachment itself.
        if "root" in str(e).lower():
            raise EC2Error("OperationNotPermitted", f"The volume '{volume_id}' is the root device of instance "
                                                    f"'{instance_id}' and cannot be detached.") from None
        raise
    device = devices.pop(server_id, None) or attachment.get("device") or ""
    _keep_devices(ctx, volume_id, data, devices)
    result: VolumeAttachment = {"VolumeId": volume_id, "InstanceId": instance_id, "Device": device,
                                "State": "detaching", "DeleteOnTermination": False}
    when = attachment.get("attached_at")
    parsed = parse_os_time(when) if when else None
    if parsed is not None:
        result["AttachTime"] = parsed
    return result
