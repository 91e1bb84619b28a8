"""DescribeSecurityGroupRules, ModifySecurityGroupRules, UpdateSecurityGroupRuleDescriptions*.

Neutron rules cannot be changed (its API has no update of a rule; the description included). A
change is a new rule, then the old one deleted, and the ``sgr-`` id re-pointed at the new rule, so
that the id stays. A change of the description alone cannot be made that way (Neutron refuses a
second rule equal to the first but for its description): the old rule is deleted, then the new one
created; if that fails, the old one is created again, and the id follows whichever stands.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from handlers import _groups as groups
from handlers.security_groups import _rules as rules
from handlers.security_groups import _view as view
from handlers.security_groups.permissions import create_rules, requested_atoms, rules_by_id

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeSecurityGroupRulesRequest,
        DescribeSecurityGroupRulesResult,
        ModifySecurityGroupRulesRequest,
        ModifySecurityGroupRulesResult,
        UpdateSecurityGroupRuleDescriptionsEgressRequest,
        UpdateSecurityGroupRuleDescriptionsEgressResult,
        UpdateSecurityGroupRuleDescriptionsIngressRequest,
        UpdateSecurityGroupRuleDescriptionsIngressResult,
    )

KIND = view.RULE_KIND
_PATH, _KEY = "/security-group-rules", "security_group_rules"


def _group_ids_of_filter(params: dict) -> list[str] | None:
    """The ``group-id`` filter's values when they are plain group ids (Neutron can filter on them)."""
    for f in params.get("Filters") or []:
        values = f.get("Values") or []
        if f.get("Name") == "group-id" and values and all(ids.is_well_formed(groups.KIND, v) for v in values):
            return values
    return None


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The caller's rules: the requested ones, those of the groups filtered on, or the project's."""
    if wanted["SecurityGroupRuleIds"]:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, wanted["SecurityGroupRuleIds"])
        found = groups.neutron_list(ctx, _PATH, _KEY, "id", known.values()) if known else []
    elif (group_ids := _group_ids_of_filter(params)) is not None:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, group_ids)
        found = groups.neutron_list(ctx, _PATH, _KEY, "security_group_id", known.values()) if known else []
    else:
        found = groups.neutron_list(ctx, _PATH, _KEY)
    return view.rule_views(ctx, found)


DESCRIBE = describe.Describe(
    result_key="SecurityGroupRules",
    fetch=_fetch,
    sort_key=lambda i: i["SecurityGroupRuleId"],
    requested=(describe.Requested("SecurityGroupRuleIds", lambda i: i["SecurityGroupRuleId"], lambda missing: EC2Error(
        "InvalidSecurityGroupRuleId.NotFound", f"The security group rule ID '{missing[0]}' does not exist"),
        kind=KIND),),
    filters={"group-id": lambda i: i["GroupId"], "security-group-rule-id": lambda i: i["SecurityGroupRuleId"]},
)


@handler("DescribeSecurityGroupRules", honours=("SecurityGroupRuleIds", "Filters", "MaxResults", "NextToken"))
def describe_security_group_rules(ctx: RequestContext,
                                  params: DescribeSecurityGroupRulesRequest) -> DescribeSecurityGroupRulesResult:
    """The caller's rules by id, group and tag, paged by rule id."""
    return describe.run(ctx, params, DESCRIBE)


def _replace(ctx: Any, changes: list[tuple[str, dict, rules.Atom]], group: groups.Group) -> None:
    """Replace each ``(sgr id, old Neutron rule, new atom)``; nothing changes if a creation fails."""
    new_only = [(rid, old, atom) for rid, old, atom in changes if rules.atom_of_rule(old).key != atom.key]  # type: ignore[union-attr]
    same_key = [(rid, old, atom) for rid, old, atom in changes if (rid, old, atom) not in new_only]
    made = create_rules(ctx, group.os_id, [atom for _, _, atom in new_only])
    for (rid, old, _), new in zip(new_only, made, strict=True):
        checked(ctx.os.network.delete(f"{_PATH}/{old['id']}"))
        with ctx.session() as s:
            ids.repoint(s, ctx.project_id, rid, new["id"])
    for rid, old, atom in same_key:
        checked(ctx.os.network.delete(f"{_PATH}/{old['id']}"))
        try:
            (new,) = create_rules(ctx, group.os_id, [atom])
        except BaseException:
            restored = checked(ctx.os.network.post(_PATH, json={"security_group_rule": {
                k: old[k] for k in ("security_group_id", "direction", "ethertype", "protocol", "port_range_min",
                                    "port_range_max", "remote_ip_prefix", "remote_group_id", "description")
                if old.get(k) is not None}})).json()["security_group_rule"]
            with ctx.session() as s:
                ids.repoint(s, ctx.project_id, rid, restored["id"])
            raise
        with ctx.session() as s:
            ids.repoint(s, ctx.project_id, rid, new["id"])


def _check_unique(group: groups.Group, changes: list[tuple[str, dict, rules.Atom]]) -> None:
    replaced = {old["id"] for _, old, _ in changes}
    others = {a.key for r in group.rules if r["id"] not in replaced and (a := rules.atom_of_rule(r)) is not None}
    for _, _, atom in changes:
        if atom.key in others:
            raise EC2Error("InvalidPermission.Duplicate", f'the specified rule "{atom.describe()}" already exists')
        others.add(atom.key)


@handler("ModifySecurityGroupRules", not_found="InvalidGroup.NotFound", honours=("GroupId", "SecurityGroupRules"))
def modify_security_group_rules(ctx: RequestContext,
                                params: ModifySecurityGroupRulesRequest) -> ModifySecurityGroupRulesResult:
    """Change rules in place, as EC2 shows it: each keeps its ``sgr-`` id."""
    default_vpc = groups.DefaultVpc(ctx)
    group = groups.one(ctx, params["GroupId"], None, default_vpc)
    updates = params["SecurityGroupRules"]
    olds = rules_by_id(ctx, group, [u["SecurityGroupRuleId"] for u in updates], None)
    changes = []
    for update, old in zip(updates, olds, strict=True):
        req = update.get("SecurityGroupRule")
        if req is None:
            raise EC2Error("MissingParameter", "The request must contain the parameter SecurityGroupRule")
        if req.get("PrefixListId"):
            raise EC2Error("InvalidParameterValue", "Prefix lists are not supported by this cloud (PrefixListId).")
        perm: dict[str, Any] = {k: req[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in req}
        perm.setdefault("IpProtocol", "-1")
        if req.get("CidrIpv4"):
            perm["IpRanges"] = [{"CidrIp": req["CidrIpv4"], "Description": req.get("Description")}]
        if req.get("CidrIpv6"):
            perm["Ipv6Ranges"] = [{"CidrIpv6": req["CidrIpv6"], "Description": req.get("Description")}]
        if req.get("ReferencedGroupId"):
            perm["UserIdGroupPairs"] = [{"GroupId": req["ReferencedGroupId"], "Description": req.get("Description")}]
        atoms = requested_atoms(ctx, {"IpPermissions": [perm]}, group, old["direction"] == "egress", default_vpc)
        if len(atoms) != 1:
            raise EC2Error("InvalidParameterValue", "A security group rule has exactly one CIDR or group.")
        changes.append((update["SecurityGroupRuleId"], old, atoms[0]))
    _check_unique(group, changes)
    _replace(ctx, changes, group)
    return {"Return": True}


def _update_descriptions(ctx: Any, params: Any, egress: bool) -> dict:
    default_vpc = groups.DefaultVpc(ctx)
    group = groups.one(ctx, params.get("GroupId"), params.get("GroupName"), default_vpc)
    changes: list[tuple[str, dict, rules.Atom]] = []
    if params.get("SecurityGroupRuleDescriptions"):
        if params.get("IpPermissions"):
            raise EC2Error("InvalidParameterCombination",
                           "SecurityGroupRuleDescriptions cannot be used with IpPermissions.")
        described = params["SecurityGroupRuleDescriptions"]
        olds = rules_by_id(ctx, group, [d.get("SecurityGroupRuleId", "") for d in described], egress)
        pairs = [(d["SecurityGroupRuleId"], old, d.get("Description") or None) for d, old in zip(described, olds,
                                                                                               strict=True)]
    else:
        atoms = requested_atoms(ctx, params, group, egress, default_vpc)
        by_key = {a.key: r for r in group.rules if (a := rules.atom_of_rule(r)) is not None}
        pairs = []
        for atom in atoms:
            old = by_key.get(atom.key)
            if old is None:
                raise EC2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security "
                               f'group: "{atom.describe()}"')
            with ctx.session() as s:
                rid = ids.ec2_id(s, ctx.project_id, KIND, old["id"])
            pairs.append((rid, old, atom.description))
    for rid, old, description in pairs:
        current = rules.atom_of_rule(old)
        if current is not None and (current.description or None) != description:
            changes.append((rid, old, dataclasses.replace(current, description=description)))
    _replace(ctx, changes, group)
    return {"Return": True}


@handler("UpdateSecurityGroupRuleDescriptionsIngress", not_found="InvalidGroup.NotFound",
         honours=("GroupId", "GroupName", "IpPermissions", "SecurityGroupRuleDescriptions"))
def update_descriptions_ingress(
        ctx: RequestContext, params: UpdateSecurityGroupRuleDescriptionsIngressRequest,
) -> UpdateSecurityGroupRuleDescriptionsIngressResult:
    """Set the descriptions of ingress rules (by permission or by rule id)."""
    return _update_descriptions(ctx, params, egress=False)  # type: ignore[return-value]


@handler("UpdateSecurityGroupRuleDescriptionsEgress", not_found="InvalidGroup.NotFound",
         honours=("GroupId", "GroupName", "IpPermissions", "SecurityGroupRuleDescriptions"))
def update_descriptions_egress(
        ctx: RequestContext, params: UpdateSecurityGroupRuleDescriptionsEgressRequest,
) -> UpdateSecurityGroupRuleDescriptionsEgressResult:
    """Set the descriptions of egress rules (by permission or by rule id)."""
    return _update_descriptions(ctx, params, egress=True)  # type: ignore[return-value]
