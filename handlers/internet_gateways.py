"""Internet gateways: ec2api records whose attachment is the VPC router's external gateway.

Create/Delete/Describe/Attach/DetachInternetGateway. An ``igw-`` is a record (item data
``{"vpc_id": ...}`` while attached); attaching sets the VPC router's external gateway to the
cloud's external network, detaching clears it. A router that already has a gateway (the default
VPC's, made with the cloud) is shown as an attached gateway, recorded the first time it is listed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from openstack import exceptions

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _bulk as bulk
from handlers import _nat, _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AttachInternetGatewayRequest,
        CreateInternetGatewayRequest,
        CreateInternetGatewayResult,
        DeleteInternetGatewayRequest,
        DescribeInternetGatewaysRequest,
        DescribeInternetGatewaysResult,
        DetachInternetGatewayRequest,
    )

KIND = "igw"


def _view(ctx: Any, igw_id: str, data: dict, igw_tags: list) -> dict:
    attached = [{"VpcId": data["vpc_id"], "State": "available"}] if data.get("vpc_id") else []
    return {"InternetGatewayId": igw_id, "OwnerId": ctx.account_id, "Attachments": attached, "Tags": igw_tags}


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    with ctx.session() as s:
        known = ids.items_with_data(s, ctx.project_id, KIND)
    if not wanted["InternetGatewayIds"]:
        bulk.prepare(ctx, "network")
        _vpc.record_default_gateway(ctx, known)
    with ctx.session() as s:
        tags_of = tags.tags_for(s, ctx.project_id, known.keys())
    return [_view(ctx, igw_id, data, tags_of.get(igw_id, [])) for igw_id, (_, data) in known.items()]


DESCRIBE = describe.Describe(
    result_key="InternetGateways",
    fetch=_fetch,
    empty_tags=True,   # AWS shows an empty tagSet; ec2_vpc_route_table_info/ec2_vpc_igw_info read it
    sort_key=lambda i: i["InternetGatewayId"],
    requested=(describe.Requested("InternetGatewayIds", lambda i: i["InternetGatewayId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),),
    filters={
        "attachment.state": lambda i: [a["State"] for a in i["Attachments"]],
        "attachment.vpc-id": lambda i: [a["VpcId"] for a in i["Attachments"]],
        "internet-gateway-id": lambda i: i["InternetGatewayId"],
        "owner-id": lambda i: i["OwnerId"],
    },
)


@handler("DescribeInternetGateways", not_found="InvalidInternetGatewayID.NotFound",
         honours=("InternetGatewayIds", "Filters", "MaxResults", "NextToken"))
def describe_internet_gateways(ctx: RequestContext,
                               params: DescribeInternetGatewaysRequest) -> DescribeInternetGatewaysResult:
    """The caller's internet gateways (records: no OpenStack call by id)."""
    return describe.run(ctx, params, DESCRIBE)


@handler("CreateInternetGateway", honours=("TagSpecifications",))
def create_internet_gateway(ctx: RequestContext, params: CreateInternetGatewayRequest) -> CreateInternetGatewayResult:
    """A detached internet gateway (a record until it is attached)."""
    new_tags = tags_from_specs(params.get("TagSpecifications"), "internet-gateway")
    with ctx.session() as s:
        igw_id = ids.ec2_id(s, ctx.project_id, KIND, str(uuid.uuid4()))
        ids.set_data(s, ctx.project_id, igw_id, {})
        if new_tags:
            tags.set_tags(s, ctx.project_id, [igw_id], new_tags)
    gateway: Any = _view(ctx, igw_id, {}, new_tags)
    drop_empty_tags([gateway])
    return {"InternetGateway": gateway}


def _gateway(ctx: Any, igw_id: str) -> dict:
    """The record of the caller's gateway ``igw_id``, else InvalidInternetGatewayID.NotFound."""
    ids.require_well_formed(KIND, [igw_id])
    with ctx.session() as s:
        found = ids.items_with_data(s, ctx.project_id, KIND).get(igw_id)
    if found is None:
        raise ids.not_found(KIND, igw_id)
    return found[1]



@handler("AttachInternetGateway", not_found="InvalidVpcID.NotFound", honours=("InternetGatewayId", "VpcId"))
def attach_internet_gateway(ctx: RequestContext, params: AttachInternetGatewayRequest) -> None:
    """Give the VPC router a gateway on the external network."""
    igw_id, vpc_id = params["InternetGatewayId"], params["VpcId"]
    data = _gateway(ctx, igw_id)
    net, vpc_data = _vpc.resolve_vpc(ctx, vpc_id)
    if data.get("vpc_id"):
        raise EC2Error("Resource.AlreadyAssociated", f"resource {igw_id} is already attached to network {data['vpc_id']}")
    with ctx.session() as s:
        others = ids.items_with_data(s, ctx.project_id, KIND)
    holder = next((g for g, (_, d) in others.items() if d.get("vpc_id") == vpc_id), None)
    router = _vpc.router_of(ctx, net, vpc_data)
    if router is None:
        raise EC2Error("InvalidVpcID.NotFound", f"The vpc '{vpc_id}' has no router to attach a gateway to.")
    current = _vpc.neutron(ctx, "GET", f"/routers/{router}")["router"]
    if holder or current.get("external_gateway_info"):
        raise EC2Error("Resource.AlreadyAssociated",
                       f"resource {vpc_id} is already associated with {holder or 'an internet gateway'}")
    _vpc.neutron(ctx, "PUT", f"/routers/{router}",
                 {"router": {"external_gateway_info": {"network_id": _vpc.external_network_id(ctx)}}})
    try:
        _vpc.update_data(ctx, igw_id, vpc_id=vpc_id)
    except BaseException:
        _vpc.undo(lambda: _vpc.neutron(ctx, "PUT", f"/routers/{router}", {"router": {"external_gateway_info": {}}}))
        raise


@handler("DetachInternetGateway", not_found="InvalidVpcID.NotFound", honours=("InternetGatewayId", "VpcId"))
def detach_internet_gateway(ctx: RequestContext, params: DetachInternetGatewayRequest) -> None:
    """Clear the VPC router's gateway (refused while elastic IPs in the VPC use it)."""
    igw_id, vpc_id = params["InternetGatewayId"], params["VpcId"]
    data = _gateway(ctx, igw_id)
    ids.require_well_formed("vpc", [vpc_id])
    if data.get("vpc_id") != vpc_id:
        raise EC2Error("Gateway.NotAttached", f"resource {igw_id} is not attached to network {vpc_id}")
    _nat.refuse_if_live(ctx, vpc_id=vpc_id)   # a NAT gateway's public address is the router's gateway
    net, vpc_data = _vpc.resolve_vpc(ctx, vpc_id)
    router = _vpc.router_of(ctx, net, vpc_data)
    if router:
        try:
            _vpc.neutron(ctx, "PUT", f"/routers/{router}", {"router": {"external_gateway_info": {}}})
        except exceptions.ConflictException:
            raise EC2Error("DependencyViolation", f"Network {vpc_id} has some mapped public address(es). "
                           "Please unmap those public address(es) before detaching the gateway.") from None
    _vpc.update_data(ctx, igw_id, vpc_id=None)


@handler("DeleteInternetGateway", not_found="InvalidInternetGatewayID.NotFound", honours=("InternetGatewayId",))
def delete_internet_gateway(ctx: RequestContext, params: DeleteInternetGatewayRequest) -> None:
    """Delete a detached gateway."""
    igw_id = params["InternetGatewayId"]
    if _gateway(ctx, igw_id).get("vpc_id"):
        raise EC2Error("DependencyViolation", f"The internetGateway '{igw_id}' has dependencies and cannot be deleted.")
    with ctx.session() as s:
        ids.forget(s, ctx.project_id, [igw_id])
