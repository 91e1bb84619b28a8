"""Authorize/RevokeSecurityGroupIngress/Egress: EC2 permissions as Neutron rules, all or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from ec2api_runtime.tagging import tags_from_specs
from handlers import _groups as groups
from handlers.security_groups import _rules as rules
from handlers.security_groups import _view as view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AuthorizeSecurityGroupEgressRequest,
        AuthorizeSecurityGroupEgressResult,
        AuthorizeSecurityGroupIngressRequest,
        AuthorizeSecurityGroupIngressResult,
        RevokeSecurityGroupEgressRequest,
        RevokeSecurityGroupEgressResult,
        RevokeSecurityGroupIngressRequest,
        RevokeSecurityGroupIngressResult,
    )

_FLAT = ("CidrIp", "IpProtocol", "FromPort", "ToPort", "SourceSecurityGroupName", "SourceSecurityGroupOwnerId")
_COMMON = ("GroupId", "IpPermissions", *_FLAT)


def pair_resolver(ctx: Any, group: groups.Group, default_vpc: groups.DefaultVpc) -> rules.GroupResolver:
    """Resolve a UserIdGroupPair to a Neutron group id: by id, or by name in ``group``'s VPC; the
    caller's own groups only (another account's id is refused)."""
    def resolve(pair: dict) -> str:
        user = pair.get("UserId")
        if user and user != ctx.account_id:
            raise EC2Error("InvalidGroup.NotFound", f"The security group of account '{user}' is not available: "
                           "only groups of the caller's own account can be referenced.")
        if pair.get("GroupId"):
            if pair["GroupId"] == group.group_id:
                return group.os_id
            found = groups.by_ids(ctx, [pair["GroupId"]], default_vpc).get(pair["GroupId"])
            if found is None:
                raise groups.not_found(pair["GroupId"])
            return found.os_id
        name = pair.get("GroupName")
        if not name:
            raise EC2Error("MissingParameter", "A UserIdGroupPair needs a GroupId or a GroupName.")
        if name == group.name:
            return group.os_id
        named = groups.by_names(ctx, [name], group.vpc_id, default_vpc).get(name)
        if named is None:
            raise groups.not_found(name, group.vpc_id)
        return named.os_id
    return resolve


def requested_atoms(ctx: Any, params: Any, group: groups.Group, egress: bool,
                    default_vpc: groups.DefaultVpc, with_description: bool = True) -> list[rules.Atom]:
    """The atoms of the request's permissions (IpPermissions or the legacy flat form), checked."""
    legacy = rules.legacy_permission(params)
    perms = [legacy] if legacy is not None else list(params.get("IpPermissions") or [])
    if not perms:
        raise EC2Error("MissingParameter", "No permissions were given (IpPermissions or CidrIp/IpProtocol).")
    return rules.atoms_of(perms, egress, pair_resolver(ctx, group, default_vpc), with_description)


def _target(ctx: Any, params: Any, egress: bool) -> tuple[groups.Group, groups.DefaultVpc]:
    default_vpc = groups.DefaultVpc(ctx)
    # Egress takes GroupId only (the model has no GroupName there); ingress also a default VPC name.
    group = groups.one(ctx, params.get("GroupId"), None if egress else params.get("GroupName"), default_vpc)
    return group, default_vpc


def _existing(group: groups.Group) -> dict[tuple, dict]:
    """``{atom key: Neutron rule}`` of the group's rules (a pair's IPv4 and IPv6 rules: both kept)."""
    out: dict[tuple, dict] = {}
    for r in group.rules:
        atom = rules.atom_of_rule(r)
        if atom is not None:
            out.setdefault(atom.key, r)
    return out


def create_rules(ctx: Any, group_os_id: str, atoms: list[rules.Atom]) -> list[dict]:
    """Create one Neutron rule per atom; if one fails, delete those made before it and raise."""
    made: list[dict] = []
    try:
        for atom in atoms:
            resp = ctx.os.network.post("/security-group-rules",
                                       json={"security_group_rule": rules.neutron_body(atom, group_os_id)})
            if resp.status_code == 409 and "exists" in resp.text.lower():
                raise EC2Error("InvalidPermission.Duplicate", f'the specified rule "{atom.describe()}" already exists')
            made.append(checked(resp).json()["security_group_rule"])
    except BaseException:
        for r in made:
            ctx.os.network.delete(f"/security-group-rules/{r['id']}")
        raise
    return made


def _authorize(ctx: Any, params: Any, egress: bool) -> dict:
    new_tags = tags_from_specs(params.get("TagSpecifications"), "security-group-rule")
    group, default_vpc = _target(ctx, params, egress)
    atoms = requested_atoms(ctx, params, group, egress, default_vpc)
    existing = _existing(group)
    seen: set[tuple] = set()
    for atom in atoms:
        if atom.key in existing or atom.key in seen:
            raise EC2Error("InvalidPermission.Duplicate", f'the specified rule "{atom.describe()}" already exists')
        seen.add(atom.key)
    made = create_rules(ctx, group.os_id, atoms)
    try:
        with ctx.session() as s:
            rule_ids = ids.ec2_ids(s, ctx.project_id, view.RULE_KIND, [r["id"] for r in made])
            if new_tags:
                tags.set_tags(s, ctx.project_id, list(rule_ids.values()), new_tags)
    except BaseException:
        for r in made:
            ctx.os.network.delete(f"/security-group-rules/{r['id']}")
        raise
    return {"Return": True, "SecurityGroupRules": view.rule_views(ctx, made)}


@handler("AuthorizeSecurityGroupIngress", not_found="InvalidGroup.NotFound",
         honours=(*_COMMON, "GroupName", "TagSpecifications"))
def authorize_ingress(ctx: RequestContext,
                      params: AuthorizeSecurityGroupIngressRequest) -> AuthorizeSecurityGroupIngressResult:
    """Add ingress rules (one Neutron rule per CIDR or group of each permission)."""
    return _authorize(ctx, params, egress=False)  # type: ignore[return-value]


@handler("AuthorizeSecurityGroupEgress", not_found="InvalidGroup.NotFound",
         honours=(*_COMMON, "TagSpecifications"))
def authorize_egress(ctx: RequestContext,
                     params: AuthorizeSecurityGroupEgressRequest) -> AuthorizeSecurityGroupEgressResult:
    """Add egress rules (one Neutron rule per CIDR or group of each permission)."""
    return _authorize(ctx, params, egress=True)  # type: ignore[return-value]


def _revoked(ctx: Any, neutron_rules: list[dict]) -> list[dict]:
    out = []
    for v in view.rule_views(ctx, neutron_rules):
        entry = {k: v[k] for k in ("SecurityGroupRuleId", "GroupId", "IsEgress", "IpProtocol", "FromPort", "ToPort",
                                   "CidrIpv4", "CidrIpv6", "Description") if k in v}
        if "ReferencedGroupInfo" in v:
            entry["ReferencedGroupId"] = v["ReferencedGroupInfo"]["GroupId"]
        out.append(entry)
    return out


def _revoke(ctx: Any, params: Any, egress: bool) -> dict:
    group, default_vpc = _target(ctx, params, egress)
    if params.get("SecurityGroupRuleIds"):
        if params.get("IpPermissions") or any(k in params for k in _FLAT):
            raise EC2Error("InvalidParameterCombination",
                           "SecurityGroupRuleIds cannot be used with IpPermissions or the flat rule parameters.")
        doomed = rules_by_id(ctx, group, params["SecurityGroupRuleIds"], egress)
    else:
        atoms = requested_atoms(ctx, params, group, egress, default_vpc, with_description=False)
        by_key: dict[tuple, list[dict]] = {}
        for r in group.rules:
            atom = rules.atom_of_rule(r)
            if atom is not None:
                by_key.setdefault(atom.key, []).append(r)
        doomed = []
        for atom in atoms:
            if atom.key not in by_key:
                raise EC2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security "
                               f'group: "{atom.describe()}"')
            doomed += by_key[atom.key]   # a pair: its IPv4 and IPv6 rules
    revoked = _revoked(ctx, doomed)
    for r in doomed:
        resp = ctx.os.network.delete(f"/security-group-rules/{r['id']}")
        if resp.status_code != 404:
            checked(resp)
    with ctx.session() as s:
        ids.forget(s, ctx.project_id, [v["SecurityGroupRuleId"] for v in revoked])
    return {"Return": True, "RevokedSecurityGroupRules": revoked}


def rules_by_id(ctx: Any, group: groups.Group, rule_ids: list[str], egress: bool | None) -> list[dict]:
    """The group's Neutron rules with these ``sgr-`` ids (of that direction, when given)."""
    ids.require_well_formed(view.RULE_KIND, rule_ids)
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, rule_ids)
    by_os = {r["id"]: r for r in group.rules}
    out = []
    for rule_id in rule_ids:
        rule = by_os.get(known.get(rule_id, ""))
        if rule is None or (egress is not None and (rule["direction"] == "egress") != egress):
            raise EC2Error("InvalidSecurityGroupRuleId.NotFound",
                           f"The security group rule ID '{rule_id}' does not exist in group {group.group_id}")
        out.append(rule)
    return out


@handler("RevokeSecurityGroupIngress", not_found="InvalidGroup.NotFound",
         honours=(*_COMMON, "GroupName", "SecurityGroupRuleIds"))
def revoke_ingress(ctx: RequestContext, params: RevokeSecurityGroupIngressRequest) -> RevokeSecurityGroupIngressResult:
    """Remove ingress rules, by permission or by ``sgr-`` id; every one must exist (else nothing is removed)."""
    return _revoke(ctx, params, egress=False)  # type: ignore[return-value]


@handler("RevokeSecurityGroupEgress", not_found="InvalidGroup.NotFound",
         honours=(*_COMMON, "SecurityGroupRuleIds"))
def revoke_egress(ctx: RequestContext, params: RevokeSecurityGroupEgressRequest) -> RevokeSecurityGroupEgressResult:
    """Remove egress rules, by permission or by ``sgr-`` id; every one must exist (else nothing is removed)."""
    return _revoke(ctx, params, egress=True)  # type: ignore[return-value]
