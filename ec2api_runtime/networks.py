"""The project's default VPC: which Neutron network stands for it, by a documented rule.

Rule: the default VPC is the project's oldest network (by ``created_at``, then id) that is neither
external nor shared, nor made by CreateVpc (Neutron tag ``ec2api-vpc``). Its EC2 id (``vpc-...``) maps to that network. A project without one has no
default VPC (``default-vpc`` = ``none``).
"""

from __future__ import annotations

from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.openstack import checked, versioned_endpoint

# The Neutron tag CreateVpc puts on its networks: a VPC it made is never the default VPC.
EC2API_VPC_TAG = "ec2api-vpc"


def default_network(ctx: Any) -> Any | None:
    """The Neutron network that is the project's default VPC, or None (one Neutron call)."""
    nets = [n for n in ctx.os.network.networks(project_id=ctx.project_id)
            if not n.is_router_external and not n.is_shared and EC2API_VPC_TAG not in (n.tags or [])]
    if not nets:
        return None
    return min(nets, key=lambda n: (n.created_at or "", n.id))


def default_vpc_id(ctx: Any) -> str | None:
    """The EC2 id of the default VPC, or None: by ``default_network_id`` (the recorded network, one
    GET by id), so that DescribeSecurityGroups by id does not list the project's networks."""
    net_id = default_network_id(ctx)
    if net_id is None:
        return None
    with ctx.session() as s:
        return ids.ec2_id(s, ctx.project_id, "vpc", net_id)



def default_network_id(ctx: Any) -> str | None:
    """The default VPC's network id by the same rule, without listing the project's networks when
    it is known: the rule's answer changes only when that network is deleted, so it is recorded in
    the VPC's item data (``"default": true``) and checked with one GET by id."""
    with ctx.session() as s:
        marked = {os_id: vpc for vpc, (os_id, d) in ids.items_with_data(s, ctx.project_id, "vpc").items()
                  if d.get("default")}
    url = versioned_endpoint(ctx.os, "network").rstrip("/") + "/networks/"
    for net_id in sorted(marked):
        resp = ctx.os.session.get(url + net_id, raise_exc=False)
        if resp.status_code == 404:
            continue
        net = checked(resp).json()["network"]
        if not net.get("router:external") and not net.get("shared") and EC2API_VPC_TAG not in (net.get("tags") or []):
            return net_id
    found = default_network(ctx)
    with ctx.session() as s:
        for vpc in marked.values():   # gone: no longer the default
            data = ids.get_data_many(s, ctx.project_id, [vpc]).get(vpc, {})
            data.pop("default", None)
            ids.set_data(s, ctx.project_id, vpc, data)
        if found is not None:
            vpc = ids.ec2_id(s, ctx.project_id, "vpc", found.id)
            data = ids.get_data_many(s, ctx.project_id, [vpc]).get(vpc, {})
            ids.set_data(s, ctx.project_id, vpc, {**data, "default": True})
    return found.id if found is not None else None
