"""Subnets on Neutron IPv4 subnets of the VPC's network, attached to the VPC router.

CreateSubnet, DeleteSubnet, DescribeSubnets, ModifySubnetAttribute, CreateDefaultSubnet. Neutron
subnets have no availability zone: the zone is ec2api's record (a subnet made elsewhere is in the
first zone). AvailableIpAddressCount is what Neutron's IP availability counts, computed from the
subnet's allocation pools and the ports on its network (readable by the network's owner; Neutron's
``network-ip-availabilities`` is admin-only by default policy). IPv6 subnets are not shown.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.honours import ANY
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _bulk as bulk
from handlers import _nat, _routes, _subnet, _vpc
from handlers._zones import zone_id, zone_names

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateDefaultSubnetRequest,
        CreateDefaultSubnetResult,
        CreateSubnetRequest,
        CreateSubnetResult,
        DeleteSubnetRequest,
        DescribeSubnetsRequest,
        DescribeSubnetsResult,
        ModifySubnetAttributeRequest,
        Subnet,
    )

KIND = _subnet.KIND
# Ports Neutron itself puts on a subnet: they do not keep a subnet from being deleted.
_INFRA_OWNERS = {_vpc.ROUTER_INTERFACE, _subnet.DHCP_OWNER}


def _view(ctx: Any, subnet_id: str, sub: dict, vpc_id: str, data: dict, zones: list[str], default_net: bool,
          ports: list[dict], subnet_tags: list) -> dict:
    zone = data.get("az") or (zones[0] if zones else "")
    return {
        "SubnetId": subnet_id, "VpcId": vpc_id, "CidrBlock": sub["cidr"], "State": "available",
        "SubnetArn": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:subnet/{subnet_id}",
        "OwnerId": ctx.account_id, "AvailabilityZone": zone,
        "AvailabilityZoneId": zone_id(ctx.region, zones.index(zone)) if zone in zones else "",
        "AvailableIpAddressCount": _subnet.available_count(sub, ports),
        # A subnet of the default VPC that ec2api did not make is that VPC's subnet in its zone.
        "DefaultForAz": bool(data["default_for_az"]) if "default_for_az" in data else default_net,
        "MapPublicIpOnLaunch": bool(data.get("map_public_ip", False)),
        "AssignIpv6AddressOnCreation": False, "Ipv6CidrBlockAssociationSet": [], "Ipv6Native": False,
        "EnableDns64": False, "MapCustomerOwnedIpOnLaunch": False,
        "PrivateDnsNameOptionsOnLaunch": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                          "EnableResourceNameDnsAAAARecord": False},
        "Tags": subnet_tags,
    }


def _subnets_by_id(ctx: Any, wanted: list[str]) -> list[dict]:
    with ctx.session() as s:
        known = sorted(ids.os_ids(s, ctx.project_id, wanted).values())
    found: list[dict] = []
    for i in range(0, len(known), bulk.ID_CHUNK):
        found.extend(bulk.get_json(ctx, "network", "/subnets", {"id": known[i:i + bulk.ID_CHUNK]})["subnets"])
    return [sn for sn in found if sn.get("project_id") == ctx.project_id]


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    requested = wanted["SubnetIds"]
    bulk.prepare(ctx, "network")
    subs = _subnets_by_id(ctx, requested) if requested else _vpc.vpc_subnets(ctx, None)
    subs = [sn for sn in subs if sn.get("ip_version") == 4]
    if not subs:
        return []
    net_ids = sorted({sn["network_id"] for sn in subs})
    ports = _vpc.ports_on(ctx, net_ids if requested else None)
    default_net = _vpc.default_network_id(ctx)
    zones = zone_names(ctx)
    return views(ctx, subs, ports, default_net, zones)


def views(ctx: Any, subs: list[dict], ports: list[dict], default_net: str | None, zones: list[str]) -> list[dict]:
    ports_of: dict[str, list[dict]] = {}
    for p in ports:
        ports_of.setdefault(p.get("network_id") or "", []).append(p)
    with ctx.session() as s:
        sub_ids = ids.ec2_ids(s, ctx.project_id, KIND, [sn["id"] for sn in subs])
        vpc_ids = ids.ec2_ids(s, ctx.project_id, "vpc", {sn["network_id"] for sn in subs})
        data_of = ids.get_data_many(s, ctx.project_id, sub_ids.values())
        tags_of = tags.tags_for(s, ctx.project_id, sub_ids.values())
    return [_view(ctx, sub_ids[sn["id"]], sn, vpc_ids[sn["network_id"]], data_of.get(sub_ids[sn["id"]], {}), zones,
                  sn["network_id"] == default_net, ports_of.get(sn["network_id"], []),
                  tags_of.get(sub_ids[sn["id"]], [])) for sn in subs]


DESCRIBE = describe.Describe(
    result_key="Subnets",
    fetch=_fetch,
    sort_key=lambda i: i["SubnetId"],
    requested=(describe.Requested("SubnetIds", lambda i: i["SubnetId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),),
    filters={
        "availability-zone": lambda i: i["AvailabilityZone"],
        "availabilityZone": lambda i: i["AvailabilityZone"],          # the spelling older tools use
        "availability-zone-id": lambda i: i["AvailabilityZoneId"],
        "available-ip-address-count": lambda i: i["AvailableIpAddressCount"],
        "availableIpAddressCount": lambda i: i["AvailableIpAddressCount"],
        "cidr-block": lambda i: i["CidrBlock"],
        "cidrBlock": lambda i: i["CidrBlock"],
        "cidr": lambda i: i["CidrBlock"],
        "customer-owned-ipv4-pool": lambda i: None,
        "default-for-az": lambda i: i["DefaultForAz"],
        "defaultForAz": lambda i: i["DefaultForAz"],
        "enable-dns64": lambda i: i["EnableDns64"],
        "enable-lni-at-device-index": lambda i: None,
        "ipv6-cidr-block-association.ipv6-cidr-block": lambda i: [],
        "ipv6-cidr-block-association.association-id": lambda i: [],
        "ipv6-cidr-block-association.state": lambda i: [],
        "ipv6-native": lambda i: i["Ipv6Native"],
        "map-customer-owned-ip-on-launch": lambda i: i["MapCustomerOwnedIpOnLaunch"],
        "map-public-ip-on-launch": lambda i: i["MapPublicIpOnLaunch"],
        "outpost-arn": lambda i: None,
        "owner-id": lambda i: i["OwnerId"],
        "private-dns-name-options-on-launch.hostname-type": lambda i: i["PrivateDnsNameOptionsOnLaunch"]["HostnameType"],
        "private-dns-name-options-on-launch.enable-resource-name-dns-a-record":
            lambda i: i["PrivateDnsNameOptionsOnLaunch"]["EnableResourceNameDnsARecord"],
        "private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record":
            lambda i: i["PrivateDnsNameOptionsOnLaunch"]["EnableResourceNameDnsAAAARecord"],
        "state": lambda i: i["State"],
        "subnet-arn": lambda i: i["SubnetArn"],
        "subnet-id": lambda i: i["SubnetId"],
        "subnetId": lambda i: i["SubnetId"],
        "vpc-id": lambda i: i["VpcId"],
        "vpcId": lambda i: i["VpcId"],
    },
)


@handler("DescribeSubnets", not_found="InvalidSubnetID.NotFound",
         honours=("SubnetIds", "Filters", "MaxResults", "NextToken"))
def describe_subnets(ctx: RequestContext, params: DescribeSubnetsRequest) -> DescribeSubnetsResult:
    """The caller's IPv4 subnets, by id and filter (a constant number of calls)."""
    return describe.run(ctx, params, DESCRIBE)


def _zone(ctx: Any, params: CreateSubnetRequest | CreateDefaultSubnetRequest) -> tuple[str, list[str]]:
    """The zone asked for by name or id (the first zone when neither), checked against Nova's."""
    zones = zone_names(ctx)
    name, zid = params.get("AvailabilityZone"), params.get("AvailabilityZoneId")
    if name and zid:
        raise EC2Error("InvalidParameterCombination",
                       "Only one of AvailabilityZone and AvailabilityZoneId may be given.")
    if zid:
        by_id = {zone_id(ctx.region, i): z for i, z in enumerate(zones)}
        if zid not in by_id:
            raise EC2Error("InvalidParameterValue", f"Value ({zid}) for parameter availabilityZoneId is invalid.")
        return by_id[zid], zones
    if name and name not in zones:
        raise EC2Error("InvalidParameterValue",
                       f"Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only "
                       f"be created in the following availability zones: {', '.join(zones)}.")
    return name or zones[0], zones


def _check_range(cidr: ipaddress.IPv4Network, vpc_cidrs: list[str], existing: list[dict]) -> None:
    if not 16 <= cidr.prefixlen <= 28 or not any(cidr.subnet_of(ipaddress.IPv4Network(c)) for c in vpc_cidrs):
        raise EC2Error("InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")
    for sn in existing:
        if sn.get("ip_version") == 4 and _vpc.overlaps(sn["cidr"], str(cidr)):
            raise EC2Error("InvalidSubnet.Conflict", f"The CIDR '{cidr}' conflicts with another subnet")


def _result(ctx: Any, sub: dict, default_net: bool, zones: list[str]) -> Subnet:
    item: Any = views(ctx, [sub], [], "" if not default_net else sub["network_id"], zones)[0]
    drop_empty_tags([item])
    return item


@handler("CreateSubnet", not_found="InvalidVpcID.NotFound",
         honours=("VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "TagSpecifications"),
         partly={"Ipv6Native": (False,)})   # an IPv4 subnet is what every subnet here is
def create_subnet(ctx: RequestContext, params: CreateSubnetRequest) -> CreateSubnetResult:
    """An IPv4 subnet inside the VPC's ranges, attached to the VPC router."""
    if "CidrBlock" not in params:
        raise missing_parameter("CidrBlock")
    cidr = _vpc.parse_cidr(params["CidrBlock"])
    new_tags = tags_from_specs(params.get("TagSpecifications"), "subnet")
    vpc_id = params["VpcId"]
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    existing = _vpc.vpc_subnets(ctx, [net["id"]])
    entries = _vpc.cidr_entries(vpc_id, data, [sn["cidr"] for sn in existing])
    _check_range(cidr, [e["cidr"] for e in entries], existing)
    zone, zones = _zone(ctx, params)
    router = _vpc.router_of(ctx, net, data)
    if router is None:
        raise EC2Error("InvalidVpcID.NotFound", f"The vpc '{vpc_id}' has no router to attach a subnet to.")
    _, sub, _ = _subnet.build_subnet(ctx, vpc_id, net["id"], data, str(cidr), zone, new_tags,
                                     router_id=router, dns=data.get("dns"))
    return {"Subnet": _result(ctx, sub, False, zones)}


@handler("DeleteSubnet", not_found="InvalidSubnetID.NotFound", honours=("SubnetId",))
def delete_subnet(ctx: RequestContext, params: DeleteSubnetRequest) -> None:
    """Delete a subnet no instance or interface uses (DependencyViolation otherwise)."""
    subnet_id = params["SubnetId"]
    ids.require_well_formed(KIND, [subnet_id])
    found = _subnets_by_id(ctx, [subnet_id])
    if not found:
        raise ids.not_found(KIND, subnet_id)
    sub = found[0]
    _nat.refuse_if_live(ctx, subnet_id=subnet_id)
    ports = bulk.get_json(ctx, "network", "/ports", {"fixed_ips": f"subnet_id={sub['id']}",
                                                     "fields": ["device_owner"]})["ports"]
    if any(p.get("device_owner") not in _INFRA_OWNERS for p in ports):
        raise EC2Error("DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", sub["network_id"])
        vpc_data = ids.get_data_many(s, ctx.project_id, [vpc_id]).get(vpc_id, {})
    router = _vpc.router_of(ctx, {"id": sub["network_id"]}, vpc_data)
    if router:   # routes via interfaces that were in the subnet (gone: it has none left) reach nothing
        _routes.drop_routes_into(ctx, router, sub["cidr"])
    _subnet.remove_subnet(ctx, sub["id"], router)
    with ctx.session() as s:
        acl_assoc = ids.ec2_ids(s, ctx.project_id, "aclassoc", [sub["id"]])
        ids.forget(s, ctx.project_id, [subnet_id, *acl_assoc.values()])
        _subnet.forget_associations(s, ctx.project_id, subnet_id)


@handler("ModifySubnetAttribute", not_found="InvalidSubnetID.NotFound", honours=("SubnetId",),
         # MapPublicIpOnLaunch: RunInstances gives the instance a floating IP (handlers/_launch_interfaces.py).
         partly={"MapPublicIpOnLaunch": {"Value": ANY}, "AssignIpv6AddressOnCreation": {"Value": (False,)},
                 "EnableDns64": {"Value": (False,)}, "MapCustomerOwnedIpOnLaunch": {"Value": (False,)},
                 "PrivateDnsHostnameTypeOnLaunch": ("ip-name",),
                 "EnableResourceNameDnsARecordOnLaunch": {"Value": (False,)},
                 "EnableResourceNameDnsAAAARecordOnLaunch": {"Value": (False,)}})
def modify_subnet_attribute(ctx: RequestContext, params: ModifySubnetAttributeRequest) -> None:
    """MapPublicIpOnLaunch (kept in the subnet's data); of the others, only the values every subnet
    here has are accepted (each then changes nothing)."""
    subnet_id = params["SubnetId"]
    ids.require_well_formed(KIND, [subnet_id])
    if not _subnets_by_id(ctx, [subnet_id]):
        raise ids.not_found(KIND, subnet_id)
    if "MapPublicIpOnLaunch" in params:
        _vpc.update_data(ctx, subnet_id, map_public_ip=bool(params["MapPublicIpOnLaunch"].get("Value")))


@handler("CreateDefaultSubnet", honours=("AvailabilityZone", "AvailabilityZoneId"),
         partly={"Ipv6Native": (False,)})
def create_default_subnet(ctx: RequestContext, params: CreateDefaultSubnetRequest) -> CreateDefaultSubnetResult:
    """A /20 default subnet of the default VPC in a zone that has none."""
    net_id = _vpc.default_network_id(ctx)
    if net_id is None:
        raise EC2Error("DefaultVpcDoesNotExist", "No default VPC exists for this account in this region.")
    zone, zones = _zone(ctx, params)
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", net_id)
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    existing = [sn for sn in _vpc.vpc_subnets(ctx, [net_id]) if sn.get("ip_version") == 4]
    for item in views(ctx, existing, [], net_id, zones):
        if item["AvailabilityZone"] == zone and item["DefaultForAz"]:
            raise EC2Error("DefaultSubnetAlreadyExistsInAvailabilityZone",
                           f"{item['SubnetId']} is already the default subnet in {zone}.")
    entries = _vpc.cidr_entries(vpc_id, data, [sn["cidr"] for sn in existing])
    free = _free_range(entries[0]["cidr"] if entries else "", existing)
    if free is None:
        raise EC2Error("InsufficientFreeAddressesInSubnet", f"The default VPC {vpc_id} has no free /20 range.")
    router = _vpc.router_of(ctx, net, data)
    _, sub, _ = _subnet.build_subnet(ctx, vpc_id, net_id, data, free, zone, [], default_for_az=True,
                                     router_id=router, dns=data.get("dns"))
    return {"Subnet": _result(ctx, sub, True, zones)}


def _free_range(vpc_cidr: str, existing: list[dict]) -> str | None:
    if not vpc_cidr or ipaddress.ip_network(vpc_cidr).prefixlen > 20:
        return None
    for candidate in ipaddress.ip_network(vpc_cidr).subnets(new_prefix=20):
        if not any(_vpc.overlaps(str(candidate), sn["cidr"]) for sn in existing):
            return str(candidate)
    return None

