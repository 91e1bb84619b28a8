"""CreateNetworkInterface and DeleteNetworkInterface: a Neutron port on the subnet's network."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ec2api_runtime import tagging
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.tagging import tags_from_specs
from handlers import _interfaces as eni
from handlers import _routes, _vpc
from handlers.network_interfaces import _view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateNetworkInterfaceRequest,
        CreateNetworkInterfaceResult,
        DeleteNetworkInterfaceRequest,
        NetworkInterface,
    )


def new_port(ctx: Any, subnet_id: str, group_ids: list[str], params: Any, description: str = "") -> tuple[dict, str]:
    """Check everything, then create the port: ``(port, vpc id)`` (nothing made on a refusal)."""
    subnet, _ = eni.subnet_of(ctx, subnet_id)
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", subnet["network_id"])
    primary, secondary = eni.addresses(params)
    count = int(params.get("SecondaryPrivateIpAddressCount") or 0)
    if count < 0 or count > 49:
        raise EC2Error("InvalidParameterValue", f"Value ({count}) for parameter secondaryPrivateIpAddressCount is invalid.")
    if count and secondary:
        raise EC2Error("InvalidParameterCombination",
                       "SecondaryPrivateIpAddressCount and secondary PrivateIpAddresses cannot be given together.")
    fixed = eni.fixed_ips(subnet, primary, secondary, count)
    group_os = eni.group_ids_for(ctx, group_ids, vpc_id)
    return eni.create_port(ctx, subnet, group_os, fixed, description), vpc_id


def made_data(port: dict, params: Any) -> dict:
    """The data of a port ec2api made: its primary address (given, or the one Neutron picked first)."""
    primary = eni.addresses(params)[0] or (eni.v4_ips(port) or [{}])[0].get("ip_address")
    return {"made": True, "primary_ip": primary}


def record(ctx: Any, port: dict, data: dict, new_tags: list) -> str:
    """The port's ENI id, data and tags (the port deleted again if this fails)."""
    try:
        with ctx.session() as s:
            eni_id = ids.ec2_id(s, ctx.project_id, eni.KIND, port["id"])
            ids.set_data(s, ctx.project_id, eni_id, data)
            if new_tags:
                tags.set_tags(s, ctx.project_id, [eni_id], new_tags)
    except BaseException:
        _vpc.undo(lambda: _vpc.neutron(ctx, "DELETE", f"/ports/{port['id']}", missing_ok=True))
        raise
    return eni_id


@handler("CreateNetworkInterface", not_found="InvalidSubnetID.NotFound",
         honours=("SubnetId", "Description", "PrivateIpAddress", "Groups", "PrivateIpAddresses",
                  "SecondaryPrivateIpAddressCount", "TagSpecifications"))
def create_network_interface(ctx: RequestContext, params: CreateNetworkInterfaceRequest) -> CreateNetworkInterfaceResult:
    """A port on the subnet with the groups (default: the VPC's default group) and addresses asked."""
    new_tags = tags_from_specs(params.get("TagSpecifications"), "network-interface")
    port, _ = new_port(ctx, params["SubnetId"], list(params.get("Groups") or []), params,
                       params.get("Description") or "")
    record(ctx, port, made_data(port, params), new_tags)
    items = _view.views(ctx, [port], whole=False)
    tagging.drop_empty_tags(items)
    _view.tagset(items)
    result: CreateNetworkInterfaceResult = {"NetworkInterface": cast("NetworkInterface", items[0])}
    if params.get("ClientToken"):
        result["ClientToken"] = params["ClientToken"]
    return result


@handler("DeleteNetworkInterface", not_found="InvalidNetworkInterfaceID.NotFound", honours=("NetworkInterfaceId",))
def delete_network_interface(ctx: RequestContext, params: DeleteNetworkInterfaceRequest) -> None:
    """Delete an interface that is not attached (``InvalidNetworkInterface.InUse`` while it is)."""
    eni_id = params["NetworkInterfaceId"]
    port, _ = eni.resolve(ctx, eni_id)
    if port.get("device_id"):
        raise EC2Error("InvalidNetworkInterface.InUse", f"Interface: [{eni_id}] in use.")
    _vpc.neutron(ctx, "DELETE", f"/ports/{port['id']}", missing_ok=True)
    _routes.interfaces_gone(ctx, [eni_id])
    with ctx.session() as s:
        ids.forget(s, ctx.project_id, [eni_id])
