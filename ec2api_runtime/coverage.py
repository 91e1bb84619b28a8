"""How much of the EC2 model ec2api implements, per resource area."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any

from ec2api_runtime.refusals import REFUSED
from generated.ec2 import OPERATIONS
from generated.ec2.metadata import INPUT_MEMBERS

# Area -> the resource nouns whose operations belong to it (matched against the operation name).
# An operation belongs to the area of the longest noun it starts with (InstanceTypes before Instance).
AREAS: dict[str, tuple[str, ...]] = {
    "instances": ("Instance", "ConsoleOutput", "PasswordData", "ConsoleScreenshot"),
    "instance_types": ("InstanceType", "InstanceCreditSpecification", "DefaultCreditSpecification"),
    "images": ("Image",),
    "key_pairs": ("KeyPair",),
    "security_groups": ("SecurityGroup",),
    "addresses": ("Address",),
    "volumes": ("Volume",),
    "snapshots": ("Snapshot",),
    "tags": ("Tags",),
    "regions": ("Regions", "AvailabilityZones", "AccountAttributes"),
    "vpcs": ("Vpc", "DefaultVpc"),
    "subnets": ("Subnet", "DefaultSubnet"),
    "route_tables": ("RouteTable", "Route"),
    "internet_gateways": ("InternetGateway",),
    "network_interfaces": ("NetworkInterface", "PrivateIpAddresses", "Ipv6Addresses"),
    "dhcp_options": ("DhcpOptions",),
    "launch_templates": ("LaunchTemplate",),
    "placement_groups": ("PlacementGroup",),
    "spot_requests": ("SpotInstanceRequests",),
    "iam_instance_profiles": ("IamInstanceProfile",),
    "network_acls": ("NetworkAcl",),
    "nat_gateways": ("NatGateway",),
    "subnet_cidrs": ("SubnetCidrBlock",),
}


def area_of(operation: str) -> str:
    """The area an operation belongs to (``other`` when none of the nouns matches)."""
    verbless = re.sub(r"^[A-Z][a-z]+", "", operation)
    matches = [(len(n), area) for area, nouns in AREAS.items() for n in nouns if verbless.startswith(n)]
    return max(matches)[1] if matches else "other"


def report(implemented: set[str]) -> list[tuple[str, int, int]]:
    """``(area, implemented, total)`` rows in the order of ``AREAS``, then ``other``, then the total."""
    totals: dict[str, list[int]] = {area: [0, 0] for area in [*AREAS, "other"]}
    for name in OPERATIONS:
        row = totals[area_of(name)]
        row[1] += 1
        row[0] += name in implemented
    rows = [(area, done, total) for area, (done, total) in totals.items()]
    rows.append(("total", sum(r[1] for r in rows), len(OPERATIONS)))
    return rows


def listing(handlers: Mapping[str, Any], width: int = 100) -> list[str]:
    """``ec2api coverage --list``: per area, each implemented operation with its ``module:function``
    and how many of the model's input members it honours (the rest are the runtime's or refused),
    then the operations deliberately refused (``ec2api_runtime.refusals``) with their reason, then
    the operations not implemented."""
    lines = []
    for area, done, total in report(set(handlers))[:-1]:
        lines.append(f"{area}: {done} / {total} operations")
        names = sorted(n for n in OPERATIONS if area_of(n) == area)
        for name in (n for n in names if n in handlers):
            h = handlers[name]
            members = INPUT_MEMBERS[name]
            honoured = len(h.honours) + len(h.partly)
            runtime = len(h.accepted) - honoured
            lines.append(f"  {name} -> {h.fn.__module__}:{h.fn.__name__}: members honoured {honoured} / "
                         f"{len(members)}" + (f" ({len(h.partly)} partly)" if h.partly else "")
                         + f", by the runtime {runtime}, refused {len(members) - honoured - runtime}")
        for name in (n for n in names if n not in handlers and n in REFUSED):
            lines.append(f"  {name}: refused ({REFUSED[name].code}): {REFUSED[name].reason}")
        missing = [n for n in names if n not in handlers and n not in REFUSED]
        if missing:
            lines += textwrap.wrap(f"not implemented ({len(missing)}): " + ", ".join(missing), width,
                                   initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
    return lines
