"""NAT gateways as records naming the VPC router's SNAT (shared by nat_gateways, route_tables,
subnets, internet_gateways).

A NAT gateway (kind ``nat``) is an ec2api record with item data::

    {"vpc_id", "subnet_id", "allocation_id", "router", "public_ip", "private_ip",
     "state": "available" | "failed" | "deleted", "created": iso, "deleted": iso,
     "failure": {"code", "message"}}

What carries the traffic is the VPC router: Neutron source-NATs every subnet attached to it onto
the address of its external gateway (the internet gateway's attachment), which is the NAT gateway's
``PublicIp``. Neutron's default policy lets only an administrator choose that address or switch
SNAT off (``external_gateway_info:external_fixed_ips`` / ``enable_snat``), so the elastic IP named
at create is held by the NAT gateway but is not the address traffic leaves from
(docs/networking.md). One router has one SNAT: one live NAT gateway per VPC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error

KIND = "nat"
LIVE = ("pending", "available")
# AWS keeps showing deleted (and failed) NAT gateways for about an hour.
RETENTION = dt.timedelta(hours=1)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def records(s: Any, project_id: str) -> dict[str, dict]:
    """``{nat id: data}`` of the project's NAT gateways (those past their retention included)."""
    return {nat: d for nat, (_, d) in ids.items_with_data(s, project_id, KIND).items()}


def live(nats: dict[str, dict], *, vpc_id: str | None = None, subnet_id: str | None = None) -> list[str]:
    """The ids of the NAT gateways that are pending or available, in a VPC or a subnet."""
    return sorted(n for n, d in nats.items() if d.get("state") in LIVE
                  and (vpc_id is None or d.get("vpc_id") == vpc_id)
                  and (subnet_id is None or d.get("subnet_id") == subnet_id))


def refuse_if_live(ctx: Any, *, vpc_id: str | None = None, subnet_id: str | None = None) -> None:
    """DependencyViolation while a NAT gateway lives in the VPC (its public address is the router's
    gateway) or in the subnet (its private side is the router's interface there)."""
    with ctx.session() as s:
        found = live(records(s, ctx.project_id), vpc_id=vpc_id, subnet_id=subnet_id)
    if found and subnet_id:
        raise EC2Error("DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted "
                       f"(NAT gateway {found[0]}).")
    if found:
        raise EC2Error("DependencyViolation", f"Network {vpc_id} has some mapped public address(es). Please unmap "
                       f"those public address(es) before detaching the gateway (NAT gateway {found[0]}).")


def holder_of(ctx: Any, allocation_id: str) -> str | None:
    """The live NAT gateway holding the elastic IP ``allocation_id``, if any."""
    with ctx.session() as s:
        nats = records(s, ctx.project_id)
    return next((n for n in live(nats) if nats[n].get("allocation_id") == allocation_id), None)


def refuse_if_held(ctx: Any, allocation_id: str) -> None:
    """An elastic IP a NAT gateway holds can be neither associated nor released (as on AWS)."""
    holder = holder_of(ctx, allocation_id)
    if holder:
        raise EC2Error("InvalidIPAddress.InUse", f"Address {allocation_id} is in use by NAT gateway {holder}.")


def route_targets(nats: dict[str, dict], attached: dict[str, set[str]]) -> dict[str, set[str]]:
    """``attached`` (VPC id -> the targets whose routes are active) with the available NAT gateways
    of each VPC whose router has its gateway (an attached internet gateway) added."""
    out = {vpc: set(targets) for vpc, targets in attached.items()}
    for nat, d in nats.items():
        if d.get("state") == "available" and out.get(d.get("vpc_id") or ""):
            out[d["vpc_id"]].add(nat)
    return out
