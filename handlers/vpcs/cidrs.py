"""AssociateVpcCidrBlock / DisassociateVpcCidrBlock: secondary IPv4 ranges of a VPC.

A VPC's ranges are ec2api's (item data): Neutron networks have none. A secondary range is where
CreateSubnet may then place subnets; removing one that a subnet lies in is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from handlers import _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AssociateVpcCidrBlockRequest,
        AssociateVpcCidrBlockResult,
        DisassociateVpcCidrBlockRequest,
        DisassociateVpcCidrBlockResult,
    )

MAX_CIDRS = 5   # AWS's default quota of IPv4 ranges per VPC


@handler("AssociateVpcCidrBlock", not_found="InvalidVpcID.NotFound", honours=("VpcId", "CidrBlock"),
         partly={"AmazonProvidedIpv6CidrBlock": (False,)})
def associate_vpc_cidr_block(ctx: RequestContext, params: AssociateVpcCidrBlockRequest) -> AssociateVpcCidrBlockResult:
    """Add a secondary IPv4 range (/16 to /28, overlapping none of the VPC's)."""
    if "CidrBlock" not in params:
        raise missing_parameter("CidrBlock")
    cidr = _vpc.parse_cidr(params["CidrBlock"])
    _vpc.check_vpc_size(cidr)
    vpc_id = params["VpcId"]
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    entries = _vpc.vpc_cidrs(ctx, vpc_id, net, data)
    for e in entries:
        if _vpc.overlaps(e["cidr"], str(cidr)):
            raise EC2Error("InvalidVpc.Range",
                           f"The CIDR '{cidr}' overlaps with the range '{e['cidr']}' of {vpc_id}.")
    if len(entries) >= MAX_CIDRS:
        raise EC2Error("CidrLimitExceeded", f"This network '{vpc_id}' has met its maximum number of allowed CIDRs: {MAX_CIDRS}")
    entry = {"id": ids.new_ec2_id(_vpc.ASSOC_KIND), "cidr": str(cidr)}
    _vpc.update_data(ctx, vpc_id, cidrs=[*entries, entry])
    return {"VpcId": vpc_id, "CidrBlockAssociation": {"AssociationId": entry["id"], "CidrBlock": entry["cidr"],
                                                     "CidrBlockState": {"State": "associated"}}}


@handler("DisassociateVpcCidrBlock", honours=("AssociationId",))
def disassociate_vpc_cidr_block(ctx: RequestContext,
                                params: DisassociateVpcCidrBlockRequest) -> DisassociateVpcCidrBlockResult:
    """Remove a secondary range that no subnet lies in (the primary range stays, as on AWS)."""
    assoc = params["AssociationId"]
    if not ids.is_well_formed(_vpc.ASSOC_KIND, assoc):
        raise EC2Error("InvalidVpcCidrBlockAssociationID.Malformed", f"Invalid id: \"{assoc}\"")
    with ctx.session() as s:
        vpcs = ids.items_with_data(s, ctx.project_id, "vpc")
    owner = next((vpc_id for vpc_id, (_, d) in vpcs.items() if any(e["id"] == assoc for e in d.get("cidrs") or [])),
                 None)
    if owner is None:
        raise EC2Error("InvalidVpcCidrBlockAssociationID.NotFound",
                       f"The vpc CIDR block association ID '{assoc}' does not exist")
    net, data = _vpc.resolve_vpc(ctx, owner)
    entries = list(data["cidrs"])
    entry = next(e for e in entries if e["id"] == assoc)
    if entries[0]["id"] == assoc:
        raise EC2Error("OperationNotPermitted",
                       f"The vpc CIDR block with association ID {assoc} may not be disassociated. "
                       "It is the primary IPv4 CIDR block of the VPC")
    for sn in _vpc.vpc_subnets(ctx, [net["id"]]):
        if sn.get("ip_version") == 4 and _vpc.overlaps(sn["cidr"], entry["cidr"]):
            raise EC2Error("InvalidCidrBlock.InUse",
                           f"The vpc CIDR block {entry['cidr']} is in use by a subnet and cannot be disassociated.")
    _vpc.update_data(ctx, owner, cidrs=[e for e in entries if e["id"] != assoc])
    return {"VpcId": owner, "CidrBlockAssociation": {"AssociationId": assoc, "CidrBlock": entry["cidr"],
                                                     "CidrBlockState": {"State": "disassociated"}}}
