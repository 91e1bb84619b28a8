"""EC2 id prefixes: the resource type each names and the error codes AWS uses for it."""

from __future__ import annotations

from dataclasses import dataclass

from ec2api_runtime.errors import EC2Error


@dataclass(frozen=True)
class Kind:
    prefix: str
    resource_type: str   # as DescribeTags and TagSpecifications name it
    not_found: str
    malformed: str


KINDS = {k.prefix: k for k in (
    Kind("i", "instance", "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"),
    Kind("r", "reservation", "InvalidReservationID.NotFound", "InvalidReservationID.Malformed"),
    Kind("ami", "image", "InvalidAMIID.NotFound", "InvalidAMIID.Malformed"),
    Kind("vol", "volume", "InvalidVolume.NotFound", "InvalidVolumeID.Malformed"),
    Kind("snap", "snapshot", "InvalidSnapshot.NotFound", "InvalidSnapshotID.Malformed"),
    Kind("sg", "security-group", "InvalidGroup.NotFound", "InvalidGroupId.Malformed"),
    Kind("vpc", "vpc", "InvalidVpcID.NotFound", "InvalidVpcID.Malformed"),
    Kind("subnet", "subnet", "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed"),
    Kind("eni", "network-interface", "InvalidNetworkInterfaceID.NotFound", "InvalidNetworkInterfaceID.Malformed"),
    Kind("eipalloc", "elastic-ip", "InvalidAllocationID.NotFound", "InvalidAllocationID.Malformed"),
    Kind("rtb", "route-table", "InvalidRouteTableID.NotFound", "InvalidRouteTableID.Malformed"),
    Kind("igw", "internet-gateway", "InvalidInternetGatewayID.NotFound", "InvalidInternetGatewayID.Malformed"),
    Kind("dopt", "dhcp-options", "InvalidDhcpOptionID.NotFound", "InvalidDhcpOptionsId.Malformed"),
    Kind("key", "key-pair", "InvalidKeyPair.NotFound", "InvalidKeyPair.Malformed"),
)}

RESOURCE_TYPES = {k.resource_type: k.prefix for k in KINDS.values()}


def kind_of(ec2_id: str) -> Kind | None:
    """The kind an id's prefix names, or None."""
    return KINDS.get(ec2_id.partition("-")[0])


def not_found(ec2_id: str) -> EC2Error:
    """``Invalid<Kind>ID.NotFound`` for an id that names nothing in the caller's project."""
    kind = kind_of(ec2_id)
    code = kind.not_found if kind else "InvalidID"
    return EC2Error(code, f"The ID '{ec2_id}' does not exist")


def malformed(ec2_id: str, expected: str | None = None) -> EC2Error:
    """``Invalid<Kind>ID.Malformed`` for an id that is not of its kind's form."""
    kind = KINDS.get(expected or "") or kind_of(ec2_id)
    code = kind.malformed if kind else "InvalidID"
    hint = f' (expecting "{kind.prefix}-...")' if kind else ""
    return EC2Error(code, f'Invalid id: "{ec2_id}"{hint}')
