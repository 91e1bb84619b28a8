"""Security groups on Neutron security groups, as the VPC contract maps them (shared by the
security group, instance and interface handlers).

A group's VPC is its item data's ``vpc_id``; without one it is the default VPC
(``ec2api_runtime.networks``). The name shown is the data's ``group_name`` if present, else the
Neutron name: the default group of a VPC other than the default one is the Neutron group
``default-<vpc-id>`` with data ``{"vpc_id": ..., "group_name": "default"}``; the project's Neutron
group ``default`` is the default VPC's. Groups are read as plain JSON (``GET /security-groups``,
which embeds each group's rules), by id with Neutron's repeated ``id=`` values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openstack import exceptions as sdk_exc

from ec2api_runtime import networks
from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from handlers import _bulk as bulk

KIND = "sg"
DEFAULT = "default"


@dataclass
class Group:
    """A Neutron security group with its EC2 id, VPC and EC2 name."""

    neutron: dict
    group_id: str
    vpc_id: str
    name: str
    data: dict = field(default_factory=dict)

    @property
    def os_id(self) -> str:
        return self.neutron["id"]

    @property
    def rules(self) -> list[dict]:
        return self.neutron.get("security_group_rules") or []

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT


class DefaultVpc:
    """The default VPC's id, looked up once per request and only when a group needs it."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx
        self._id: str | None = None
        self._known = False

    def get(self) -> str:
        if not self._known:
            self._id, self._known = networks.default_vpc_id(self._ctx), True
        return self._id or ""


def neutron_list(ctx: Any, path: str, key: str, field_name: str | None = None,
                 values: Iterable[str] | None = None, **query: Any) -> list[dict]:
    """A Neutron listing of the caller's project, or of the items whose ``field_name`` is one of
    ``values`` (repeated query values, chunked; none asked for: no call)."""
    bulk.prepare(ctx, "network")
    params = {"project_id": ctx.project_id, **query}
    if field_name is None or values is None:
        return bulk.get_json(ctx, "network", path, params)[key]
    wanted = sorted(set(values))
    out: list[dict] = []
    for i in range(0, len(wanted), bulk.ID_CHUNK):
        out.extend(bulk.get_json(ctx, "network", path, {**params, field_name: wanted[i:i + bulk.ID_CHUNK]})[key])
    return out


def neutron_groups(ctx: Any, os_ids: Iterable[str] | None = None, names: Iterable[str] | None = None) -> list[dict]:
    """The project's Neutron groups (rules embedded), or those with the given ids or names only."""
    if os_ids is not None:
        return neutron_list(ctx, "/security-groups", "security_groups", "id", os_ids)
    if names is not None:
        return neutron_list(ctx, "/security-groups", "security_groups", "name", names)
    return neutron_list(ctx, "/security-groups", "security_groups")


def wrap(ctx: Any, found: list[dict], default_vpc: DefaultVpc | None = None) -> list[Group]:
    """``Group`` views of Neutron groups: their EC2 ids and data in bulk (one transaction)."""
    if not found:
        return []
    with ctx.session() as s:
        id_of = ids.ec2_ids(s, ctx.project_id, KIND, [g["id"] for g in found])
        data_of = ids.get_data_many(s, ctx.project_id, id_of.values())
    default_vpc = default_vpc or DefaultVpc(ctx)
    out = []
    for g in found:
        gid = id_of[g["id"]]
        data = data_of.get(gid) or {}
        out.append(Group(g, gid, data.get("vpc_id") or default_vpc.get(), data.get("group_name") or g.get("name") or "",
                         data))
    return out


def by_ids(ctx: Any, group_ids: list[str], default_vpc: DefaultVpc | None = None) -> dict[str, Group]:
    """``{sg-...: Group}`` of those ids that are the caller's (unknown ones left out)."""
    ids.require_well_formed(KIND, group_ids)
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, group_ids)
    groups = wrap(ctx, neutron_groups(ctx, os_ids=set(known.values())), default_vpc)
    return {g.group_id: g for g in groups if g.group_id in known}


def neutron_name(name: str, vpc_id: str, default_vpc_id: str) -> str:
    """The Neutron name a group of EC2 name ``name`` in ``vpc_id`` has (the contract's rule)."""
    if name == DEFAULT and vpc_id != default_vpc_id:
        return f"{DEFAULT}-{vpc_id}"
    return name


def by_names(ctx: Any, names: list[str], vpc_id: str | None = None,
             default_vpc: DefaultVpc | None = None) -> dict[str, Group]:
    """``{name: Group}`` of the groups so named in ``vpc_id`` (default: the default VPC)."""
    default_vpc = default_vpc or DefaultVpc(ctx)
    vpc = vpc_id or default_vpc.get()
    wanted = {neutron_name(n, vpc, default_vpc.get()): n for n in names}
    groups = wrap(ctx, neutron_groups(ctx, names=list(wanted)), default_vpc)
    return {g.name: g for g in groups if g.vpc_id == vpc and g.name in names}


def not_found(group: str, vpc_id: str | None = None) -> EC2Error:
    if ids.is_well_formed(KIND, group) or vpc_id is None:
        return EC2Error("InvalidGroup.NotFound", f"The security group '{group}' does not exist")
    return EC2Error("InvalidGroup.NotFound", f"The security group '{group}' does not exist in VPC '{vpc_id}'")


def one(ctx: Any, group_id: str | None = None, group_name: str | None = None,
        default_vpc: DefaultVpc | None = None) -> Group:
    """The caller's group by id, or by name in the default VPC (as AWS resolves ``GroupName``)."""
    if group_id:
        found = by_ids(ctx, [group_id], default_vpc).get(group_id)
        if found is None:
            raise not_found(group_id)
        return found
    if not group_name:
        raise EC2Error("MissingParameter", "The request must contain the parameter groupName or groupId")
    default_vpc = default_vpc or DefaultVpc(ctx)
    named = by_names(ctx, [group_name], None, default_vpc).get(group_name)
    if named is None:
        raise not_found(group_name, default_vpc.get())
    return named


def vpc_network(ctx: Any, vpc_id: str | None, default_vpc: DefaultVpc | None = None) -> str:
    """The EC2 id of the VPC ``vpc_id`` names (checked: a Neutron network of the caller), or the
    default VPC's when it is None (``VPCIdNotSpecified`` when there is none)."""
    default_vpc = default_vpc or DefaultVpc(ctx)
    if not vpc_id:
        found = default_vpc.get()
        if not found:
            raise EC2Error("VPCIdNotSpecified", "No default VPC for this user")
        return found
    if not ids.is_well_formed("vpc", vpc_id):
        raise ids.malformed("vpc", vpc_id)
    if vpc_id == default_vpc.get():
        return vpc_id
    with ctx.session() as s:
        network_id = ids.os_id(s, ctx.project_id, vpc_id)
    try:
        network = bulk.get_json(ctx, "network", f"/networks/{network_id}")["network"] if network_id else None
    except sdk_exc.NotFoundException:
        network = None
    if network is None or network.get("project_id") != ctx.project_id:
        raise ids.not_found("vpc", vpc_id)
    return vpc_id


def for_launch(ctx: Any, group_ids: list[str], group_names: list[str], network_id: str) -> list[str]:
    """Neutron group ids for RunInstances: ids as given, names resolved in the VPC of the launch's
    network (``network_id``); without either, the VPC's default group unless it is the default VPC
    (Nova then picks the project's ``default`` group itself)."""
    default_vpc = DefaultVpc(ctx)
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", network_id)
    out: list[str] = []
    if group_ids:
        found = by_ids(ctx, group_ids, default_vpc)
        for gid in group_ids:
            if gid not in found:
                raise not_found(gid)
            if found[gid].vpc_id != vpc_id:
                raise EC2Error("InvalidParameter", f"Security group {gid} and subnet belong to different networks.")
            out.append(found[gid].os_id)
    if group_names:
        named = by_names(ctx, group_names, vpc_id, default_vpc)
        for name in group_names:
            if name not in named:
                raise not_found(name, vpc_id)
            out.append(named[name].os_id)
    if not out and vpc_id != default_vpc.get():
        default = by_names(ctx, [DEFAULT], vpc_id, default_vpc).get(DEFAULT)
        if default is not None:
            out.append(default.os_id)
    return list(dict.fromkeys(out))


def shown_names(s: Any, project_id: str, names: dict[str, str], group_ids: dict[str, str]) -> dict[str, str]:
    """``{neutron id: EC2 name}`` from ``{neutron id: Neutron name}`` and ``{neutron id: sg-...}``: a
    non-default VPC's default group (Neutron ``default-<vpc-id>``) is named ``default`` (its data)."""
    data = ids.get_data_many(s, project_id, group_ids.values())
    return {os_id: (data.get(group_ids.get(os_id, "")) or {}).get("group_name") or name for os_id, name in names.items()}
