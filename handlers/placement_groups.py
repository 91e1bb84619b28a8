"""CreatePlacementGroup, DeletePlacementGroup, DescribePlacementGroups on Nova server groups.

``cluster`` -> Nova ``affinity`` (every instance on one host), ``spread`` -> ``anti-affinity`` (a
host each: SpreadLevel ``host``). ``partition`` is refused: Nova server groups have no partitions.
Names are unique in a project, as on AWS (Nova does not require it, so it is checked here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe, parallel
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.openstack import checked
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _placement as placement

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreatePlacementGroupRequest,
        CreatePlacementGroupResult,
        DeletePlacementGroupRequest,
        DescribePlacementGroupsRequest,
        DescribePlacementGroupsResult,
    )

RESOURCE_TYPE = "placement-group"


def _view(ctx: Any, account_id: str, group: dict, group_id: str, tag_list: list[Any]) -> dict:
    strategy = placement.STRATEGY_OF.get(group.get("policy") or "", "")
    view = {"GroupName": group.get("name") or "", "State": "available", "Strategy": strategy, "GroupId": group_id,
            "GroupArn": f"arn:aws:ec2:{ctx.region}:{account_id}:placement-group/{group.get('name') or ''}",
            "Tags": tag_list}
    if strategy == "spread":
        view["SpreadLevel"] = "host"
    return view


@handler("CreatePlacementGroup", partly={"SpreadLevel": ("host",)},
         honours=("GroupName", "Strategy", "TagSpecifications"))
def create_placement_group(ctx: RequestContext, params: CreatePlacementGroupRequest) -> CreatePlacementGroupResult:
    """A Nova server group with the policy of the strategy (see the module docstring)."""
    name, strategy = params.get("GroupName"), params.get("Strategy")
    if not name:
        raise missing_parameter("GroupName")
    if not strategy:
        raise missing_parameter("Strategy")
    if strategy not in placement.POLICY_OF:
        raise EC2Error("InvalidParameterValue",
                       f"The value '{strategy}' for the parameter Strategy is not supported by this cloud: "
                       "OpenStack server groups keep instances on one host (cluster) or on different hosts "
                       "(spread), and have no partitions.")
    if params.get("SpreadLevel") and strategy != "spread":
        raise EC2Error("InvalidParameterCombination", "SpreadLevel can be given only with the spread strategy.")
    group_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    account_id = ctx.account_id   # before any session: it opens its own
    if any(g.get("name") == name for g in placement.groups(ctx)):
        raise EC2Error("InvalidPlacementGroup.Duplicate", f"The Placement Group '{name}' already exists.")
    resp = ctx.os.compute.post("/os-server-groups", microversion=placement.MICROVERSION,
                               json={"server_group": {"name": name, "policy": placement.POLICY_OF[strategy]}})
    group = checked(resp).json()["server_group"]
    try:
        with ctx.session() as s:
            group_id = ids.ec2_id(s, ctx.project_id, placement.KIND, group["id"])
            if group_tags:
                tags.set_tags(s, ctx.project_id, [group_id], group_tags)
    except BaseException:
        ctx.os.compute.delete(f"/os-server-groups/{group['id']}")   # nothing half-made
        raise
    view = _view(ctx, account_id, group, group_id, group_tags)
    drop_empty_tags([view])
    return {"PlacementGroup": view}   # type: ignore[typeddict-item]


@handler("DeletePlacementGroup", honours=("GroupName",))
def delete_placement_group(ctx: RequestContext, params: DeletePlacementGroupRequest) -> None:
    """Delete an empty group (AWS refuses one that still holds instances)."""
    group = placement.by_name(ctx, params["GroupName"])
    if group.get("members"):
        raise EC2Error("InvalidPlacementGroup.InUse",
                       f"The placement group '{params['GroupName']}' is in use and may not be deleted.")
    checked(ctx.os.compute.delete(f"/os-server-groups/{group['id']}"))
    with ctx.session() as s:
        known = ids.ec2_ids(s, ctx.project_id, placement.KIND, [group["id"]])
        ids.forget(s, ctx.project_id, known.values())


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    """The groups asked for by id (a GET each), else the project's (one listing)."""
    account_id = ctx.account_id   # before the session below: it opens its own
    if wanted["GroupIds"]:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, wanted["GroupIds"])
        compute = ctx.os.compute   # built in this thread, not in the pool's
        found = parallel.gather(*[lambda nid=nid: placement.group(compute, nid) for nid in known.values()])
        groups = [g for g in found if g is not None]
    else:
        groups = placement.groups(ctx)
    with ctx.session() as s:
        id_of = ids.ec2_ids(s, ctx.project_id, placement.KIND, [g["id"] for g in groups])
        tag_map = tags.tags_for(s, ctx.project_id, id_of.values())
    return [_view(ctx, account_id, g, id_of[g["id"]], tag_map.get(id_of[g["id"]], [])) for g in groups]


DESCRIBE = describe.Describe(
    result_key="PlacementGroups",
    fetch=_fetch,
    sort_key=lambda i: i["GroupId"],
    requested=(
        describe.Requested("GroupIds", lambda i: i["GroupId"], lambda missing: EC2Error(
            "InvalidPlacementGroupId.NotFound", f"The Placement Group ID '{missing[0]}' does not exist."),
            kind=placement.KIND),
        describe.Requested("GroupNames", lambda i: i["GroupName"], lambda missing: EC2Error(
            "InvalidPlacementGroup.Unknown", f"The Placement Group '{missing[0]}' is unknown.")),
    ),
    filters={"group-name": lambda i: i["GroupName"], "group-arn": lambda i: i["GroupArn"],
             "spread-level": lambda i: i.get("SpreadLevel"), "state": lambda i: i["State"],
             "strategy": lambda i: i["Strategy"]},
)


@handler("DescribePlacementGroups", honours=("GroupIds", "GroupNames", "Filters"))
def describe_placement_groups(ctx: RequestContext,
                              params: DescribePlacementGroupsRequest) -> DescribePlacementGroupsResult:
    return describe.run(ctx, params, DESCRIBE)
