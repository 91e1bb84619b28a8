"""AssociateSubnetCidrBlock / DisassociateSubnetCidrBlock: a subnet's IPv6 range.

On Neutron a subnet's IPv6 range would be an IPv6 subnet on the VPC's network (attached to the VPC
router), inside the VPC's IPv6 range. No VPC here has an IPv6 range: CreateVpc and
AssociateVpcCidrBlock refuse ``AmazonProvidedIpv6CidrBlock`` (docs/networking.md). So every
association is refused with the reason, after the subnet and the range have been checked, and no
association exists to remove.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from handlers import _bulk as bulk
from handlers import _subnet

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AssociateSubnetCidrBlockRequest,
        AssociateSubnetCidrBlockResult,
        DisassociateSubnetCidrBlockRequest,
        DisassociateSubnetCidrBlockResult,
    )

ASSOC_KIND = "subnet-cidr-assoc"


def _ipv6_range(value: str) -> ipaddress.IPv6Network:
    """A /64 IPv6 range, as AWS requires of a subnet, else InvalidParameterValue / InvalidSubnet.Range."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        net = None
    if not isinstance(net, ipaddress.IPv6Network):
        raise EC2Error("InvalidParameterValue", f"Value ({value}) for parameter ipv6CidrBlock is invalid. "
                       "This is not a valid IPv6 CIDR block.")
    if net.prefixlen != 64:
        raise EC2Error("InvalidSubnet.Range", f"The IPv6 CIDR '{value}' is invalid: a subnet's IPv6 range is a /64.")
    return net


@handler("AssociateSubnetCidrBlock", not_found="InvalidSubnetID.NotFound", honours=("SubnetId", "Ipv6CidrBlock"))
def associate_subnet_cidr_block(ctx: RequestContext,
                                params: AssociateSubnetCidrBlockRequest) -> AssociateSubnetCidrBlockResult:
    """Refused with the reason: the subnet's VPC has no IPv6 range to take a /64 from."""
    subnet_id = params["SubnetId"]
    if not params.get("Ipv6CidrBlock"):
        raise missing_parameter("Ipv6CidrBlock")
    cidr = _ipv6_range(params["Ipv6CidrBlock"])
    subnet = _subnet.caller_subnet(ctx, subnet_id)
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", subnet["network_id"])
    pools = bulk.get_json(ctx, "network", "/subnetpools", {"ip_version": "6", "fields": ["id"]})["subnetpools"]
    why = ("this cloud has no IPv6 subnet pool to give VPCs a range from" if not pools else
           "VPCs here are given no IPv6 range (AmazonProvidedIpv6CidrBlock is refused)")
    raise EC2Error("InvalidSubnet.Range", f"The IPv6 CIDR '{cidr}' is not within an IPv6 range of {vpc_id}: "
                   f"the VPC has none ({why}).")


@handler("DisassociateSubnetCidrBlock", honours=("AssociationId",))
def disassociate_subnet_cidr_block(ctx: RequestContext,
                                   params: DisassociateSubnetCidrBlockRequest) -> DisassociateSubnetCidrBlockResult:
    """No subnet here has an IPv6 range, so no association id names one."""
    assoc = params["AssociationId"]
    if not ids.is_well_formed(ASSOC_KIND, assoc):
        raise EC2Error("InvalidSubnetCidrBlockAssociationID.Malformed", f"Invalid id: \"{assoc}\"")
    raise EC2Error("InvalidSubnetCidrBlockAssociationID.NotFound",
                   f"The subnet CIDR block association ID '{assoc}' does not exist")
