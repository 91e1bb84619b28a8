"""DescribeVpcs, DescribeVpcAttribute, ModifyVpcAttribute.

DescribeVpcs by id GETs those networks (Neutron ``id=`` query values) and their subnets, plus one
bounded call for which network is the default VPC; without ids it lists the project's networks and
subnets once each. The three VPC attributes are stored in ec2api's database only: Neutron has no
switch for them (its DHCP agent always serves DNS; instance host names are Nova's), so they change
what DescribeVpcAttribute answers and nothing else (docs/networking.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers import _bulk as bulk
from handlers import _vpc
from handlers.vpcs._view import view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeVpcAttributeRequest,
        DescribeVpcAttributeResult,
        DescribeVpcsRequest,
        DescribeVpcsResult,
        ModifyVpcAttributeRequest,
    )

KIND = "vpc"
ATTRIBUTES = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames",
              "enableNetworkAddressUsageMetrics": "EnableNetworkAddressUsageMetrics"}


def _networks(ctx: Any, wanted: list[str]) -> list[dict]:
    """The project's non-external networks, or the requested VPCs' networks only."""
    query: dict[str, Any] = {"router:external": "false"}
    if not wanted:
        return bulk.get_json(ctx, "network", "/networks", {**query, "project_id": ctx.project_id})["networks"]
    with ctx.session() as s:
        known = list(ids.os_ids(s, ctx.project_id, wanted).values())
    if not known:
        return []
    found: list[dict] = []
    for i in range(0, len(known), bulk.ID_CHUNK):
        found.extend(bulk.get_json(ctx, "network", "/networks",
                                   {**query, "id": known[i:i + bulk.ID_CHUNK]})["networks"])
    # Neutron shows a shared network of another project by id; it is not the caller's VPC.
    return [n for n in found if n.get("project_id") == ctx.project_id]


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    requested = wanted["VpcIds"]
    bulk.prepare(ctx, "network")
    nets = _networks(ctx, requested)
    if not nets:
        return []
    subnets = _vpc.vpc_subnets(ctx, [n["id"] for n in nets] if requested else None)
    default_net = _vpc.default_network_id(ctx)
    cidrs_of: dict[str, list[str]] = {}
    for sn in subnets:
        cidrs_of.setdefault(sn["network_id"], []).append(sn["cidr"])
    with ctx.session() as s:
        vpc_ids = ids.ec2_ids(s, ctx.project_id, KIND, [n["id"] for n in nets])
        data_of = ids.get_data_many(s, ctx.project_id, vpc_ids.values())
        tags_of = tags.tags_for(s, ctx.project_id, vpc_ids.values())
        default_dhcp = _vpc.default_dhcp_id(s, ctx.project_id)
    items = []
    for n in nets:
        vpc_id = vpc_ids[n["id"]]
        item = view(ctx.account_id, vpc_id, data_of.get(vpc_id, {}), cidrs_of.get(n["id"], []),
                    n["id"] == default_net, tags_of.get(vpc_id, []), default_dhcp)
        if item is not None:
            items.append(item)
    return items


def _assoc(i: dict, key: str) -> list:
    return [a[key] for a in i["CidrBlockAssociationSet"]]


DESCRIBE = describe.Describe(
    result_key="Vpcs",
    fetch=_fetch,
    sort_key=lambda i: i["VpcId"],
    requested=(describe.Requested("VpcIds", lambda i: i["VpcId"], lambda missing: ids.not_found(KIND, missing[0]),
                                  kind=KIND),),
    filters={
        "cidr": lambda i: i["CidrBlock"],
        # Undocumented but answered by AWS; amazon.aws.ec2_vpc_net finds its VPC by it.
        "cidr-block": lambda i: i["CidrBlock"],
        "cidr-block-association.cidr-block": lambda i: _assoc(i, "CidrBlock"),
        "cidr-block-association.association-id": lambda i: _assoc(i, "AssociationId"),
        "cidr-block-association.state": lambda i: [a["CidrBlockState"]["State"] for a in i["CidrBlockAssociationSet"]],
        "dhcp-options-id": lambda i: i["DhcpOptionsId"],
        # No VPC here has an IPv6 range (CreateVpc refuses AmazonProvidedIpv6CidrBlock).
        "ipv6-cidr-block-association.ipv6-cidr-block": lambda i: [],
        "ipv6-cidr-block-association.ipv6-pool": lambda i: [],
        "ipv6-cidr-block-association.association-id": lambda i: [],
        "ipv6-cidr-block-association.state": lambda i: [],
        "is-default": lambda i: i["IsDefault"],
        "owner-id": lambda i: i["OwnerId"],
        "state": lambda i: i["State"],
        "vpc-id": lambda i: i["VpcId"],
    },
)


@handler("DescribeVpcs", not_found="InvalidVpcID.NotFound", honours=("VpcIds", "Filters", "MaxResults", "NextToken"))
def describe_vpcs(ctx: RequestContext, params: DescribeVpcsRequest) -> DescribeVpcsResult:
    """The caller's VPCs (its non-external Neutron networks with an IPv4 range), by id and filter."""
    return describe.run(ctx, params, DESCRIBE)


def _attributes(ctx: Any, vpc_id: str) -> tuple[dict, bool]:
    """``(attributes, is default)`` of the caller's VPC (stored values over AWS's defaults)."""
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    is_default = _vpc.default_network_id(ctx) == net["id"]
    # AWS's default VPC has DNS host names on; a VPC CreateVpc makes has them off.
    defaults = dict(_vpc.DEFAULT_ATTRS, **({"enableDnsHostnames": True} if is_default else {}))
    return {**defaults, **(data.get("attrs") or {})}, is_default


@handler("DescribeVpcAttribute", not_found="InvalidVpcID.NotFound", honours=("VpcId", "Attribute"))
def describe_vpc_attribute(ctx: RequestContext, params: DescribeVpcAttributeRequest) -> DescribeVpcAttributeResult:
    """One of the three stored VPC attributes."""
    attrs, _ = _attributes(ctx, params["VpcId"])
    name = params["Attribute"]
    result: Any = {"VpcId": params["VpcId"], ATTRIBUTES[name]: {"Value": bool(attrs[name])}}
    return result   # the key is one of three the TypedDict has, chosen at run time


@handler("ModifyVpcAttribute", not_found="InvalidVpcID.NotFound",
         honours=("VpcId", "EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"))
def modify_vpc_attribute(ctx: RequestContext, params: ModifyVpcAttributeRequest) -> None:
    """Set one attribute per call, as AWS requires (stored; see the module docstring)."""
    given = {name: params[member]["Value"] for name, member in ATTRIBUTES.items()  # type: ignore[literal-required]
             if member in params and "Value" in params[member]}  # type: ignore[literal-required]
    if len(given) != 1:
        raise EC2Error("InvalidParameterCombination" if given else "MissingParameter",
                       "Exactly one attribute (enableDnsSupport, enableDnsHostnames or "
                       "enableNetworkAddressUsageMetrics) must be given.")
    attrs, _ = _attributes(ctx, params["VpcId"])
    attrs.update(given)
    if attrs["enableDnsHostnames"] and not attrs["enableDnsSupport"]:
        # AWS: host names need DNS resolution.
        raise EC2Error("InvalidParameterValue",
                       "enableDnsHostnames cannot be true while enableDnsSupport is false.")
    _vpc.update_data(ctx, params["VpcId"], attrs=attrs)
