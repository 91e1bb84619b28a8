"""Route tables as ec2api records over the VPC router (shared by route_tables).

A route table is a record (kind ``rtb``) with item data::

    {"vpc_id": "vpc-...", "main": bool, "main_assoc": "rtbassoc-..." (the main one only),
     "routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-..."}],
     "assoc": {"rtbassoc-...": "subnet-..."}}

Every VPC has a main table (recorded on first use). Each table shows the ``local`` route of every
VPC range. What Neutron can carry out: the VPC's subnets share one router, so a route is the
router's and reaches every subnet. ``0.0.0.0/0`` via the VPC's attached internet gateway is the
router's external gateway. Hence the rule that keeps the tables true: every table in effect (the
main table, and every table associated with a subnet) has the same routes beyond ``local``; a change
that would make them differ is refused (``Unsupported``), since no subnet could get different ones.
"""

from __future__ import annotations

from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from handlers import _vpc

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


def view(account_id: str, rtb_id: str, data: dict, cidrs: list[str], attached: set[str], rtb_tags: list) -> dict:
    """The ``RouteTable`` of a record; ``attached``: the igw ids attached to its VPC."""
    routes: list[dict] = [{"DestinationCidrBlock": c, "GatewayId": "local", "Origin": "CreateRouteTable",
                           "State": "active"} for c in cidrs]
    for r in data.get("routes") or []:
        routes.append({**r, "Origin": "CreateRoute",
                       "State": "active" if target(r) in attached else "blackhole"})
    assocs = [{"Main": False, "RouteTableAssociationId": a, "RouteTableId": rtb_id, "SubnetId": sn,
               "AssociationState": {"State": "associated"}} for a, sn in sorted((data.get("assoc") or {}).items())]
    if data.get("main"):
        assocs.insert(0, {"Main": True, "RouteTableAssociationId": data["main_assoc"], "RouteTableId": rtb_id,
                          "AssociationState": {"State": "associated"}})
    return {"RouteTableId": rtb_id, "VpcId": data["vpc_id"], "OwnerId": account_id, "Routes": routes,
            "Associations": assocs, "PropagatingVgws": [], "Tags": rtb_tags}


def target(route: dict) -> str | None:
    """The id a stored route points at."""
    return route.get("GatewayId") or route.get("NatGatewayId")


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
    in_effect = {rtb: d for rtb, d in tables.items() if d.get("vpc_id") == vpc_id and (d.get("main") or d.get("assoc"))}
    if len({_beyond_local(d) for d in in_effect.values()}) > 1:
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
