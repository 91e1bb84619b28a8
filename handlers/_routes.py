"""Route tables as ec2api records over the VPC router (shared by route_tables).

A route table is a record (kind ``rtb``) with item data::

    {"vpc_id": "vpc-...", "main": bool, "main_assoc": "rtbassoc-..." (the main one only),
     "routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-..."},
                {"DestinationCidrBlock": "172.16.0.0/12", "NetworkInterfaceId": "eni-...",
                 "nexthop": "10.0.1.12"}],
     "assoc": {"rtbassoc-...": "subnet-..."}}

Every VPC has a main table (recorded on first use). Each table shows the ``local`` route of every
VPC range. What Neutron can carry out: the VPC's subnets share one router, so a route is the
router's and reaches every subnet. ``0.0.0.0/0`` via the VPC's attached internet gateway is the
router's external gateway. Hence the rule that keeps the tables true: every table in effect (the
main table, and every table associated with a subnet) has the same routes beyond ``local``; a change
that would make them differ is refused (``Unsupported``), since no subnet could get different ones.

A route via a network interface (or an instance, which names its one interface) is one of the
router's extra routes: ``destination`` via ``nexthop``, the interface's primary address (fixed for
the interface's life, so it is kept in the route). The router carries the routes of the tables in
effect, which all agree; a change to a table in effect changes the router first (the atomic
``add_extraroutes``/``remove_extraroutes``, so other routes of the router are left as they are).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from handlers import _vpc

# The members of a stored route that the Route shape has (``nexthop`` is ec2api's own).
_ROUTE_MEMBERS = ("DestinationCidrBlock", "GatewayId", "NatGatewayId", "NetworkInterfaceId")

KIND = "rtb"
ASSOC_KIND = "rtbassoc"
DEFAULT_ROUTE = "0.0.0.0/0"


def ensure_main(s: Any, project_id: str, vpc_id: str, net_id: str, vpc_data: dict,
                records: dict[str, tuple[str, dict]], gateways: dict[str, tuple[str, dict]]) -> str:
    """The VPC's main table id, its record made when missing (``records`` updated in place). A VPC
    whose router already has a gateway (the default VPC) gets the route that gateway carries out."""
    rtb_id = _vpc.main_table_id(s, project_id, net_id, vpc_data)
    if rtb_id not in records:
        igw = next((g for g, (_, d) in gateways.items() if d.get("vpc_id") == vpc_id), None)
        data = {"vpc_id": vpc_id, "main": True, "main_assoc": ids.new_ec2_id(ASSOC_KIND), "assoc": {},
                "routes": [{"DestinationCidrBlock": DEFAULT_ROUTE, "GatewayId": igw}] if igw else []}
        ids.set_data(s, project_id, rtb_id, data)
        records[rtb_id] = (f"main:{net_id}", data)
    return rtb_id


def view(account_id: str, rtb_id: str, data: dict, cidrs: list[str], attached: set[str], rtb_tags: list,
         interfaces: dict[str, str | None] | None = None) -> dict:
    """The ``RouteTable`` of a record; ``attached``: the igw and NAT gateway ids that carry routes in
    its VPC; ``interfaces``: ``{eni id: instance id, or None while detached}`` of the route targets
    that still exist. A route via an interface is active while the interface is attached to an
    instance (else nothing answers at its address: blackhole, as AWS shows it)."""
    routes: list[dict] = [{"DestinationCidrBlock": c, "GatewayId": "local", "Origin": "CreateRouteTable",
                           "State": "active"} for c in cidrs]
    for r in data.get("routes") or []:
        route = {k: r[k] for k in _ROUTE_MEMBERS if r.get(k)}
        eni = r.get("NetworkInterfaceId")
        if eni:
            instance = (interfaces or {}).get(eni)
            if instance:
                route.update(InstanceId=instance, InstanceOwnerId=account_id)
            active = instance is not None
        else:
            active = target(r) in attached
        routes.append({**route, "Origin": "CreateRoute", "State": "active" if active else "blackhole"})
    assocs = [{"Main": False, "RouteTableAssociationId": a, "RouteTableId": rtb_id, "SubnetId": sn,
               "AssociationState": {"State": "associated"}} for a, sn in sorted((data.get("assoc") or {}).items())]
    if data.get("main"):
        assocs.insert(0, {"Main": True, "RouteTableAssociationId": data["main_assoc"], "RouteTableId": rtb_id,
                          "AssociationState": {"State": "associated"}})
    return {"RouteTableId": rtb_id, "VpcId": data["vpc_id"], "OwnerId": account_id, "Routes": routes,
            "Associations": assocs, "PropagatingVgws": [], "Tags": rtb_tags}


def target(route: dict) -> str | None:
    """The id a stored route points at."""
    return route.get("GatewayId") or route.get("NatGatewayId") or route.get("NetworkInterfaceId")


def interface_targets(tables: Iterable[dict]) -> set[str]:
    """The ENI ids the routes of ``tables`` point at."""
    return {r["NetworkInterfaceId"] for d in tables for r in d.get("routes") or [] if r.get("NetworkInterfaceId")}


def in_effect(data: dict) -> bool:
    """Whether a table's routes are the VPC router's: the main table, or one a subnet uses."""
    return bool(data.get("main") or data.get("assoc"))


def extra_routes(data: dict) -> set[tuple[str, str]]:
    """``(destination, nexthop)`` of a table's routes via an interface: what the router carries
    for it while the table is in effect."""
    if not in_effect(data):
        return set()
    return {(r["DestinationCidrBlock"], r["nexthop"]) for r in data.get("routes") or [] if r.get("nexthop")}


def change_router(ctx: Any, router: str, add: set[tuple[str, str]], remove: set[tuple[str, str]]) -> None:
    """Remove, then add, extra routes of the VPC router (Neutron's atomic route updates)."""
    for action, routes in (("remove_extraroutes", remove), ("add_extraroutes", add)):
        if routes:
            body = {"router": {"routes": [{"destination": d, "nexthop": n} for d, n in sorted(routes)]}}
            _vpc.neutron(ctx, "PUT", f"/routers/{router}/{action}", body)


def carried(vpc_id: str, records: dict[str, dict]) -> set[tuple[str, str]]:
    """The extra routes the VPC router carries for the VPC's tables in effect."""
    return set().union(*(extra_routes(d) for d in records.values() if d.get("vpc_id") == vpc_id))


def commit(ctx: Any, vpc_id: str, before: set[tuple[str, str]], records: dict[str, dict],
           changed: dict[str, dict]) -> None:
    """Save the ``changed`` tables, the VPC router first brought from ``before`` (the extra routes
    carried before the change) to what the tables in effect now ask; the router is put back if the
    database write fails, so that the two never disagree."""
    after = carried(vpc_id, records)
    if after == before:
        save(ctx, changed)
        return
    router = _vpc_router(ctx, vpc_id)
    if router is None:
        raise EC2Error("Unsupported", f"{vpc_id} has no Neutron router to carry routes via an interface.")
    change_router(ctx, router, after - before, before - after)
    try:
        save(ctx, changed)
    except Exception:
        _vpc.undo(lambda: change_router(ctx, router, before - after, after - before))
        raise


def _vpc_router(ctx: Any, vpc_id: str) -> str | None:
    with ctx.session() as s:
        net_id = ids.os_id(s, ctx.project_id, vpc_id)
        data = ids.get_data_many(s, ctx.project_id, [vpc_id]).get(vpc_id, {})
    return _vpc.router_of(ctx, {"id": net_id}, data) if net_id else None


def interfaces_gone(ctx: Any, eni_ids: Iterable[str]) -> None:
    """The router stops carrying the routes via interfaces that were deleted (else a new interface
    given the same address would receive their traffic); the routes stay in their tables without a
    next hop, ``blackhole``, as AWS shows them until DeleteRoute."""
    gone = set(eni_ids)
    if not gone:
        return
    records = tables(ctx)
    hit = {rtb: d for rtb, d in records.items()
           if any(r.get("NetworkInterfaceId") in gone and r.get("nexthop") for r in d.get("routes") or [])}
    for vpc_id in sorted({d["vpc_id"] for d in hit.values()}):
        before = carried(vpc_id, records)
        changed = {rtb: d for rtb, d in hit.items() if d["vpc_id"] == vpc_id}
        for d in changed.values():
            d["routes"] = [{k: v for k, v in r.items() if k != "nexthop"} if r.get("NetworkInterfaceId") in gone
                           else r for r in d["routes"]]
        commit(ctx, vpc_id, before, records, changed)


def drop_routes_into(ctx: Any, router: str, cidr: str) -> None:
    """Remove the router's extra routes whose next hop lies in ``cidr`` (a subnet about to go:
    Neutron keeps a router interface that a route needs, and such a route reaches nothing now)."""
    body = _vpc.neutron(ctx, "GET", f"/routers/{router}", missing_ok=True)
    net = ipaddress.ip_network(cidr)
    dead = {(r["destination"], r["nexthop"]) for r in (body or {}).get("router", {}).get("routes") or []
            if ipaddress.ip_address(r["nexthop"]) in net}
    change_router(ctx, router, set(), dead)


def _egress(route: dict) -> str | None:
    """What carries a route out of the VPC router: ``0.0.0.0/0`` via the VPC's internet gateway or
    via its NAT gateway both leave through the router's external gateway (floating IPs 1:1, other
    addresses by its SNAT), so tables differing only there agree (docs/networking.md)."""
    if route.get("NatGatewayId") or (route.get("GatewayId") or "").startswith("igw-"):
        return "router-gateway"
    return target(route)


def _beyond_local(data: dict) -> frozenset:
    return frozenset((r["DestinationCidrBlock"], _egress(r)) for r in data.get("routes") or [])


def check_agreement(vpc_id: str, tables: dict[str, dict]) -> None:
    """Refuse a state in which two tables in effect in the VPC differ beyond ``local`` (module doc)."""
    effective = [d for d in tables.values() if d.get("vpc_id") == vpc_id and in_effect(d)]
    if len({_beyond_local(d) for d in effective}) > 1:
        raise EC2Error("Unsupported",
                       f"The subnets of {vpc_id} share one Neutron router, so a route reaches all of them: every "
                       "route table in effect in the VPC (the main one and each associated with a subnet) must "
                       "have the same routes beyond 'local' on this cloud.")


def tables(ctx: Any) -> dict[str, dict]:
    """``{rtb id: data}`` of the project's route table records."""
    with ctx.session() as s:
        return {rtb: d for rtb, (_, d) in ids.items_with_data(s, ctx.project_id, KIND).items()}


def table(ctx: Any, rtb_id: str) -> tuple[dict[str, dict], dict]:
    """All records, and the caller's table ``rtb_id`` (else InvalidRouteTableID.NotFound)."""
    ids.require_well_formed(KIND, [rtb_id])
    records = tables(ctx)
    if rtb_id not in records:
        raise ids.not_found(KIND, rtb_id)
    return records, records[rtb_id]


def save(ctx: Any, changed: dict[str, dict]) -> None:
    with ctx.session() as s:
        for rtb_id, data in changed.items():
            ids.set_data(s, ctx.project_id, rtb_id, data)


def find_association(records: dict[str, dict], assoc_id: str) -> tuple[str, str | None]:
    """``(rtb id, subnet id or None for a main association)`` of an association id."""
    if not ids.is_well_formed(ASSOC_KIND, assoc_id):
        raise ids.malformed(ASSOC_KIND, assoc_id)
    for rtb_id, d in records.items():
        if d.get("main_assoc") == assoc_id:
            return rtb_id, None
        if assoc_id in (d.get("assoc") or {}):
            return rtb_id, d["assoc"][assoc_id]
    raise ids.not_found(ASSOC_KIND, assoc_id)
