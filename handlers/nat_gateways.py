"""NAT gateways: Create/Delete/DescribeNatGateways, on the VPC router's SNAT (handlers/_nat.py).

A public NAT gateway in a subnet is the VPC router's source NAT onto its external gateway: what
every subnet attached to the router already gets once an internet gateway is attached. Creating one
changes nothing in Neutron; it records which subnet and elastic IP it was made with, and shows the
addresses traffic really uses: ``PublicIp`` the router gateway's external address, ``PrivateIp`` the
router's interface in the subnet. Without an attached internet gateway it fails as on AWS (state
``failed``, ``Gateway.NotAttached``). Private NAT gateways, a second NAT gateway per VPC and
secondary addresses are refused: one Neutron router has one SNAT, on its gateway address only.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe, honours
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.tagging import tags_from_specs
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers import _nat, _subnet, _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateNatGatewayRequest,
        CreateNatGatewayResult,
        DeleteNatGatewayRequest,
        DeleteNatGatewayResult,
        DescribeNatGatewaysRequest,
        DescribeNatGatewaysResult,
    )

KIND = _nat.KIND


def _view(nat_id: str, d: dict, nat_tags: list) -> dict:
    address: dict[str, Any] = {"AllocationId": d["allocation_id"], "IsPrimary": True,
                               "Status": "failed" if d["state"] == "failed" else "succeeded"}
    if d.get("public_ip"):
        address["PublicIp"] = d["public_ip"]
    if d.get("private_ip"):
        address["PrivateIp"] = d["private_ip"]
    item: dict[str, Any] = {
        "NatGatewayId": nat_id, "SubnetId": d["subnet_id"], "VpcId": d["vpc_id"], "State": d["state"],
        "ConnectivityType": "public", "AvailabilityMode": "zonal", "CreateTime": parse_os_time(d["created"]),
        "NatGatewayAddresses": [address], "Tags": nat_tags,
    }
    if d.get("deleted"):
        item["DeleteTime"] = parse_os_time(d["deleted"])
    if d.get("failure"):
        item.update(FailureCode=d["failure"]["code"], FailureMessage=d["failure"]["message"])
    return item


def _expired(d: dict) -> bool:
    ended = d.get("deleted") or (d["created"] if d.get("state") == "failed" else None)
    return bool(ended) and _nat.now() - parse_os_time(ended) > _nat.RETENTION  # type: ignore[operator]


def _routers(ctx: Any, router_ids: set[str]) -> dict[str, dict]:
    """The routers by id (Neutron ``id=`` query values, in chunks): their gateways as they are now."""
    wanted, out = sorted(router_ids), {}
    for i in range(0, len(wanted), bulk.ID_CHUNK):
        for r in bulk.get_json(ctx, "network", "/routers", {"id": wanted[i:i + bulk.ID_CHUNK],
                                                            "fields": ["id", "external_gateway_info"]})["routers"]:
            out[r["id"]] = r
    return out


def _gateway_ip(router: dict | None) -> str | None:
    fixed = ((router or {}).get("external_gateway_info") or {}).get("external_fixed_ips") or []
    return next((f["ip_address"] for f in fixed if ":" not in f["ip_address"]), None)


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    with ctx.session() as s:
        nats = _nat.records(s, ctx.project_id)
        gone = [n for n, d in nats.items() if _expired(d)]
        if gone:
            ids.forget(s, ctx.project_id, gone)
        nats = {n: d for n, d in nats.items() if n not in gone
                and (not wanted["NatGatewayIds"] or n in wanted["NatGatewayIds"])}
        tags_of = tags.tags_for(s, ctx.project_id, nats.keys())
    routers = {d["router"] for d in nats.values() if d.get("state") == "available"}
    if routers:
        bulk.prepare(ctx, "network")
        found = _routers(ctx, routers)
        for d in nats.values():
            # The address traffic leaves from now; a router that lost its gateway carries no NAT.
            if d.get("state") == "available":
                d["public_ip"] = _gateway_ip(found.get(d["router"]))
                if d["public_ip"] is None:
                    d.update(state="failed", failure=_not_attached(d["vpc_id"]))
    return [_view(n, d, tags_of.get(n, [])) for n, d in nats.items()]


DESCRIBE = describe.Describe(
    result_key="NatGateways",
    fetch=_fetch,
    sort_key=lambda i: i["NatGatewayId"],
    requested=(describe.Requested("NatGatewayIds", lambda i: i["NatGatewayId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),),
    filters={
        "nat-gateway-id": lambda i: i["NatGatewayId"],
        "state": lambda i: i["State"],
        "subnet-id": lambda i: i["SubnetId"],
        "vpc-id": lambda i: i["VpcId"],
    },
)


@handler("DescribeNatGateways", not_found="NatGatewayNotFound",
         honours=("NatGatewayIds", "Filter", "MaxResults", "NextToken"))
def describe_nat_gateways(ctx: RequestContext, params: DescribeNatGatewaysRequest) -> DescribeNatGatewaysResult:
    """The caller's NAT gateways (deleted ones for an hour, as AWS shows them): records, and one
    call for their routers' gateways."""
    spelled = {k: v for k, v in params.items() if k != "Filter"}
    if "Filter" in params:
        spelled["Filters"] = params["Filter"]   # this operation's member is singular
    return describe.run(ctx, spelled, DESCRIBE)


def _not_attached(vpc_id: str) -> dict:
    return {"code": "Gateway.NotAttached", "message": f"Network {vpc_id} has no Internet gateway attached"}


def _free_address(ctx: Any, allocation_id: str, held: dict[str, dict]) -> None:
    """The caller's elastic IP, associated with nothing (nor held by another NAT gateway)."""
    ids.require_well_formed("eipalloc", [allocation_id])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, allocation_id)
    found = _vpc.neutron(ctx, "GET", f"/floatingips/{os_id}", missing_ok=True) if os_id else None
    if not found or found["floatingip"].get("project_id") != ctx.project_id:
        raise ids.not_found("eipalloc", allocation_id)
    holder = next((n for n, d in held.items() if d.get("allocation_id") == allocation_id
                   and d.get("state") in _nat.LIVE), None)
    if found["floatingip"].get("port_id") or holder:
        raise EC2Error("Resource.AlreadyAssociated",
                       f"Elastic IP address [{allocation_id}] is already associated"
                       + (f" with {holder}" if holder else ""))


@handler("CreateNatGateway", not_found="InvalidSubnetID.NotFound",
         honours=("SubnetId", "AllocationId", "TagSpecifications", "ConnectivityType"),
         partly={"AvailabilityMode": ("zonal",)})   # a NAT gateway is in its subnet's zone
def create_nat_gateway(ctx: RequestContext, params: CreateNatGatewayRequest) -> CreateNatGatewayResult:
    """A public NAT gateway in a subnet: the VPC router's SNAT, with the elastic IP held by it."""
    if params.get("ConnectivityType", "public") != "public":
        # A private NAT gateway translates to an address inside the VPC; a Neutron router
        # source-NATs only onto its external gateway.
        raise honours.unsupported("ConnectivityType", params["ConnectivityType"])
    new_tags = tags_from_specs(params.get("TagSpecifications"), "natgateway")
    if not params.get("SubnetId"):
        raise missing_parameter("SubnetId")
    if not params.get("AllocationId"):
        raise missing_parameter("AllocationId")
    subnet_id, allocation_id = params["SubnetId"], params["AllocationId"]
    sub = _subnet.caller_subnet(ctx, subnet_id)
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", sub["network_id"])
        nats = _nat.records(s, ctx.project_id)
    _free_address(ctx, allocation_id, nats)
    others = _nat.live(nats, vpc_id=vpc_id)
    if others:
        raise EC2Error("NatGatewayLimitExceeded",
                       f"{vpc_id} already has NAT gateway {others[0]}: its subnets share one Neutron router, "
                       "whose single SNAT (on the router's gateway address) is that NAT gateway.")
    net, vpc_data = _vpc.resolve_vpc(ctx, vpc_id)
    router_id = _vpc.router_of(ctx, net, vpc_data)
    router = _vpc.neutron(ctx, "GET", f"/routers/{router_id}", missing_ok=True) if router_id else None
    data: dict[str, Any] = {"vpc_id": vpc_id, "subnet_id": subnet_id, "allocation_id": allocation_id,
                            "router": router_id, "created": _nat.now().isoformat()}
    public_ip = _gateway_ip(router["router"] if router else None)
    if public_ip is None:
        data.update(state="failed", failure=_not_attached(vpc_id))   # what AWS does: a failed gateway
    else:
        interface = bulk.get_json(ctx, "network", "/ports", {
            "device_id": router_id, "device_owner": _vpc.ROUTER_INTERFACE,
            "fixed_ips": f"subnet_id={sub['id']}", "fields": ["fixed_ips"]})["ports"]
        private = [ip["ip_address"] for p in interface for ip in p.get("fixed_ips") or []
                   if ip.get("subnet_id") == sub["id"]]
        if not private:
            raise EC2Error("InvalidSubnet", f"The subnet '{subnet_id}' is not attached to the router of {vpc_id}.")
        data.update(state="available", public_ip=public_ip, private_ip=private[0])
    with ctx.session() as s:
        nat_id = ids.ec2_id(s, ctx.project_id, KIND, str(uuid.uuid4()))
        ids.set_data(s, ctx.project_id, nat_id, data)
        if new_tags:
            tags.set_tags(s, ctx.project_id, [nat_id], new_tags)
    gateway: Any = _view(nat_id, data, new_tags)
    if not new_tags:
        del gateway["Tags"]
    return {"NatGateway": gateway}


@handler("DeleteNatGateway", not_found="NatGatewayNotFound", honours=("NatGatewayId",))
def delete_nat_gateway(ctx: RequestContext, params: DeleteNatGatewayRequest) -> DeleteNatGatewayResult:
    """Mark it deleted (shown as ``deleted`` for an hour); routes to it become ``blackhole``. The
    router keeps its SNAT: Neutron lets only an administrator switch it off (docs/networking.md)."""
    nat_id = params["NatGatewayId"]
    ids.require_well_formed(KIND, [nat_id])
    with ctx.session() as s:
        data = _nat.records(s, ctx.project_id).get(nat_id)
    if data is None or _expired(data):
        raise ids.not_found(KIND, nat_id)
    if data.get("state") != "deleted":
        _vpc.update_data(ctx, nat_id, state="deleted", deleted=_nat.now().isoformat())
    return {"NatGatewayId": nat_id}

