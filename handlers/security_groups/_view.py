"""How Neutron security groups and rules look in EC2: ``SecurityGroup`` and ``SecurityGroupRule``."""

from __future__ import annotations

from typing import Any

from ec2api_runtime.db import ids, tags
from handlers import _groups as groups
from handlers.security_groups import _rules as rules

RULE_KIND = "sgr"


def arn(ctx: Any, kind: str, ec2_id: str) -> str:
    return f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:{kind}/{ec2_id}"


def group_views(ctx: Any, found: list[groups.Group], pair_names: dict[str, str] | None = None) -> list[dict]:
    """``SecurityGroup`` dicts (with private ``_pair_names`` for the ``*.group-name`` filters)."""
    remote = {r["remote_group_id"] for g in found for r in g.rules if r.get("remote_group_id")}
    with ctx.session() as s:
        remote_ids = ids.ec2_ids(s, ctx.project_id, groups.KIND, remote)
        tags_of = tags.tags_for(s, ctx.project_id, [g.group_id for g in found])
    names = {g.os_id: g.name for g in found}
    names.update(pair_names or {})

    def pair(os_id: str) -> dict:
        return {"GroupId": remote_ids[os_id], "UserId": ctx.account_id}

    out = []
    for g in found:
        atoms = [a for a in (rules.atom_of_rule(r) for r in g.rules) if a is not None]
        out.append({
            "GroupId": g.group_id, "GroupName": g.name, "Description": g.neutron.get("description") or "",
            "VpcId": g.vpc_id, "OwnerId": ctx.account_id, "SecurityGroupArn": arn(ctx, "security-group", g.group_id),
            "IpPermissions": rules.permissions([a for a in atoms if not a.egress], pair),
            "IpPermissionsEgress": rules.permissions([a for a in atoms if a.egress], pair),
            "Tags": tags_of.get(g.group_id, []),
            "_pair_names": {remote_ids[a.group]: names.get(a.group, "") for a in atoms if a.group},
        })
    return out


def rule_view(ctx: Any, rule: dict, rule_id: str, group_id: str, remote_ids: dict[str, str],
              rule_tags: list | None = None) -> dict | None:
    """The ``SecurityGroupRule`` of a Neutron rule (None for one EC2 cannot show)."""
    atom = rules.atom_of_rule(rule)
    if atom is None:
        return None
    view: dict[str, Any] = {
        "SecurityGroupRuleId": rule_id, "GroupId": group_id, "GroupOwnerId": ctx.account_id,
        "IsEgress": atom.egress, "IpProtocol": atom.protocol,
        "FromPort": -1 if atom.from_port is None else atom.from_port,
        "ToPort": -1 if atom.to_port is None else atom.to_port,
        "Description": atom.description or "", "Tags": rule_tags or [],
        "SecurityGroupRuleArn": arn(ctx, "security-group-rule", rule_id),
    }
    if atom.group:
        view["ReferencedGroupInfo"] = {"GroupId": remote_ids.get(atom.group, ""), "UserId": ctx.account_id}
    elif atom.cidr4:
        view["CidrIpv4"] = atom.cidr4
    else:
        view["CidrIpv6"] = atom.cidr6
    if not view["Description"]:
        del view["Description"]
    return view


def rule_views(ctx: Any, neutron_rules: list[dict]) -> list[dict]:
    """``SecurityGroupRule`` dicts of Neutron rules: their ids, groups' ids and tags in bulk."""
    with ctx.session() as s:
        rule_ids = ids.ec2_ids(s, ctx.project_id, RULE_KIND, [r["id"] for r in neutron_rules])
        group_ids = ids.ec2_ids(s, ctx.project_id, groups.KIND,
                                {r["security_group_id"] for r in neutron_rules} |
                                {r["remote_group_id"] for r in neutron_rules if r.get("remote_group_id")})
        tags_of = tags.tags_for(s, ctx.project_id, rule_ids.values())
    out = []
    for r in neutron_rules:
        view = rule_view(ctx, r, rule_ids[r["id"]], group_ids[r["security_group_id"]], group_ids,
                         tags_of.get(rule_ids[r["id"]]))
        if view is not None:
            out.append(view)
    return out
