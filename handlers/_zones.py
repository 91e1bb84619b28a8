"""Availability zones: Nova's, named as AWS names them (shared by regions and instance_types)."""

from __future__ import annotations

from typing import Any


def zone_names(ctx: Any) -> list[str]:
    """The caller's Nova availability zones that hold compute hosts, in name order (one Nova call)."""
    return sorted({z.name for z in ctx.os.compute.availability_zones()})


def zone_id(region: str, index: int) -> str:
    """A stable zone id in AWS's style (``regionone-az1``), by the zone's position in name order."""
    return f"{region.lower()}-az{index + 1}"
