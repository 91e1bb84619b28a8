"""EC2 ids (``i-0123456789abcdef0``) <-> OpenStack ids, per project, created lazily.

An EC2 id is ``<kind>-`` + 17 lower-case hex digits (random, as AWS issues them today). There is one
mapping per (project, kind, OpenStack id): objects made outside ec2api get theirs the first time a
Describe shows them. Lookups never cross projects: another project's id is simply unknown.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ec2api_runtime.db.models import Item, Tag
from ec2api_runtime.db.types import utcnow
from ec2api_runtime.errors import EC2Error

# Bound the size of one IN (...) list (SQLite's variable limit is 32,766; Oracle-style 1,000 keeps
# statements small everywhere). A Describe of 500 objects is one SELECT.
CHUNK = 1000
_ATTEMPTS = 5

# The project of ids that are the same for every project (AMI ids: AWS's image ids are global).
# Whether a caller may see such a resource is the backend's business (Glance), not the id layer's;
# each project may tag a shared id, and its tags stay its own (see tags._check_resources).
SHARED_SCOPE = "*"

_ID_RE = re.compile(r"([a-z]+(?:-[a-z]+)*)-([0-9a-f]{8}|[0-9a-f]{17})")
_KIND_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")


@dataclass(frozen=True)
class Kind:
    """What an id prefix names: AWS's resource type (DescribeTags) and its error codes."""

    resource_type: str
    not_found: str       # e.g. InvalidInstanceID.NotFound
    malformed: str       # e.g. InvalidInstanceID.Malformed
    noun: str            # for messages: "The instance ID 'i-...' does not exist"


def _k(resource_type: str, error: str, noun: str, malformed: str | None = None) -> Kind:
    """``error`` prefixes both codes (``<error>.NotFound``, ``<error>.Malformed``) unless
    ``malformed`` names the malformed-id code in full."""
    return Kind(resource_type, f"{error}.NotFound", malformed or f"{error}.Malformed", noun)


# AWS's resource-type names (DescribeTags' resource-type filter) and error codes per id prefix.
KINDS: dict[str, Kind] = {
    "i": _k("instance", "InvalidInstanceID", "instance ID"),
    "r": _k("reservation", "InvalidReservationID", "reservation ID"),
    "ami": _k("image", "InvalidAMIID", "image id"),
    "aki": _k("image", "InvalidAMIID", "image id"),
    "ari": _k("image", "InvalidAMIID", "image id"),
    "vol": _k("volume", "InvalidVolume", "volume", malformed="InvalidVolumeID.Malformed"),
    "snap": _k("snapshot", "InvalidSnapshot", "snapshot", malformed="InvalidSnapshotID.Malformed"),
    "sg": _k("security-group", "InvalidGroup", "security group", malformed="InvalidGroupId.Malformed"),
    "sgr": _k("security-group-rule", "InvalidSecurityGroupRuleId", "security group rule"),
    "vpc": _k("vpc", "InvalidVpcID", "vpc ID"),
    "subnet": _k("subnet", "InvalidSubnetID", "subnet ID"),
    "eni": _k("network-interface", "InvalidNetworkInterfaceID", "network interface"),
    "eipalloc": _k("elastic-ip", "InvalidAllocationID", "allocation ID"),
    "eipassoc": _k("elastic-ip-association", "InvalidAssociationID", "association ID"),
    "rtb": _k("route-table", "InvalidRouteTableID", "route table"),
    "rtbassoc": _k("route-table-association", "InvalidAssociationID", "association ID"),
    "igw": _k("internet-gateway", "InvalidInternetGatewayID", "internet gateway"),
    "eigw": _k("egress-only-internet-gateway", "InvalidGatewayID", "gateway"),
    "dopt": _k("dhcp-options", "InvalidDhcpOptionID", "dhcp options"),
    # AWS documents no ...Malformed code for key pair ids; a bad one is an InvalidParameterValue.
    "key": _k("key-pair", "InvalidKeyPair", "key pair", malformed="InvalidParameterValue"),
    # AWS's code for an unknown NAT gateway is NatGatewayNotFound itself (the waiters match it).
    "nat": Kind("natgateway", "NatGatewayNotFound", "InvalidNatGatewayID.Malformed", "NAT gateway"),
    "acl": _k("network-acl", "InvalidNetworkAclID", "network ACL"),
    "aclassoc": _k("network-acl-association", "InvalidAssociationID", "association ID"),
    "vpce": _k("vpc-endpoint", "InvalidVpcEndpointId", "VPC endpoint"),
    "pcx": _k("vpc-peering-connection", "InvalidVpcPeeringConnectionID", "VPC peering connection"),
    "cgw": _k("customer-gateway", "InvalidCustomerGatewayID", "customer gateway"),
    "vgw": _k("vpn-gateway", "InvalidVpnGatewayID", "VPN gateway"),
    "vpn": _k("vpn-connection", "InvalidVpnConnectionID", "VPN connection"),
    "lt": _k("launch-template", "InvalidLaunchTemplateId", "launch template"),
    "pg": _k("placement-group", "InvalidPlacementGroup", "placement group"),
    "sir": _k("spot-instances-request", "InvalidSpotInstanceRequestID", "spot instance request"),
}
# Reverse: AWS resource type -> the kinds that carry it (image: ami, aki, ari).
KINDS_BY_RESOURCE_TYPE: dict[str, list[str]] = {}
for _kind, _info in KINDS.items():
    KINDS_BY_RESOURCE_TYPE.setdefault(_info.resource_type, []).append(_kind)


def kind_info(kind: str) -> Kind:
    """The ``Kind`` of a prefix; unknown prefixes get generic ``InvalidID``-style codes."""
    return KINDS.get(kind) or Kind(kind, "InvalidID", "InvalidID", "ID")


def new_ec2_id(kind: str) -> str:
    """A fresh random id: ``kind`` + '-' + 17 lower-case hex digits (68 random bits)."""
    return f"{kind}-{secrets.randbits(68):017x}"


def is_well_formed(kind: str, ec2_id: str) -> bool:
    """Whether ``ec2_id`` is ``kind-`` followed by 8 or 17 lower-case hex digits (AWS accepts both)."""
    m = _ID_RE.fullmatch(ec2_id) if isinstance(ec2_id, str) else None
    return m is not None and m.group(1) == kind


def kind_of(ec2_id: str) -> str | None:
    """The prefix of a well-formed id of any kind (``"vol"`` for ``vol-0abc...``), else None."""
    m = _ID_RE.fullmatch(ec2_id) if isinstance(ec2_id, str) else None
    return m.group(1) if m else None


def malformed(kind: str, ec2_id: str) -> EC2Error:
    """``Invalid<Kind>ID.Malformed`` for an id that is not ``kind-<8 or 17 hex>``."""
    info = kind_info(kind)
    return EC2Error(info.malformed, f"Invalid id: \"{ec2_id}\" (expecting \"{kind}-...\")")


def not_found(kind: str, ec2_id: str) -> EC2Error:
    """``Invalid<Kind>ID.NotFound`` for a well-formed id unknown in the caller's project."""
    info = kind_info(kind)
    return EC2Error(info.not_found, f"The {info.noun} '{ec2_id}' does not exist")


def _check_kind(kind: str) -> None:
    if not _KIND_RE.fullmatch(kind or ""):
        raise ValueError(f"bad EC2 id kind {kind!r}")


def ec2_id(s: Session, project_id: str, kind: str, os_id: str) -> str:
    """The EC2 id of OpenStack object ``os_id`` of ``kind`` in the project, created when missing."""
    return ec2_ids(s, project_id, kind, [os_id])[os_id]


def ec2_ids(s: Session, project_id: str, kind: str, os_ids: Iterable[str]) -> dict[str, str]:
    """EC2 ids for many OpenStack ids of one kind: one SELECT, then one INSERT for the missing ones.

    Concurrent callers creating the same mapping end with one id: an insert that loses the race on
    the (project, kind, os_id) unique key is rolled back to its savepoint and the winner's row is
    read instead.
    """
    _check_kind(kind)
    wanted = sorted(set(os_ids))
    found = _select(s, project_id, kind, wanted)
    for _ in range(_ATTEMPTS):
        # Sorted, so that concurrent bulk inserts lock keys in the same order (no deadlocks).
        missing = [o for o in wanted if o not in found]
        if not missing:
            return found
        now = utcnow()
        rows: list[dict[str, Any]] = [{"ec2_id": new_ec2_id(kind), "project_id": project_id, "kind": kind, "os_id": o,
                 "created_at": now} for o in missing]
        try:
            with s.begin_nested():
                s.execute(insert(Item), rows)
        except IntegrityError:
            # Another worker created some of them (or, once in 2**68, a random id collided):
            # re-read and insert what is still missing.
            found.update(_select(s, project_id, kind, missing))
            continue
        found.update({r["os_id"]: r["ec2_id"] for r in rows})
    missing = [o for o in wanted if o not in found]
    if missing:
        raise RuntimeError(f"could not create EC2 ids for {kind} {missing[:3]}...")
    return found


def _select(s: Session, project_id: str, kind: str, os_ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(os_ids), CHUNK):
        chunk = os_ids[i:i + CHUNK]
        q = select(Item.os_id, Item.ec2_id).where(
            Item.project_id == project_id, Item.kind == kind, Item.os_id.in_(chunk))
        out.update({o: e for o, e in s.execute(q)})
    return out


def os_id(s: Session, project_id: str, ec2_id: str) -> str | None:
    """The OpenStack id behind ``ec2_id`` in the project; None when unknown there."""
    return os_ids(s, project_id, [ec2_id]).get(ec2_id)


def os_ids(s: Session, project_id: str, ec2_ids: Iterable[str]) -> dict[str, str]:
    """``{ec2_id: os_id}`` for the ids known in the project (unknown ones are left out)."""
    wanted = sorted(set(ec2_ids))
    out: dict[str, str] = {}
    for i in range(0, len(wanted), CHUNK):
        q = select(Item.ec2_id, Item.os_id).where(
            Item.project_id == project_id, Item.ec2_id.in_(wanted[i:i + CHUNK]))
        out.update({e: o for e, o in s.execute(q)})
    return out


def forget(s: Session, project_id: str, ec2_ids: Iterable[str]) -> None:
    """Delete the mappings (and their tags) of resources that are gone."""
    wanted = sorted(set(ec2_ids))
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i:i + CHUNK]
        # Tags first (the foreign key cascades too, but not on a SQLite opened without foreign_keys).
        s.execute(delete(Tag).where(Tag.project_id == project_id, Tag.resource_id.in_(chunk)))
        s.execute(delete(Item).where(Item.project_id == project_id, Item.ec2_id.in_(chunk)))


def repoint(s: Session, project_id: str, ec2_id: str, new_os_id: str) -> None:
    """Make ``ec2_id`` stand for another OpenStack object of its kind (an immutable object that was
    replaced by a new one, e.g. a Neutron security group rule), keeping its data and tags."""
    s.execute(update(Item).where(Item.project_id == project_id, Item.ec2_id == ec2_id).values(os_id=new_os_id))


def set_data(s: Session, project_id: str, ec2_id: str, data: dict[str, Any]) -> None:
    """Store ``data`` (JSON-serialisable) with an id of the project, replacing what was there."""
    s.execute(update(Item).where(Item.project_id == project_id, Item.ec2_id == ec2_id)
              .values(data=json.dumps(data, sort_keys=True)))


def get_data_many(s: Session, project_id: str, ec2_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{ec2_id: data}`` for the ids of the project that have data (one query per chunk)."""
    wanted = sorted(set(ec2_ids))
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(wanted), CHUNK):
        rows = s.execute(select(Item.ec2_id, Item.data).where(
            Item.project_id == project_id, Item.ec2_id.in_(wanted[i:i + CHUNK]), Item.data.is_not(None)))
        out.update({ec2_id: json.loads(data) for ec2_id, data in rows if data is not None})
    return out


def items_with_data(s: Session, project_id: str, kind: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{ec2_id: (os_id, data)}`` for the project's ids of ``kind`` that carry data (one query)."""
    rows = s.execute(select(Item.ec2_id, Item.os_id, Item.data).where(
        Item.project_id == project_id, Item.kind == kind, Item.data.is_not(None)))
    return {ec2_id: (os_id, json.loads(data)) for ec2_id, os_id, data in rows if data is not None}


def require_well_formed(kind: str, ec2_ids: Iterable[str]) -> None:
    """Raise ``Invalid<Kind>ID.Malformed`` for the first id that is not of ``kind``'s form."""
    for ec2_id in ec2_ids:
        if not is_well_formed(kind, ec2_id):
            raise malformed(kind, ec2_id)
