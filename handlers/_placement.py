"""Placement groups on Nova server groups: ``cluster`` is the ``affinity`` policy (one host),
``spread`` is ``anti-affinity`` (a host each). ``partition`` has no Nova counterpart (server groups
have no partitions; soft anti-affinity would not keep a partition's instances apart from another's),
so it is refused. What RunInstances and the placement-group operations share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from handlers import _bulk as bulk

KIND = "pg"
POLICY_OF = {"cluster": "affinity", "spread": "anti-affinity"}
STRATEGY_OF = {policy: strategy for strategy, policy in POLICY_OF.items()}
# 2.64: a server group has one ``policy`` (and ``rules``) rather than a list of policies.
MICROVERSION = "2.64"


def groups(ctx: Any) -> list[dict]:
    """The caller's Nova server groups (one call)."""
    return bulk.get_json(ctx, "compute", "/os-server-groups", microversion=MICROVERSION)["server_groups"]


def group(compute: Any, group_id: str) -> dict | None:
    """One server group by its Nova id (one call through the compute proxy), None when gone."""
    resp = compute.get(f"/os-server-groups/{group_id}", microversion=MICROVERSION)
    if resp.status_code == 404:
        return None
    return checked(resp).json()["server_group"]


def by_name(ctx: Any, name: str) -> dict:
    found = [g for g in groups(ctx) if g.get("name") == name]
    if not found:
        raise EC2Error("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
    return found[0]


def by_id(ctx: Any, group_id: str) -> dict:
    """The server group of a ``pg-`` id of the caller's project."""
    if not ids.is_well_formed(KIND, group_id):
        raise ids.malformed(KIND, group_id)
    with ctx.session() as s:
        nova_id = ids.os_id(s, ctx.project_id, group_id)
    found = group(ctx.os.compute, nova_id) if nova_id else None
    if found is None:
        raise EC2Error("InvalidPlacementGroup.Unknown", f"The Placement Group '{group_id}' is unknown.")
    return found


def scheduler_hints(ctx: Any, placement: Mapping[str, Any]) -> tuple[dict, dict]:
    """``({"group": nova id} or {}, {"placement_group": name, "placement_group_id": pg-...} or {})``
    for RunInstances' ``Placement.GroupName``/``GroupId``: the hint Nova schedules by, and the facts
    DescribeInstances shows."""
    name, group_id = placement.get("GroupName"), placement.get("GroupId")
    if not name and not group_id:
        return {}, {}
    if name and group_id:
        raise EC2Error("InvalidParameterCombination",
                       "The parameters Placement.GroupName and Placement.GroupId cannot be used together.")
    found = by_id(ctx, group_id) if group_id else by_name(ctx, str(name))
    with ctx.session() as s:
        pg_id = ids.ec2_id(s, ctx.project_id, KIND, found["id"])
    return {"group": found["id"]}, {"placement_group": found["name"], "placement_group_id": pg_id}
