"""CreateSecurityGroup, DeleteSecurityGroup, DescribeSecurityGroups on Neutron security groups."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from ec2api_runtime.tagging import tags_from_specs
from handlers import _groups as groups
from handlers.security_groups import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateSecurityGroupRequest,
        CreateSecurityGroupResult,
        DeleteSecurityGroupRequest,
        DeleteSecurityGroupResult,
        DescribeSecurityGroupsRequest,
        DescribeSecurityGroupsResult,
    )

RESOURCE_TYPE = "security-group"
# AWS's character set for VPC security group names and descriptions.
_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}")


def _check_text(value: str, member: str) -> None:
    if not _TEXT.fullmatch(value or ""):
        raise EC2Error("InvalidParameterValue", f"Value ({value}) for parameter {member} is invalid. "
                       "Character sets beyond ASCII are not supported, and the length is 1 to 255.")


@handler("CreateSecurityGroup", honours=("GroupName", "Description", "VpcId", "TagSpecifications"))
def create_security_group(ctx: RequestContext, params: CreateSecurityGroupRequest) -> CreateSecurityGroupResult:
    """A Neutron group (Neutron gives it allow-all egress rules, IPv4 and IPv6, which Describe shows)."""
    name, description = params["GroupName"], params["Description"]
    _check_text(name, "GroupName")
    _check_text(description, "GroupDescription")
    if name.lower().startswith("sg-"):
        raise EC2Error("InvalidParameterValue", f"Value ({name}) for parameter GroupName is invalid. "
                       "Group names may not be in the format sg-*.")
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    default_vpc = groups.DefaultVpc(ctx)
    vpc_id = groups.vpc_network(ctx, params.get("VpcId"), default_vpc)
    if groups.by_names(ctx, [name], vpc_id, default_vpc):
        raise EC2Error("InvalidGroup.Duplicate", f"The security group '{name}' already exists for VPC '{vpc_id}'")
    if name == groups.DEFAULT:
        raise EC2Error("InvalidGroup.Reserved", "The security group 'default' is reserved")
    created = checked(ctx.os.network.post("/security-groups", json={"security_group": {
        "name": name, "description": description}})).json()["security_group"]
    try:
        with ctx.session() as s:
            group_id = ids.ec2_id(s, ctx.project_id, groups.KIND, created["id"])
            if vpc_id != default_vpc.get():
                ids.set_data(s, ctx.project_id, group_id, {"vpc_id": vpc_id})
            if new_tags:
                tags.set_tags(s, ctx.project_id, [group_id], new_tags)
    except BaseException:
        ctx.os.network.delete(f"/security-groups/{created['id']}")
        raise
    result: CreateSecurityGroupResult = {"GroupId": group_id,
                                         "SecurityGroupArn": view.arn(ctx, "security-group", group_id)}
    if new_tags:
        result["Tags"] = new_tags
    return result


@handler("DeleteSecurityGroup", not_found="InvalidGroup.NotFound", honours=("GroupId", "GroupName"))
def delete_security_group(ctx: RequestContext, params: DeleteSecurityGroupRequest) -> DeleteSecurityGroupResult:
    """Delete a group no port and no other group's rule uses; a VPC's default group stays."""
    group = groups.one(ctx, params.get("GroupId"), params.get("GroupName"))
    if group.is_default:
        raise EC2Error("CannotDelete", f'the specified group: "{group.group_id}" name: "default" cannot be '
                       "deleted by a user")
    referencing = groups.neutron_list(ctx, "/security-group-rules", "security_group_rules",
                                      "remote_group_id", [group.os_id], fields=["id", "security_group_id"])
    others = sorted({r["security_group_id"] for r in referencing if r["security_group_id"] != group.os_id})
    used_by = groups.neutron_list(ctx, "/ports", "ports", "security_groups", [group.os_id], fields=["id"])
    if others or used_by:
        raise EC2Error("DependencyViolation", f"resource {group.group_id} has a dependent object")
    resp = ctx.os.network.delete(f"/security-groups/{group.os_id}")
    if resp.status_code == 409:    # a port took it since (Neutron refuses to delete a group in use)
        raise EC2Error("DependencyViolation", f"resource {group.group_id} has a dependent object")
    if resp.status_code != 404:
        checked(resp)
    with ctx.session() as s:
        rule_ids = ids.ec2_ids(s, ctx.project_id, view.RULE_KIND, [r["id"] for r in group.rules])
        ids.forget(s, ctx.project_id, [group.group_id, *rule_ids.values()])
    return {"Return": True, "GroupId": group.group_id}


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The caller's groups, or the requested ones only (by id, or by name in the default VPC)."""
    default_vpc = groups.DefaultVpc(ctx)
    if wanted["GroupIds"] or wanted["GroupNames"]:
        found = list(groups.by_ids(ctx, wanted["GroupIds"], default_vpc).values()) if wanted["GroupIds"] else []
        if wanted["GroupNames"]:
            found += [g for g in groups.by_names(ctx, wanted["GroupNames"], None, default_vpc).values()
                      if g.group_id not in {f.group_id for f in found}]
    else:
        found = groups.wrap(ctx, groups.neutron_groups(ctx), default_vpc)
    pair_names = None
    filter_names = {f.get("Name") for f in params.get("Filters") or []}
    if filter_names & {"ip-permission.group-name", "egress.ip-permission.group-name"}:
        known = {g.os_id for g in found}
        remote = {r["remote_group_id"] for g in found for r in g.rules if r.get("remote_group_id")} - known
        pair_names = {g.os_id: g.name for g in groups.wrap(ctx, groups.neutron_groups(ctx, os_ids=remote),
                                                            default_vpc)} if remote else {}
    return view.group_views(ctx, found, pair_names)


def _perm_filters(prefix: str, key: str) -> dict[str, Any]:
    def ranges(i: dict, member: str, field: str) -> list:
        return [r[field] for p in i[key] for r in p[member]]

    return {
        f"{prefix}ip-permission.cidr": lambda i: ranges(i, "IpRanges", "CidrIp"),
        f"{prefix}ip-permission.ipv6-cidr": lambda i: ranges(i, "Ipv6Ranges", "CidrIpv6"),
        f"{prefix}ip-permission.from-port": lambda i: [p.get("FromPort") for p in i[key]],
        f"{prefix}ip-permission.to-port": lambda i: [p.get("ToPort") for p in i[key]],
        f"{prefix}ip-permission.protocol": lambda i: [p["IpProtocol"] for p in i[key]],
        f"{prefix}ip-permission.group-id": lambda i: ranges(i, "UserIdGroupPairs", "GroupId"),
        f"{prefix}ip-permission.group-name": lambda i: [i["_pair_names"].get(g)
                                                       for g in ranges(i, "UserIdGroupPairs", "GroupId")],
        f"{prefix}ip-permission.user-id": lambda i: ranges(i, "UserIdGroupPairs", "UserId"),
        f"{prefix}ip-permission.prefix-list-id": lambda i: [],   # this cloud has no prefix lists
    }


DESCRIBE = describe.Describe(
    result_key="SecurityGroups",
    fetch=_fetch,
    sort_key=lambda i: i["GroupId"],
    requested=(describe.Requested("GroupIds", lambda i: i["GroupId"],
                                  lambda missing: groups.not_found(missing[0]), kind=groups.KIND),
               describe.Requested("GroupNames", lambda i: i["GroupName"],
                                  lambda missing: EC2Error("InvalidGroup.NotFound", f"The security group "
                                                           f"'{missing[0]}' does not exist in default VPC"))),
    filters={
        "description": lambda i: i["Description"],
        "group-id": lambda i: i["GroupId"],
        "group-name": lambda i: i["GroupName"],
        "owner-id": lambda i: i["OwnerId"],
        "vpc-id": lambda i: i["VpcId"],
        **_perm_filters("", "IpPermissions"),
        **_perm_filters("egress.", "IpPermissionsEgress"),
    },
)


@handler("DescribeSecurityGroups", not_found="InvalidGroup.NotFound",
         honours=("GroupIds", "GroupNames", "Filters", "MaxResults", "NextToken"))
def describe_security_groups(ctx: RequestContext,
                             params: DescribeSecurityGroupsRequest) -> DescribeSecurityGroupsResult:
    """The caller's groups by id, by name (default VPC) and filter, paged by group id."""
    result = describe.run(ctx, params, DESCRIBE)
    for item in result["SecurityGroups"]:
        del item["_pair_names"]
    return result
