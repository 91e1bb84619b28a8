"""AttachNetworkInterface and DetachNetworkInterface: Nova's interface attach of the port.

The device index is ec2api's record (Nova has none): kept in the ENI's item data with the attach
time. Detaching the primary interface (device index 0) is refused, as on AWS. Nova's detach is
asynchronous: the interface shows ``in-use`` until Nova has let go of the port, then ``available``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from handlers import _bulk as bulk
from handlers import _groups as groups
from handlers import _interfaces as eni
from handlers import _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AttachNetworkInterfaceRequest,
        AttachNetworkInterfaceResult,
        DetachNetworkInterfaceRequest,
    )

MAX_DEVICE_INDEX = 31


def _instance(ctx: Any, instance_id: str) -> Any:
    """The caller's live Nova server of ``instance_id`` (AWS's errors for a bad or unknown id)."""
    ids.require_well_formed("i", [instance_id])
    with ctx.session() as s:
        server_id = ids.os_id(s, ctx.project_id, instance_id)
    srv = bulk.server(ctx, server_id) if server_id else None
    if srv is None:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    return srv


def server_ports(ctx: Any, server_id: str) -> tuple[list[dict], dict[str, dict]]:
    """The server's interface ports and their ENI data."""
    ports = [p for p in groups.neutron_list(ctx, "/ports", "ports", "device_id", [server_id]) if eni.is_interface(p)]
    with ctx.session() as s:
        eni_ids = ids.ec2_ids(s, ctx.project_id, eni.KIND, [p["id"] for p in ports])
        data = ids.get_data_many(s, ctx.project_id, eni_ids.values())
    return ports, {pid: data.get(e, {}) for pid, e in eni_ids.items()}


@handler("AttachNetworkInterface", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "InstanceId", "DeviceIndex"),
         partly={"NetworkCardIndex": (0,)})   # one network card: every interface is on card 0
def attach_network_interface(ctx: RequestContext, params: AttachNetworkInterfaceRequest) -> AttachNetworkInterfaceResult:
    """Attach an available interface of the instance's VPC at a free device index."""
    eni_id, index = params["NetworkInterfaceId"], params["DeviceIndex"]
    port, data = eni.resolve(ctx, eni_id)
    srv = _instance(ctx, params["InstanceId"])
    if not 1 <= index <= MAX_DEVICE_INDEX:
        raise EC2Error("InvalidParameterValue", f"Value ({index}) for parameter deviceIndex is invalid."
                       f" Device index must be between 1 and {MAX_DEVICE_INDEX} (0 is the primary interface).")
    if port.get("device_id"):
        raise EC2Error("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    ports, data_of = server_ports(ctx, srv.id)
    if not ports:
        raise EC2Error("IncorrectInstanceState", f"The instance '{params['InstanceId']}' has no network interface yet.")
    if any(p["network_id"] != port["network_id"] for p in ports):
        raise EC2Error("InvalidParameterValue", f"The interface {eni_id} is not in the VPC of the instance "
                       f"{params['InstanceId']}.")
    if index in eni.device_indexes(ports, data_of).values():
        raise EC2Error("InvalidParameterValue", f"Instance '{params['InstanceId']}' already has an interface "
                       f"attached at device index '{index}'.")
    if (srv.status or "").upper() not in ("ACTIVE", "SHUTOFF"):
        raise EC2Error("IncorrectInstanceState", f"The instance '{params['InstanceId']}' is not running or stopped.")
    resp = ctx.os.compute.post(f"/servers/{srv.id}/os-interface", json={"interfaceAttachment": {"port_id": port["id"]}})
    if resp.status_code == 409:
        raise EC2Error("IncorrectInstanceState", f"The instance '{params['InstanceId']}' cannot take an interface now.")
    checked(resp)
    try:
        _vpc.update_data(ctx, eni_id, device_index=index, attach_time=datetime.now(UTC).isoformat(),
                         delete_on_termination=False)
    except BaseException:
        _vpc.undo(lambda: ctx.os.compute.delete(f"/servers/{srv.id}/os-interface/{port['id']}"))
        raise
    return {"AttachmentId": eni.attachment_id(eni_id), "NetworkCardIndex": 0}


@handler("DetachNetworkInterface", not_found="InvalidAttachmentID.NotFound",
         # Nova's detach takes the port off the server whatever the guest does: a forced detach and a
         # plain one are the same here.
         honours=("AttachmentId", "Force"))
def detach_network_interface(ctx: RequestContext, params: DetachNetworkInterfaceRequest) -> None:
    """Detach a secondary interface (the primary, at device index 0, cannot be)."""
    attachment = params["AttachmentId"]
    eni_id = eni.eni_of_attachment(attachment)
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, eni_id)
    port = eni.port(ctx, os_id) if os_id else None
    if port is None or not port.get("device_id"):
        raise EC2Error("InvalidAttachmentID.NotFound", f"The attachment ID '{attachment}' does not exist")
    ports, data_of = server_ports(ctx, port["device_id"])
    if eni.device_indexes(ports, data_of).get(port["id"], 0) == 0:
        raise EC2Error("OperationNotPermitted", "The network interface at device index 0 cannot be detached.")
    resp = ctx.os.compute.delete(f"/servers/{port['device_id']}/os-interface/{port['id']}")
    if resp.status_code != 404:
        if resp.status_code == 409:
            raise EC2Error("IncorrectInstanceState", "The instance cannot let go of the interface now.")
        checked(resp)
    data = dict(data_of.get(port["id"], {}))
    for key in ("device_index", "attach_time", "delete_on_termination"):
        data.pop(key, None)
    with ctx.session() as s:
        ids.set_data(s, ctx.project_id, eni_id, data)
