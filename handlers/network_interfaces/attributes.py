"""Describe/Modify/ResetNetworkInterfaceAttribute: description, groups, source/dest check (an
allowed address pair ``0.0.0.0/0``, see ``handlers._interfaces``), the attachment's
DeleteOnTermination (item data)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.honours import ANY
from handlers import _interfaces as eni
from handlers import _vpc
from handlers.network_interfaces import _view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeNetworkInterfaceAttributeRequest,
        DescribeNetworkInterfaceAttributeResult,
        ModifyNetworkInterfaceAttributeRequest,
        ResetNetworkInterfaceAttributeRequest,
    )

_ATTRIBUTES = ("description", "groupSet", "sourceDestCheck", "attachment", "associatePublicIpAddress")


@handler("DescribeNetworkInterfaceAttribute", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "Attribute"))
def describe_network_interface_attribute(ctx: RequestContext, params: DescribeNetworkInterfaceAttributeRequest
                                         ) -> DescribeNetworkInterfaceAttributeResult:
    """One attribute of the interface (all of them when none is named)."""
    eni_id = params["NetworkInterfaceId"]
    port, _ = eni.resolve(ctx, eni_id)
    item = _view.views(ctx, [port], whole=False)[0]
    wanted = params.get("Attribute")
    out: DescribeNetworkInterfaceAttributeResult = {"NetworkInterfaceId": eni_id}
    for name in [wanted] if wanted else _ATTRIBUTES:
        if name == "description":
            out["Description"] = {"Value": item["Description"]}
        elif name == "groupSet":
            out["Groups"] = item["Groups"]
        elif name == "sourceDestCheck":
            out["SourceDestCheck"] = {"Value": item["SourceDestCheck"]}
        elif name == "attachment" and item.get("Attachment"):
            out["Attachment"] = item["Attachment"]
        elif name == "associatePublicIpAddress":
            out["AssociatePublicIpAddress"] = "Association" in item
    return out


def _pairs(port: dict, check: bool) -> list[dict]:
    """The port's allowed address pairs with the any-address pair off (check on) or on."""
    kept = [p for p in port.get("allowed_address_pairs") or [] if p.get("ip_address") != eni.ANY_ADDRESS]
    return kept if check else [*kept, {"ip_address": eni.ANY_ADDRESS}]


def _delete_on_termination(ctx: Any, eni_id: str, port: dict, data: dict, changes: dict) -> None:
    if changes.get("AttachmentId") != eni.attachment_id(eni_id) or not port.get("device_id"):
        raise EC2Error("InvalidAttachmentID.NotFound",
                       f"The attachment ID '{changes.get('AttachmentId')}' does not exist")
    value = changes.get("DeleteOnTermination")
    if value is None:
        raise EC2Error("MissingParameter", "The request must contain the parameter Attachment.DeleteOnTermination")
    if not data.get("made") and not value:
        # Nova made this port with the instance and deletes it with the instance, whatever is asked.
        raise EC2Error("InvalidParameterValue", "The parameter Attachment.DeleteOnTermination cannot be false for "
                       "this interface on this cloud: Nova created it with the instance and deletes it with it.")
    _vpc.update_data(ctx, eni_id, delete_on_termination=bool(value))


@handler("ModifyNetworkInterfaceAttribute", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "Description", "SourceDestCheck", "Groups"),
         partly={"Attachment": {"AttachmentId": ANY, "DeleteOnTermination": ANY}})
def modify_network_interface_attribute(ctx: RequestContext, params: ModifyNetworkInterfaceAttributeRequest) -> None:
    """Change the description, groups, source/dest check or DeleteOnTermination (checked first)."""
    eni_id = params["NetworkInterfaceId"]
    port, data = eni.resolve(ctx, eni_id)
    body: dict[str, Any] = {}
    if "Description" in params:
        body["description"] = (params["Description"] or {}).get("Value") or ""
    if "SourceDestCheck" in params:
        value = (params["SourceDestCheck"] or {}).get("Value")
        if value is None:
            raise EC2Error("MissingParameter", "The request must contain the parameter SourceDestCheck.Value")
        body["allowed_address_pairs"] = _pairs(port, bool(value))
    if params.get("Groups"):
        with ctx.session() as s:
            vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", port["network_id"])
        body["security_groups"] = eni.group_ids_for(ctx, list(params["Groups"]), vpc_id)
    if "Attachment" in params:
        _delete_on_termination(ctx, eni_id, port, data, dict(params["Attachment"]))
    if body:
        _vpc.neutron(ctx, "PUT", f"/ports/{port['id']}", {"port": body})
    elif "Attachment" not in params:
        raise EC2Error("MissingParameter", "The request must contain an attribute to modify.")


@handler("ResetNetworkInterfaceAttribute", not_found="InvalidNetworkInterfaceID.NotFound",
         partly={"SourceDestCheck": ("true",)}, honours=("NetworkInterfaceId",))
def reset_network_interface_attribute(ctx: RequestContext, params: ResetNetworkInterfaceAttributeRequest) -> None:
    """Source/dest check back on (the any-address pair removed)."""
    port, _ = eni.resolve(ctx, params["NetworkInterfaceId"])
    if "SourceDestCheck" not in params:
        raise EC2Error("MissingParameter", "The request must contain the parameter SourceDestCheck")
    if not eni.source_dest_check(port):
        _vpc.neutron(ctx, "PUT", f"/ports/{port['id']}", {"port": {"allowed_address_pairs": _pairs(port, True)}})
