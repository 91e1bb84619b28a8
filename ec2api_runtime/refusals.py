"""Operations deliberately refused, each with the reason: what this cloud lacks.

An operation without a handler answers the generic ``UnsupportedOperation``, which tells a user
nothing. The operations below have no OpenStack counterpart (IAM, spot requests, IPAM, capacity
reservations, VPN gateways, ...): they answer an EC2 error with the code AWS itself uses in that
situation (so that a tool reacts as it would on AWS: a ``.NotFound`` for an object that cannot exist
here, ``UnsupportedOperation`` for a setting this cloud cannot have) and a message saying what
this cloud lacks. The table is data: the runtime answers from it after the request has been
validated (and before DryRun, which would not have succeeded either), and ``ec2api coverage --list``
shows each entry as refused, with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from ec2api_runtime.errors import EC2Error
from generated.ec2 import OPERATIONS


@dataclass(frozen=True)
class Refusal:
    """The EC2 error an operation answers, and why."""

    code: str
    reason: str

    def error(self) -> EC2Error:
        return EC2Error(self.code, self.reason)


_NO_IAM = "This cloud has no IAM (OpenStack has no instance profiles)"

REFUSED: dict[str, Refusal] = {
    "AssociateIamInstanceProfile": Refusal(
        "InvalidParameterValue", f"{_NO_IAM}: there is no instance profile to associate with an instance."),
    "DisassociateIamInstanceProfile": Refusal(
        "InvalidAssociationID.NotFound", f"{_NO_IAM}: no instance profile association exists."),
    "ReplaceIamInstanceProfileAssociation": Refusal(
        "InvalidAssociationID.NotFound", f"{_NO_IAM}: no instance profile association exists."),
    "CancelSpotInstanceRequests": Refusal(
        "InvalidSpotInstanceRequestID.NotFound",
        "This cloud has no spot market (Nova has no spot instances): no spot instance request exists."),
    "GetIpamPoolAllocations": Refusal(
        "InvalidIpamPoolId.NotFound", "This cloud has no IPAM (Neutron has no IPAM pools): no IPAM pool exists."),
    "ModifyInstanceCapacityReservationAttributes": Refusal(
        "UnsupportedOperation",
        "This cloud has no capacity reservations (Nova has none): every instance launches with the "
        "preference open, which cannot be changed."),
    "ModifyVpcTenancy": Refusal(
        "UnsupportedOperation",
        "Every VPC on this cloud has the default tenancy (Nova has no dedicated tenancy): there is no "
        "tenancy to change."),
    "EnableVgwRoutePropagation": Refusal(
        "InvalidVpnGatewayID.NotFound",
        "This cloud has no virtual private gateways (Neutron has no VPN gateway to propagate routes from)."),
    "DisableVgwRoutePropagation": Refusal(
        "InvalidVpnGatewayID.NotFound",
        "This cloud has no virtual private gateways (Neutron has no VPN gateway to propagate routes from)."),
    "ModifyPrivateDnsNameOptions": Refusal(
        "UnsupportedOperation",
        "Instance host names on this cloud are IP names (ip-10-0-0-1) and have no DNS records to "
        "enable: the private DNS name options cannot be changed."),
    **{op: Refusal(
        "UnsupportedOperation",
        "A NAT gateway here is its VPC router's source NAT, which has one address: the router's "
        "external gateway (Neutron gives a router no secondary SNAT addresses). There is no "
        f"{what} address to {verb}.")
       for op, what, verb in (("AssociateNatGatewayAddress", "secondary public", "associate"),
                              ("DisassociateNatGatewayAddress", "secondary public", "disassociate"),
                              ("AssignPrivateNatGatewayAddress", "secondary private", "assign"),
                              ("UnassignPrivateNatGatewayAddress", "secondary private", "unassign"))},
}

for _name in REFUSED:
    if _name not in OPERATIONS:
        raise ValueError(f"refusals name an operation the EC2 model does not have: {_name}")
