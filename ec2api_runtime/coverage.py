"""How much of the EC2 model ec2api implements, per resource area."""

from __future__ import annotations

import re

from generated.ec2 import OPERATIONS

# Area -> the resource nouns whose operations belong to it (matched against the operation name).
AREAS: dict[str, tuple[str, ...]] = {
    "instances": ("Instance", "ConsoleOutput", "PasswordData", "ConsoleScreenshot"),
    "images": ("Image",),
    "key_pairs": ("KeyPair",),
    "security_groups": ("SecurityGroup",),
    "addresses": ("Address",),
    "volumes": ("Volume",),
    "snapshots": ("Snapshot",),
    "tags": ("Tags",),
    "regions": ("Regions", "AvailabilityZones", "AccountAttributes"),
    "vpcs": ("Vpc",),
    "subnets": ("Subnet",),
    "route_tables": ("RouteTable", "Route"),
    "internet_gateways": ("InternetGateway",),
    "network_interfaces": ("NetworkInterface",),
    "dhcp_options": ("DhcpOptions",),
}


def area_of(operation: str) -> str:
    """The area an operation belongs to (``other`` when none of the nouns matches)."""
    verbless = re.sub(r"^[A-Z][a-z]+", "", operation)
    for area, nouns in AREAS.items():
        if any(verbless.startswith(n) or verbless.startswith(n + "s") for n in nouns):
            return area
    return "other"


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
