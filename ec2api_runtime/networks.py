"""The project's default VPC: which Neutron network stands for it, by a documented rule.

Rule: the default VPC is the project's oldest network (by ``created_at``, then id) that is neither
external nor shared. Its EC2 id (``vpc-...``) maps to that network. A project without one has no
default VPC (``default-vpc`` = ``none``).
"""

from __future__ import annotations

from typing import Any

from ec2api_runtime.db import ids


def default_network(ctx: Any) -> Any | None:
    """The Neutron network that is the project's default VPC, or None (one Neutron call)."""
    nets = [n for n in ctx.os.network.networks(project_id=ctx.project_id)
            if not n.is_router_external and not n.is_shared]
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
