"""CreateVpc, DeleteVpc, CreateDefaultVpc.

A VPC is made of a Neutron network (tagged ``ec2api-vpc``, so it is never taken for the default
VPC), a router (the VPC router: subnets attach to it, an internet gateway is its external gateway)
and the VPC's default security group (Neutron name ``default-<vpc-id>``, shown as ``default``).
If any step fails, the steps before it are undone, in Neutron and in the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _routes, _subnet, _vpc
from handlers._zones import zone_names
from handlers.vpcs._view import view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateDefaultVpcRequest,
        CreateDefaultVpcResult,
        CreateVpcRequest,
        CreateVpcResult,
        DeleteVpcRequest,
        Tag,
    )

DEFAULT_VPC_CIDR = "172.31.0.0/16"   # AWS's default VPC range; its default subnets are /20s


def build_vpc(ctx: Any, cidr: str, new_tags: list[Tag], *, default: bool = False) -> tuple[str, dict]:
    """Make the network, router and default security group of a VPC; ``(vpc id, item data)``."""
    steps: list[Any] = []
    forget: list[str] = []

    def _forget() -> None:
        with ctx.session() as s:
            ids.forget(s, ctx.project_id, forget)

    steps.append(_forget)
    try:
        net = _vpc.neutron(ctx, "POST", "/networks", {"network": {
            "name": "ec2api-vpc", "description": f"EC2 VPC {cidr}"}})["network"]
        steps.append(lambda: _vpc.neutron(ctx, "DELETE", f"/networks/{net['id']}", missing_ok=True))
        if not default:
            _vpc.neutron(ctx, "PUT", f"/networks/{net['id']}/tags/{_vpc.VPC_TAG}")
        with ctx.session() as s:
            vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", net["id"])
        forget.append(vpc_id)
        # Named after the VPC, so an operator can tell what each object is for.
        _vpc.neutron(ctx, "PUT", f"/networks/{net['id']}", {"network": {"name": vpc_id}})
        router = _vpc.neutron(ctx, "POST", "/routers", {"router": {"name": vpc_id}})["router"]
        steps.append(lambda: _vpc.neutron(ctx, "DELETE", f"/routers/{router['id']}", missing_ok=True))
        group = _vpc.neutron(ctx, "POST", "/security-groups", {"security_group": {
            "name": f"default-{vpc_id}", "description": f"default VPC security group of {vpc_id}"}})["security_group"]
        steps.append(lambda: _vpc.neutron(ctx, "DELETE", f"/security-groups/{group['id']}", missing_ok=True))
        # What AWS's default group allows at birth: all traffic from its own members (Neutron has
        # already given it the allow-all egress rules).
        _vpc.neutron(ctx, "POST", "/security-group-rules", {"security_group_rule": {
            "security_group_id": group["id"], "direction": "ingress", "ethertype": "IPv4",
            "remote_group_id": group["id"]}})
        data = {"cidrs": [{"id": ids.new_ec2_id(_vpc.ASSOC_KIND), "cidr": cidr}], "router": router["id"],
                "default_sg": group["id"], "attrs": dict(_vpc.DEFAULT_ATTRS, **(
                    {"enableDnsHostnames": True} if default else {}))}
        with ctx.session() as s:
            sg_id = ids.ec2_id(s, ctx.project_id, "sg", group["id"])
            forget.append(sg_id)
            ids.set_data(s, ctx.project_id, sg_id, {"vpc_id": vpc_id, "group_name": "default"})
            ids.set_data(s, ctx.project_id, vpc_id, data)
            if new_tags:
                tags.set_tags(s, ctx.project_id, [vpc_id], new_tags)
    except BaseException:
        _vpc.undo(*reversed(steps))
        raise
    return vpc_id, data


@handler("CreateVpc", not_found="InvalidParameterValue",
         honours=("CidrBlock", "TagSpecifications"),
         # Neutron has no dedicated hardware tenancy; IPv6 ranges are not given out here yet.
         partly={"InstanceTenancy": ("default",), "AmazonProvidedIpv6CidrBlock": (False,)})
def create_vpc(ctx: RequestContext, params: CreateVpcRequest) -> CreateVpcResult:
    """A VPC with its router, main route table, default network ACL and default security group."""
    if "CidrBlock" not in params:
        raise missing_parameter("CidrBlock")
    cidr = _vpc.parse_cidr(params["CidrBlock"])
    _vpc.check_vpc_size(cidr)
    new_tags = tags_from_specs(params.get("TagSpecifications"), "vpc")
    vpc_id, data = build_vpc(ctx, str(cidr), new_tags)
    with ctx.session() as s:
        default_dhcp = _vpc.default_dhcp_id(s, ctx.project_id)
        _routes.ensure_main(s, ctx.project_id, vpc_id, _net_of(s, ctx, vpc_id), data, {}, {})
    vpc = view(ctx.account_id, vpc_id, data, [], False, new_tags, default_dhcp)
    assert vpc is not None
    drop_empty_tags([vpc])
    return {"Vpc": vpc}  # type: ignore[typeddict-item]


def _net_of(s: Any, ctx: Any, vpc_id: str) -> str:
    net_id = ids.os_id(s, ctx.project_id, vpc_id)
    assert net_id is not None
    return net_id


@handler("DeleteVpc", not_found="InvalidVpcID.NotFound", honours=("VpcId",))
def delete_vpc(ctx: RequestContext, params: DeleteVpcRequest) -> None:
    """Delete a VPC that has no subnets, no attached gateway, no other groups or route tables."""
    vpc_id = params["VpcId"]
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    busy = EC2Error("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    if _vpc.vpc_subnets(ctx, [net["id"]]):
        raise busy
    with ctx.session() as s:
        gateways = ids.items_with_data(s, ctx.project_id, "igw")
        groups = ids.items_with_data(s, ctx.project_id, "sg")
        tables = ids.items_with_data(s, ctx.project_id, "rtb")
    if any(d.get("vpc_id") == vpc_id for _, d in gateways.values()):
        raise busy
    if any(d.get("vpc_id") == vpc_id and not d.get("main") for _, d in tables.values()):
        raise busy
    other_groups = [os_id for os_id, d in groups.values()
                    if d.get("vpc_id") == vpc_id and d.get("group_name") != "default"]
    if other_groups and _vpc.neutron(ctx, "GET", "/security-groups?" + "&".join(
            f"id={g}" for g in other_groups) + "&fields=id")["security_groups"]:
        raise busy
    # The network first: if it is still in use, nothing else has been deleted yet.
    _vpc.neutron(ctx, "DELETE", f"/networks/{net['id']}", missing_ok=True)
    if data.get("router"):
        _vpc.neutron(ctx, "DELETE", f"/routers/{data['router']}", missing_ok=True)
    if data.get("default_sg"):
        _vpc.neutron(ctx, "DELETE", f"/security-groups/{data['default_sg']}", missing_ok=True)
    with ctx.session() as s:
        gone = [vpc_id, _vpc.main_table_id(s, ctx.project_id, net["id"], data),
                _vpc.default_acl_id(s, ctx.project_id, net["id"])]
        if data.get("default_sg"):
            gone.append(ids.ec2_id(s, ctx.project_id, "sg", data["default_sg"]))
        ids.forget(s, ctx.project_id, gone)


def _default_gateway(ctx: Any, vpc_id: str, net_id: str, data: dict) -> None:
    """What AWS gives a default VPC: an internet gateway attached (the router's gateway on the
    external network) and the main route table's ``0.0.0.0/0`` via it; undone if a step fails."""
    router = data["router"]
    _vpc.neutron(ctx, "PUT", f"/routers/{router}",
                 {"router": {"external_gateway_info": {"network_id": _vpc.external_network_id(ctx)}}})
    os_id = f"router:{router}"   # the record record_default_gateway would make for this router
    try:
        with ctx.session() as s:
            igw_id = ids.ec2_id(s, ctx.project_id, "igw", os_id)
            ids.set_data(s, ctx.project_id, igw_id, {"vpc_id": vpc_id})
            _routes.ensure_main(s, ctx.project_id, vpc_id, net_id, data, {}, {igw_id: (os_id, {"vpc_id": vpc_id})})
    except BaseException:
        with ctx.session() as s:
            ids.forget(s, ctx.project_id, ids.ec2_ids(s, ctx.project_id, "igw", [os_id]).values())
        _vpc.undo(lambda: _vpc.neutron(ctx, "PUT", f"/routers/{router}", {"router": {"external_gateway_info": {}}}))
        raise


@handler("CreateDefaultVpc", honours=())
def create_default_vpc(ctx: RequestContext, params: CreateDefaultVpcRequest) -> CreateDefaultVpcResult:
    """A default VPC (172.31.0.0/16, a /20 default subnet per zone, an internet gateway attached and
    the main route table's default route via it) for a project that has none."""
    if _vpc.default_network_id(ctx) is not None:
        raise EC2Error("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.")
    zones = zone_names(ctx)
    vpc_id, data = build_vpc(ctx, DEFAULT_VPC_CIDR, [], default=True)
    try:
        with ctx.session() as s:
            net_id = _net_of(s, ctx, vpc_id)
        for index, zone in enumerate(zones[:16]):
            _subnet.build_subnet(ctx, vpc_id, net_id, data, f"172.31.{index * 16}.0/20", zone, [],
                                 default_for_az=True)
        _default_gateway(ctx, vpc_id, net_id, data)
    except BaseException:
        _subnet.remove_all(ctx, net_id, data)
        delete_vpc(ctx, {"VpcId": vpc_id})
        raise
    with ctx.session() as s:
        default_dhcp = _vpc.default_dhcp_id(s, ctx.project_id)
    vpc = view(ctx.account_id, vpc_id, data, [], True, [], default_dhcp)
    assert vpc is not None
    del vpc["Tags"]
    return {"Vpc": vpc}  # type: ignore[typeddict-item]
