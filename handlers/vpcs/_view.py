"""The EC2 view of a VPC (shared by the modules of the package)."""

from __future__ import annotations

from typing import Any

from handlers import _vpc


def view(account_id: str, vpc_id: str, data: dict, subnet_cidrs: list[str], is_default: bool,
         tags: list[Any], default_dhcp: str) -> dict | None:
    """The ``Vpc`` of a network, or None when it has no IPv4 range (not a VPC EC2 can show)."""
    entries = _vpc.cidr_entries(vpc_id, data, subnet_cidrs)
    if not entries:
        return None
    return {
        "VpcId": vpc_id, "OwnerId": account_id, "InstanceTenancy": "default", "State": "available",
        "CidrBlock": entries[0]["cidr"],
        "CidrBlockAssociationSet": [{"AssociationId": e["id"], "CidrBlock": e["cidr"],
                                     "CidrBlockState": {"State": "associated"}} for e in entries],
        "IsDefault": is_default, "DhcpOptionsId": data.get("dhcp") or default_dhcp, "Tags": tags,
    }
