"""What the VPC-layer handlers share: Neutron calls as plain JSON, a VPC's facts, CIDR checks.

A VPC is a Neutron network (``vpc-`` mapped to the network id). ec2api keeps in the VPC's item data
what Neutron has no field for (docs/networking.md)::

    {"cidrs": [{"id": "vpc-cidr-assoc-...", "cidr": "10.0.0.0/16"}, ...],   # primary first
     "router": "<router id>", "default_sg": "<neutron group id>",
     "attrs": {"enableDnsHostnames": bool, ...}, "dhcp": "dopt-..."}

A network ec2api did not make (the default VPC) has no such data: its CIDR is derived from its IPv4
subnets (the one subnet's range, or the smallest range holding them all) and its router is the one
with an interface on it. Main route tables and default network ACLs are ec2api records whose
OpenStack id is derived from the network id (``main:<net>``, ``default:<net>``), so they exist for
every VPC, made lazily, with stable ids.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from openstack import exceptions

from ec2api_runtime import networks
from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked, versioned_endpoint
from handlers import _bulk as bulk

VPC_TAG = networks.EC2API_VPC_TAG
ASSOC_KIND = "vpc-cidr-assoc"
ROUTER_INTERFACE = "network:router_interface"
DEFAULT_ATTRS = {"enableDnsSupport": True, "enableDnsHostnames": False, "enableNetworkAddressUsageMetrics": False}


def neutron(ctx: Any, method: str, path: str, body: dict | None = None, *, missing_ok: bool = False) -> Any:
    """``METHOD <network endpoint><path>`` as the caller (JSON in and out); None for a 404 when
    ``missing_ok``; other failures raised as openstacksdk's exceptions (mapped to EC2 errors)."""
    url = versioned_endpoint(ctx.os, "network").rstrip("/") + path
    kwargs: dict[str, Any] = {"raise_exc": False}
    if body is not None:
        kwargs["json"] = body
    resp = ctx.os.session.request(url, method, **kwargs)
    if missing_ok and resp.status_code == 404:
        return None
    checked(resp)
    return resp.json() if resp.content else None


def undo(*steps: Any) -> None:
    """Run the undo steps of a failed create, newest first; one failing does not stop the others."""
    for step in steps:
        try:
            step()
        except Exception:   # noqa: BLE001 - the original failure is the one the caller must see
            continue


def parse_cidr(value: str, member: str = "cidrBlock") -> ipaddress.IPv4Network:
    """An IPv4 CIDR as EC2 takes it (the network address itself), else InvalidParameterValue."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise EC2Error("InvalidParameterValue",
                       f"Value ({value}) for parameter {member} is invalid. This is not a valid CIDR block.") from None
    if not isinstance(net, ipaddress.IPv4Network) or "/" not in value:
        raise EC2Error("InvalidParameterValue",
                       f"Value ({value}) for parameter {member} is invalid. This is not a valid CIDR block.")
    return net


def check_vpc_size(net: ipaddress.IPv4Network) -> None:
    """AWS: a VPC range is /16 to /28."""
    if not 16 <= net.prefixlen <= 28:
        raise EC2Error("InvalidVpc.Range", f"The CIDR '{net}' is invalid.")


def derived_cidr(cidrs: Iterable[str]) -> str | None:
    """The range of a network ec2api did not make: its one IPv4 subnet's, or the smallest holding all."""
    nets = [ipaddress.ip_network(c) for c in cidrs]
    v4 = sorted(n for n in nets if isinstance(n, ipaddress.IPv4Network))
    if not v4:
        return None
    span = v4[0]
    while not all(n.subnet_of(span) for n in v4):
        span = span.supernet()
    return str(span)


def cidr_entries(ec2_vpc: str, data: dict, subnet_cidrs: Iterable[str]) -> list[dict]:
    """``[{"id", "cidr"}]`` of a VPC, primary first (stored, or derived for networks made elsewhere)."""
    if data.get("cidrs"):
        return list(data["cidrs"])
    derived = derived_cidr(subnet_cidrs)
    if derived is None:
        return []
    # A stable association id for the derived range: the VPC's own hex digits.
    return [{"id": f"{ASSOC_KIND}-{ec2_vpc.split('-', 1)[1]}", "cidr": derived}]


def resolve_vpc(ctx: Any, vpc_id: str) -> tuple[dict, dict]:
    """``(Neutron network, item data)`` of the caller's VPC ``vpc_id`` (one GET), else NotFound."""
    ids.require_well_formed("vpc", [vpc_id])
    with ctx.session() as s:
        net_id = ids.os_id(s, ctx.project_id, vpc_id)
        data = ids.get_data_many(s, ctx.project_id, [vpc_id]).get(vpc_id, {}) if net_id else {}
    net = neutron(ctx, "GET", f"/networks/{net_id}", missing_ok=True) if net_id else None
    if net is None or net["network"].get("router:external"):
        raise ids.not_found("vpc", vpc_id)
    return net["network"], data


def vpc_subnets(ctx: Any, network_ids: Iterable[str] | None) -> list[dict]:
    """Neutron subnets of the networks ``network_ids`` (by repeated query values), or of the project."""
    if network_ids is None:
        return bulk.get_json(ctx, "network", "/subnets", {"project_id": ctx.project_id})["subnets"]
    wanted = sorted(set(network_ids))
    out: list[dict] = []
    for i in range(0, len(wanted), bulk.ID_CHUNK):
        out.extend(bulk.get_json(ctx, "network", "/subnets", {"network_id": wanted[i:i + bulk.ID_CHUNK]})["subnets"])
    return out


def vpc_cidrs(ctx: Any, vpc_id: str, net: dict, data: dict) -> list[dict]:
    """The VPC's ranges (``cidr_entries``), reading its subnets only when none are stored."""
    if data.get("cidrs"):
        return list(data["cidrs"])
    return cidr_entries(vpc_id, data, [sn["cidr"] for sn in vpc_subnets(ctx, [net["id"]])])


def router_of(ctx: Any, net: dict, data: dict) -> str | None:
    """The VPC router's id: stored, or the router with an interface on the network (one call)."""
    if data.get("router"):
        return str(data["router"])
    found = bulk.get_json(ctx, "network", "/ports", {"network_id": net["id"], "device_owner": ROUTER_INTERFACE,
                                                     "fields": ["device_id"]})["ports"]
    routers = sorted({p["device_id"] for p in found if p.get("device_id")})
    return routers[0] if routers else None


def update_data(ctx: Any, ec2_id: str, **changes: Any) -> dict:
    """Merge ``changes`` into an id's item data (a read and a write in one transaction)."""
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, [ec2_id]).get(ec2_id, {})
        data.update(changes)
        ids.set_data(s, ctx.project_id, ec2_id, data)
    return data


def default_network_id(ctx: Any) -> str | None:
    """The default VPC's network id (``networks.default_network_id``: one bounded call)."""
    return networks.default_network_id(ctx)


def external_network_id(ctx: Any) -> str:
    """The external network internet gateways attach to (``public`` first), else an EC2 error."""
    nets = bulk.get_json(ctx, "network", "/networks", {"router:external": "true", "fields": ["id", "name"]})["networks"]
    if not nets:
        raise EC2Error("InvalidParameterValue", "This cloud has no external network to reach the internet through.")
    return str(min(nets, key=lambda n: (n.get("name") != "public", n["id"]))["id"])


def overlaps(a: str, b: str) -> bool:
    return ipaddress.ip_network(a).overlaps(ipaddress.ip_network(b))


def not_found_ok(fn: Any) -> Any:
    """``fn()``, with a 404 taken as done (deleting what is already gone)."""
    try:
        return fn()
    except exceptions.NotFoundException:
        return None


DEFAULT_DHCP_OS_ID = "default"   # the region's default DHCP options set: one record per project


def default_dhcp_id(s: Any, project_id: str) -> str:
    """The ``dopt-`` id of the project's default DHCP options set (recorded on first use)."""
    return ids.ec2_id(s, project_id, "dopt", DEFAULT_DHCP_OS_ID)


def main_table_id(s: Any, project_id: str, network_id: str, vpc_data: dict | None = None) -> str:
    """The ``rtb-`` id of a VPC's main route table: the one ReplaceRouteTableAssociation made main
    (``main_rtb`` in the VPC's data), else the table recorded for it on first use."""
    return (vpc_data or {}).get("main_rtb") or ids.ec2_id(s, project_id, "rtb", f"main:{network_id}")


def default_acl_id(s: Any, project_id: str, network_id: str) -> str:
    """The ``acl-`` id of a VPC's default network ACL (recorded on first use)."""
    return ids.ec2_id(s, project_id, "acl", f"default:{network_id}")


def ports_on(ctx: Any, network_ids: Iterable[str] | None) -> list[dict]:
    """``fixed_ips`` and ``network_id`` of the ports on ``network_ids`` (repeated query values), or of
    every port the caller sees (its own, and those on its networks) in one listing."""
    fields = {"fields": ["fixed_ips", "network_id"]}
    if network_ids is None:
        return bulk.get_json(ctx, "network", "/ports", fields)["ports"]
    wanted = sorted(set(network_ids))
    out: list[dict] = []
    for i in range(0, len(wanted), bulk.ID_CHUNK):
        out.extend(bulk.get_json(ctx, "network", "/ports", {**fields, "network_id": wanted[i:i + bulk.ID_CHUNK]})["ports"])
    return out


def record_default_gateway(ctx: Any, known: dict[str, tuple[str, dict]]) -> None:
    """Record the default VPC's pre-existing router gateway as an attached internet gateway
    (``known``: the project's ``igw`` records, updated in place)."""
    net_id = default_network_id(ctx)
    if net_id is None:
        return
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", net_id)
        data = ids.get_data_many(s, ctx.project_id, [vpc_id]).get(vpc_id, {})
    if any(d.get("vpc_id") == vpc_id for _, d in known.values()):
        return
    router = router_of(ctx, {"id": net_id}, data)
    body = neutron(ctx, "GET", f"/routers/{router}", missing_ok=True) if router else None
    if not body or not body["router"].get("external_gateway_info"):
        return
    os_id = f"router:{router}"   # one record per router, however many requests race to make it
    with ctx.session() as s:
        igw_id = ids.ec2_id(s, ctx.project_id, "igw", os_id)
        ids.set_data(s, ctx.project_id, igw_id, {"vpc_id": vpc_id})
    known[igw_id] = (os_id, {"vpc_id": vpc_id})
