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
    """The EC2 id of the default VPC, or None."""
    net = default_network(ctx)
    if net is None:
        return None
    with ctx.session() as s:
        return ids.ec2_id(s, ctx.project_id, "vpc", net.id)


def default_network_id(ctx: Any) -> str | None:
    """The default VPC's network id by the same rule, in one call whose answer is one network
    (Neutron sorts and limits), so that a Describe by id does not list the project's networks."""
    url = versioned_endpoint(ctx.os, "network").rstrip("/") + "/networks"
    resp = ctx.os.session.get(url, raise_exc=False, params={
        "project_id": ctx.project_id, "router:external": "false", "shared": "false",
        "not-tags": EC2API_VPC_TAG, "sort_key": ["created_at", "id"], "sort_dir": ["asc", "asc"],
        "limit": 1, "fields": ["id"]})
    found = checked(resp).json()["networks"]
    return found[0]["id"] if found else None
