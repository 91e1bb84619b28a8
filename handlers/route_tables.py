"""Route tables: Create/Delete/DescribeRouteTables, Create/Replace/DeleteRoute,
Associate/Disassociate/ReplaceRouteTableAssociation (the mapping and its rule: handlers/_routes.py).

Routes Neutron can carry out are accepted: ``local`` (every VPC range, always there),
``0.0.0.0/0`` via the VPC's internet or NAT gateway (the router's external gateway and its SNAT),
and any destination outside the VPC's ranges via a network interface or an instance of the VPC (a
router extra route to the interface's address). Other targets and destinations are refused with a
clear error rather than stored doing nothing.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _bulk as bulk
from handlers import _groups as neutron
from handlers import _interfaces, _nat, _routes, _subnet, _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AssociateRouteTableRequest,
        AssociateRouteTableResult,
        CreateRouteRequest,
        CreateRouteResult,
        CreateRouteTableRequest,
        CreateRouteTableResult,
        DeleteRouteRequest,
        DeleteRouteTableRequest,
        DescribeRouteTablesRequest,
        DescribeRouteTablesResult,
        DisassociateRouteTableRequest,
        ReplaceRouteRequest,
        ReplaceRouteTableAssociationRequest,
        ReplaceRouteTableAssociationResult,
    )

KIND = _routes.KIND


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    requested = wanted["RouteTableIds"]
    bulk.prepare(ctx, "network")
    with ctx.session() as s:
        records = ids.items_with_data(s, ctx.project_id, KIND)
        gateways = ids.items_with_data(s, ctx.project_id, "igw")
        nats = _nat.records(s, ctx.project_id)
    if requested:
        vpc_ids = {d["vpc_id"] for r, (_, d) in records.items() if r in requested}
        with ctx.session() as s:
            net_of = ids.os_ids(s, ctx.project_id, vpc_ids)
        nets = {net: vpc for vpc, net in net_of.items()}
    else:
        _vpc.record_default_gateway(ctx, gateways)
        found = bulk.get_json(ctx, "network", "/networks", {"router:external": "false", "project_id": ctx.project_id,
                                                             "fields": ["id"]})["networks"]
        with ctx.session() as s:
            nets = {n: v for n, v in ids.ec2_ids(s, ctx.project_id, "vpc", [n["id"] for n in found]).items()}
    with ctx.session() as s:
        vpc_data = ids.get_data_many(s, ctx.project_id, nets.values())
    need_subnets = [net for net, vpc in nets.items() if not (vpc_data.get(vpc) or {}).get("cidrs")]
    subnets = _vpc.vpc_subnets(ctx, need_subnets) if need_subnets else []
    cidrs_of: dict[str, list[str]] = {}
    for net, vpc in nets.items():
        cidrs_of[vpc] = [e["cidr"] for e in _vpc.cidr_entries(
            vpc, vpc_data.get(vpc) or {}, [sn["cidr"] for sn in subnets if sn["network_id"] == net])]
    with ctx.session() as s:
        if not requested:
            for net, vpc in nets.items():
                if cidrs_of[vpc]:   # a network without an IPv4 range is no VPC
                    _routes.ensure_main(s, ctx.project_id, vpc, net, vpc_data.get(vpc) or {}, records, gateways)
        tags_of = tags.tags_for(s, ctx.project_id, records.keys())
    attached: dict[str, set[str]] = {}
    for igw, (_, d) in gateways.items():
        if d.get("vpc_id"):
            attached.setdefault(d["vpc_id"], set()).add(igw)
    attached = _nat.route_targets(nats, attached)
    shown = {rtb: d for rtb, (_, d) in records.items() if d.get("vpc_id") in cidrs_of and cidrs_of[d["vpc_id"]]}
    interfaces = _route_interfaces(ctx, _routes.interface_targets(shown.values()))
    return [_routes.view(ctx.account_id, rtb, d, cidrs_of[d["vpc_id"]], attached.get(d["vpc_id"], set()),
                         tags_of.get(rtb, []), interfaces)
            for rtb, d in shown.items()]


def _route_interfaces(ctx: Any, eni_ids: set[str]) -> dict[str, str | None]:
    """``{eni id: its instance's id, or None while detached}`` of the route targets that still
    exist (one Neutron call by id; none without such routes)."""
    if not eni_ids:
        return {}
    with ctx.session() as s:
        port_of = ids.os_ids(s, ctx.project_id, eni_ids)
    found = neutron.neutron_list(ctx, "/ports", "ports", "id", port_of.values(),
                                 fields=["id", "device_id", "device_owner"])
    servers = {p["id"]: sid for p in found if (sid := _interfaces.instance_server(p))}
    with ctx.session() as s:
        instance_of = ids.ec2_ids(s, ctx.project_id, "i", servers.values()) if servers else {}
    present = {p["id"] for p in found}
    return {eni: instance_of.get(servers.get(port, ""))
            for eni, port in port_of.items() if port in present}


def _routes_of(i: dict, key: str) -> list:
    return [r.get(key) for r in i["Routes"] if r.get(key)]


def _assocs_of(i: dict, key: str) -> list:
    return [a.get(key) for a in i["Associations"] if a.get(key) is not None]


DESCRIBE = describe.Describe(
    result_key="RouteTables",
    fetch=_fetch,
    empty_tags=True,   # AWS shows an empty tagSet; ec2_vpc_route_table_info/ec2_vpc_igw_info read it
    sort_key=lambda i: i["RouteTableId"],
    requested=(describe.Requested("RouteTableIds", lambda i: i["RouteTableId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),),
    filters={
        "association.gateway-id": lambda i: _assocs_of(i, "GatewayId"),
        "association.route-table-association-id": lambda i: _assocs_of(i, "RouteTableAssociationId"),
        "association.route-table-id": lambda i: _assocs_of(i, "RouteTableId"),
        "association.subnet-id": lambda i: _assocs_of(i, "SubnetId"),
        "association.main": lambda i: _assocs_of(i, "Main"),
        "owner-id": lambda i: i["OwnerId"],
        "route-table-id": lambda i: i["RouteTableId"],
        "route.destination-cidr-block": lambda i: _routes_of(i, "DestinationCidrBlock"),
        "route.destination-ipv6-cidr-block": lambda i: [],
        "route.destination-prefix-list-id": lambda i: [],
        "route.egress-only-internet-gateway-id": lambda i: [],
        "route.gateway-id": lambda i: _routes_of(i, "GatewayId"),
        "route.instance-id": lambda i: _routes_of(i, "InstanceId"),
        "route.nat-gateway-id": lambda i: _routes_of(i, "NatGatewayId"),
        "route.transit-gateway-id": lambda i: [],
        "route.origin": lambda i: _routes_of(i, "Origin"),
        "route.state": lambda i: _routes_of(i, "State"),
        "route.vpc-peering-connection-id": lambda i: [],
        "vpc-id": lambda i: i["VpcId"],
    },
)


@handler("DescribeRouteTables", not_found="InvalidRouteTableID.NotFound",
         honours=("RouteTableIds", "Filters", "MaxResults", "NextToken"))
def describe_route_tables(ctx: RequestContext, params: DescribeRouteTablesRequest) -> DescribeRouteTablesResult:
    """The caller's route tables, every VPC's main table included."""
    return describe.run(ctx, params, DESCRIBE)


@handler("CreateRouteTable", not_found="InvalidVpcID.NotFound", honours=("VpcId", "TagSpecifications"))
def create_route_table(ctx: RequestContext, params: CreateRouteTableRequest) -> CreateRouteTableResult:
    """A table with the VPC's local routes only, associated with nothing."""
    new_tags = tags_from_specs(params.get("TagSpecifications"), "route-table")
    vpc_id = params["VpcId"]
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    cidrs = [e["cidr"] for e in _vpc.vpc_cidrs(ctx, vpc_id, net, data)]
    record = {"vpc_id": vpc_id, "main": False, "routes": [], "assoc": {}}
    with ctx.session() as s:
        rtb_id = ids.ec2_id(s, ctx.project_id, KIND, str(uuid.uuid4()))
        ids.set_data(s, ctx.project_id, rtb_id, record)
        if new_tags:
            tags.set_tags(s, ctx.project_id, [rtb_id], new_tags)
    table: Any = _routes.view(ctx.account_id, rtb_id, record, cidrs, set(), new_tags)
    drop_empty_tags([table])
    return {"RouteTable": table}


@handler("DeleteRouteTable", not_found="InvalidRouteTableID.NotFound", honours=("RouteTableId",))
def delete_route_table(ctx: RequestContext, params: DeleteRouteTableRequest) -> None:
    """Delete a table that is neither main nor associated with a subnet."""
    rtb_id = params["RouteTableId"]
    _, data = _routes.table(ctx, rtb_id)
    if data.get("main") or data.get("assoc"):
        raise EC2Error("DependencyViolation", f"The routeTable '{rtb_id}' has dependencies and cannot be deleted.")
    with ctx.session() as s:
        ids.forget(s, ctx.project_id, [rtb_id])


# The route targets this cloud can carry out (the model has more: peering, transit, ...; those
# members are refused by the declarations).
_TARGETS = ("GatewayId", "NatGatewayId", "NetworkInterfaceId", "InstanceId")


def _target(ctx: Any, params: CreateRouteRequest | ReplaceRouteRequest, vpc_id: str, rtb_id: str) -> dict:
    """The stored route asked for, if Neutron can carry it out."""
    dest = params.get("DestinationCidrBlock")
    if not dest:
        raise missing_parameter("DestinationCidrBlock")
    given = [m for m in _TARGETS if params.get(m)]
    if len(given) > 1:
        raise EC2Error("InvalidParameterCombination", f"Only one of {', '.join(_TARGETS)} may be given.")
    if not given:
        raise EC2Error("MissingParameter", f"The request must contain exactly one of {', '.join(_TARGETS)}.")
    if given[0] == "NatGatewayId":
        return _nat_target(ctx, params, vpc_id, rtb_id)
    if given[0] in ("NetworkInterfaceId", "InstanceId"):
        return _interface_target(ctx, params, vpc_id, rtb_id)
    gateway = params["GatewayId"]
    if not ids.is_well_formed("igw", gateway):
        raise EC2Error("InvalidParameterValue", f"The gateway '{gateway}' is not an internet gateway: only routes "
                       "via an internet gateway can be carried out on this cloud.")
    with ctx.session() as s:
        record = ids.items_with_data(s, ctx.project_id, "igw").get(gateway)
    if record is None:
        raise ids.not_found("igw", gateway)
    _via_router_gateway(dest, record[1].get("vpc_id"), vpc_id, rtb_id, gateway,
                        "an internet gateway", "the Neutron router's external gateway")
    return {"DestinationCidrBlock": dest, "GatewayId": gateway}


def _interface_target(ctx: Any, params: CreateRouteRequest | ReplaceRouteRequest, vpc_id: str, rtb_id: str) -> dict:
    """A destination outside the VPC's ranges via an interface of the VPC (or an instance's one
    interface): the router's extra route to the interface's primary address."""
    dest_net = _vpc.parse_cidr(params["DestinationCidrBlock"], "destinationCidrBlock")
    dest = str(dest_net)
    if params.get("InstanceId"):
        eni_id, port, data = _instance_interface(ctx, params["InstanceId"])
    else:
        eni_id = params["NetworkInterfaceId"]
        port, data = _interfaces.resolve(ctx, eni_id)
    with ctx.session() as s:
        net_id = ids.os_id(s, ctx.project_id, vpc_id)
    if port["network_id"] != net_id:
        raise EC2Error("InvalidParameterValue",
                       f"route table {rtb_id} and network interface {eni_id} belong to different networks")
    local = [c for c in _local(ctx, {"vpc_id": vpc_id}) if dest_net.subnet_of(_vpc.parse_cidr(c))]
    if local:
        raise EC2Error("Unsupported", f"The destination {dest} is equal to or more specific than the VPC range "
                       f"{local[0]}: Neutron delivers traffic inside a subnet without its router, so such a route "
                       "cannot be carried out on this cloud.")
    addresses = _interfaces.v4_ips(port, data)
    if not addresses:
        raise EC2Error("InvalidParameterValue", f"The network interface {eni_id} has no IPv4 address to route to.")
    return {"DestinationCidrBlock": dest, "NetworkInterfaceId": eni_id, "nexthop": addresses[0]["ip_address"]}


def _instance_interface(ctx: Any, instance_id: str) -> tuple[str, dict, dict]:
    """``(eni id, port, item data)`` of the one interface of the caller's live instance (AWS
    refuses an instance with several: the interface must then be named)."""
    ids.require_well_formed("i", [instance_id])
    with ctx.session() as s:
        server_id = ids.os_id(s, ctx.project_id, instance_id)
    ports = neutron.neutron_list(ctx, "/ports", "ports", "device_id", [server_id]) if server_id else []
    ports = [p for p in ports if _interfaces.instance_server(p)]
    if not ports:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    if len(ports) > 1:
        raise EC2Error("InvalidInstanceID", f"There are multiple interfaces attached to instance '{instance_id}'. "
                       "Please specify an interface ID for the operation instead.")
    with ctx.session() as s:
        eni_id = ids.ec2_id(s, ctx.project_id, _interfaces.KIND, ports[0]["id"])
        data = ids.get_data_many(s, ctx.project_id, [eni_id]).get(eni_id, {})
    return eni_id, ports[0], data


def _nat_target(ctx: Any, params: CreateRouteRequest | ReplaceRouteRequest, vpc_id: str, rtb_id: str) -> dict:
    """``0.0.0.0/0`` via an available NAT gateway of the VPC: the router's SNAT on its gateway, which
    is where that destination leaves the VPC router anyway (docs/networking.md)."""
    nat_id, dest = params["NatGatewayId"], params.get("DestinationCidrBlock")
    ids.require_well_formed(_nat.KIND, [nat_id])
    with ctx.session() as s:
        record = _nat.records(s, ctx.project_id).get(nat_id)
    if record is None or record.get("state") != "available":
        raise EC2Error("InvalidNatGatewayID.NotFound", f"The natGateway ID '{nat_id}' does not exist")
    _via_router_gateway(dest, record.get("vpc_id"), vpc_id, rtb_id, nat_id,
                        "a NAT gateway", "the Neutron router's SNAT on its external gateway")
    return {"DestinationCidrBlock": dest, "NatGatewayId": nat_id}


def _via_router_gateway(dest: str | None, target_vpc: str | None, vpc_id: str, rtb_id: str, target: str,
                        what: str, where: str) -> None:
    """A route via an internet or NAT gateway: the gateway is the table's VPC's, and the destination
    is the default route, the only one the router's gateway (``where``) carries."""
    if target_vpc != vpc_id:
        raise EC2Error("InvalidParameterValue",
                       f"route table {rtb_id} and network gateway {target} belong to different networks")
    if dest != _routes.DEFAULT_ROUTE:
        raise EC2Error("Unsupported", f"Only the destination {_routes.DEFAULT_ROUTE} can go via {what} here: "
                       f"it is {where}, which carries the default route only.")


def _change_routes(ctx: Any, rtb_id: str, change: Any) -> None:
    records, data = _routes.table(ctx, rtb_id)
    before = _routes.carried(data["vpc_id"], records)
    data["routes"] = change(list(data.get("routes") or []), data)
    _routes.check_agreement(data["vpc_id"], records)
    _routes.commit(ctx, data["vpc_id"], before, records, {rtb_id: data})


def _find(routes: list[dict], dest: str | None, rtb_id: str) -> int:
    if not dest:
        raise missing_parameter("DestinationCidrBlock")
    for index, r in enumerate(routes):
        if r["DestinationCidrBlock"] == dest:
            return index
    raise EC2Error("InvalidRoute.NotFound", f"There is no route defined for '{dest}' in the route table {rtb_id}. "
                   "Use CreateRoute instead.")


@handler("CreateRoute", not_found="InvalidRouteTableID.NotFound",
         honours=("RouteTableId", "DestinationCidrBlock", *_TARGETS))
def create_route(ctx: RequestContext, params: CreateRouteRequest) -> CreateRouteResult:
    """A route via the VPC's internet or NAT gateway, or via one of its interfaces or instances."""
    rtb_id = params["RouteTableId"]

    def add(routes: list[dict], data: dict) -> list[dict]:
        route = _target(ctx, params, data["vpc_id"], rtb_id)
        if any(r["DestinationCidrBlock"] == route["DestinationCidrBlock"] for r in routes):
            raise EC2Error("RouteAlreadyExists", f"The route identified by {route['DestinationCidrBlock']} already exists.")
        return [*routes, route]

    _change_routes(ctx, rtb_id, add)
    return {"Return": True}


@handler("ReplaceRoute", not_found="InvalidRouteTableID.NotFound",
         honours=("RouteTableId", "DestinationCidrBlock", *_TARGETS))
def replace_route(ctx: RequestContext, params: ReplaceRouteRequest) -> None:
    """Point an existing route at another target (as CreateRoute takes them)."""
    rtb_id = params["RouteTableId"]

    def replace(routes: list[dict], data: dict) -> list[dict]:
        index = _find(routes, params.get("DestinationCidrBlock"), rtb_id)
        routes[index] = _target(ctx, params, data["vpc_id"], rtb_id)
        return routes

    _change_routes(ctx, rtb_id, replace)


@handler("DeleteRoute", not_found="InvalidRouteTableID.NotFound", honours=("RouteTableId", "DestinationCidrBlock"))
def delete_route(ctx: RequestContext, params: DeleteRouteRequest) -> None:
    """Remove a route (the local routes stay, as on AWS)."""
    rtb_id = params["RouteTableId"]

    def remove(routes: list[dict], data: dict) -> list[dict]:
        dest = params.get("DestinationCidrBlock")
        if dest and not any(r["DestinationCidrBlock"] == dest for r in routes) and dest in _local(ctx, data):
            raise EC2Error("InvalidParameterValue", f"cannot remove local route {dest} in route table {rtb_id}")
        del routes[_find(routes, dest, rtb_id)]
        return routes

    _change_routes(ctx, rtb_id, remove)


def _local(ctx: Any, data: dict) -> list[str]:
    net, vpc_data = _vpc.resolve_vpc(ctx, data["vpc_id"])
    return [e["cidr"] for e in _vpc.vpc_cidrs(ctx, data["vpc_id"], net, vpc_data)]


def _subnet_vpc(ctx: Any, subnet_id: str) -> str:
    """The VPC of the caller's subnet ``subnet_id`` (one GET by id)."""
    subnet = _subnet.caller_subnet(ctx, subnet_id)
    with ctx.session() as s:
        return ids.ec2_id(s, ctx.project_id, "vpc", subnet["network_id"])


@handler("AssociateRouteTable", not_found="InvalidRouteTableID.NotFound", honours=("RouteTableId", "SubnetId"))
def associate_route_table(ctx: RequestContext, params: AssociateRouteTableRequest) -> AssociateRouteTableResult:
    """Give a subnet this table instead of the main one."""
    rtb_id, subnet_id = params["RouteTableId"], params.get("SubnetId")
    if not subnet_id:
        raise missing_parameter("SubnetId")
    records, data = _routes.table(ctx, rtb_id)
    vpc_id = _subnet_vpc(ctx, subnet_id)
    if vpc_id != data["vpc_id"]:
        raise EC2Error("InvalidParameterValue", f"route table {rtb_id} and subnet {subnet_id} belong to different networks")
    holder = next((r for r, d in records.items() if subnet_id in (d.get("assoc") or {}).values()), None)
    if holder is not None:
        raise EC2Error("Resource.AlreadyAssociated",
                       f"the specified association for route table {holder} conflicts with an existing association")
    assoc = ids.new_ec2_id(_routes.ASSOC_KIND)
    before = _routes.carried(vpc_id, records)
    data["assoc"] = {**(data.get("assoc") or {}), assoc: subnet_id}
    _routes.check_agreement(vpc_id, records)
    _routes.commit(ctx, vpc_id, before, records, {rtb_id: data})
    return {"AssociationId": assoc, "AssociationState": {"State": "associated"}}


@handler("DisassociateRouteTable", not_found="InvalidAssociationID.NotFound", honours=("AssociationId",))
def disassociate_route_table(ctx: RequestContext, params: DisassociateRouteTableRequest) -> None:
    """The subnet goes back to the main table (a main association cannot be removed)."""
    records = _routes.tables(ctx)
    rtb_id, subnet_id = _routes.find_association(records, params["AssociationId"])
    if subnet_id is None:
        raise EC2Error("InvalidParameterValue", f"cannot disassociate the main route table association {params['AssociationId']}")
    data = records[rtb_id]
    before = _routes.carried(data["vpc_id"], records)
    data["assoc"] = {a: sn for a, sn in data["assoc"].items() if a != params["AssociationId"]}
    _routes.check_agreement(data["vpc_id"], records)
    _routes.commit(ctx, data["vpc_id"], before, records, {rtb_id: data})


@handler("ReplaceRouteTableAssociation", not_found="InvalidRouteTableID.NotFound",
         honours=("AssociationId", "RouteTableId"))
def replace_route_table_association(ctx: RequestContext,
                                    params: ReplaceRouteTableAssociationRequest) -> ReplaceRouteTableAssociationResult:
    """Move a subnet's association, or the VPC's main association, to another table of the VPC."""
    new_id = params["RouteTableId"]
    records, new = _routes.table(ctx, new_id)
    old_id, subnet_id = _routes.find_association(records, params["AssociationId"])
    old = records[old_id]
    if old["vpc_id"] != new["vpc_id"]:
        raise EC2Error("InvalidParameterValue", f"route table {new_id} belongs to another VPC than the association")
    assoc = ids.new_ec2_id(_routes.ASSOC_KIND)
    before = _routes.carried(new["vpc_id"], records)
    if subnet_id is None:
        old.update(main=False)
        old.pop("main_assoc", None)
        new.update(main=True, main_assoc=assoc)
    else:
        old["assoc"] = {a: sn for a, sn in old["assoc"].items() if a != params["AssociationId"]}
        new["assoc"] = {**(new.get("assoc") or {}), assoc: subnet_id}
    _routes.check_agreement(new["vpc_id"], records)
    _routes.commit(ctx, new["vpc_id"], before, records, {old_id: old, new_id: new})
    if subnet_id is None:
        _vpc.update_data(ctx, new["vpc_id"], main_rtb=new_id)
    return {"NewAssociationId": assoc, "AssociationState": {"State": "associated"}}
