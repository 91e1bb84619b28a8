"""Regions, availability zones and account attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ec2api_runtime import describe, networks
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers._zones import zone_id, zone_names

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeAccountAttributesRequest,
        DescribeAccountAttributesResult,
        DescribeAvailabilityZonesRequest,
        DescribeAvailabilityZonesResult,
        DescribeRegionsRequest,
        DescribeRegionsResult,
    )

OPT_IN: Final = "opt-in-not-required"


def _fetch_regions(ctx: RequestContext, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    return [{"RegionName": ctx.region, "Endpoint": f"{ctx.config.host}:{ctx.config.port}", "OptInStatus": OPT_IN}]


DESCRIBE_REGIONS = describe.Describe(
    result_key="Regions",
    fetch=_fetch_regions,
    sort_key=lambda r: r["RegionName"],
    requested=(describe.Requested("RegionNames", lambda r: r["RegionName"],
                                  lambda missing: EC2Error("InvalidParameterValue", f"Invalid region: {missing[0]}")),),
    filters={
        "endpoint": lambda r: r["Endpoint"],
        "opt-in-status": lambda r: r["OptInStatus"],
        "region-name": lambda r: r["RegionName"],
    },
    tags=False,
)


# AllRegions: the one region is always enabled, so both values are one answer.
@handler("DescribeRegions", honours=("RegionNames", "Filters", "AllRegions"))
def describe_regions(ctx: RequestContext, params: DescribeRegionsRequest) -> DescribeRegionsResult:
    """The one region this service fronts (its Keystone region)."""
    result: DescribeRegionsResult = describe.run(ctx, params, DESCRIBE_REGIONS)
    return result


def _fetch_zones(ctx: RequestContext, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """Nova's zones; ``ZoneNames`` and ``ZoneIds`` together select their union (one Nova call)."""
    names = zone_names(ctx)
    zones: list[dict] = [{
        "ZoneName": name, "ZoneId": zone_id(ctx.region, i), "State": "available",
        "OptInStatus": OPT_IN, "Messages": [], "RegionName": ctx.region, "GroupName": ctx.region,
        "GroupLongName": ctx.region, "NetworkBorderGroup": ctx.region, "ZoneType": "availability-zone",
    } for i, name in enumerate(names)]
    wanted_names = params.get("ZoneNames") or []
    wanted_ids = params.get("ZoneIds") or []
    for asked, known in ((wanted_names, {z["ZoneName"] for z in zones}), (wanted_ids, {z["ZoneId"] for z in zones})):
        for w in asked:
            if w not in known:
                raise EC2Error("InvalidParameterValue", f"The availability zone '{w}' does not exist")
    if wanted_names or wanted_ids:
        zones = [z for z in zones if z["ZoneName"] in wanted_names or z["ZoneId"] in wanted_ids]
    return zones


DESCRIBE_ZONES = describe.Describe(
    result_key="AvailabilityZones",
    fetch=_fetch_zones,
    sort_key=lambda z: z["ZoneName"],
    filters={
        "group-long-name": lambda z: z["GroupLongName"],
        "group-name": lambda z: z["GroupName"],
        "message": lambda z: [],
        "opt-in-status": lambda z: z["OptInStatus"],
        "parent-zone-id": lambda z: None,
        "parent-zone-name": lambda z: None,
        "region-name": lambda z: z["RegionName"],
        "state": lambda z: z["State"],
        "zone-id": lambda z: z["ZoneId"],
        "zone-name": lambda z: z["ZoneName"],
        "zone-type": lambda z: z["ZoneType"],
    },
    tags=False,
)


# AllAvailabilityZones: no zone here needs opting in to, so both values are one answer.
@handler("DescribeAvailabilityZones", honours=("ZoneNames", "ZoneIds", "Filters", "AllAvailabilityZones"))
def describe_availability_zones(ctx: RequestContext, params: DescribeAvailabilityZonesRequest) -> DescribeAvailabilityZonesResult:
    """Nova's availability zones that hold compute hosts (one Nova call)."""
    result: DescribeAvailabilityZonesResult = describe.run(ctx, params, DESCRIBE_ZONES)
    return result


# EC2 account attributes and where each comes from.
_STATIC = {
    "supported-platforms": ["VPC"],
    "vpc-max-security-groups-per-interface": ["5"],
}


@handler("DescribeAccountAttributes", honours=("AttributeNames",))
def describe_account_attributes(ctx: RequestContext, params: DescribeAccountAttributesRequest) -> DescribeAccountAttributesResult:
    """supported-platforms, default-vpc, and limits from Nova's and Neutron's quotas."""
    wanted = params.get("AttributeNames") or ["supported-platforms", "default-vpc", "max-instances",
                                              "vpc-max-security-groups-per-interface", "max-elastic-ips",
                                              "vpc-max-elastic-ips"]
    values: dict[str, list[str]] = {}
    for name in wanted:
        if name in _STATIC:
            values[name] = _STATIC[name]
        elif name == "default-vpc":
            vpc = networks.default_vpc_id(ctx)
            values[name] = [vpc or "none"]
        elif name == "max-instances":
            values[name] = [str(_quota(ctx.os.compute.get_quota_set(ctx.project_id), "instances"))]
        elif name in ("max-elastic-ips", "vpc-max-elastic-ips"):
            values[name] = [str(_quota(ctx.os.network.get_quota(ctx.project_id), "floating_ips"))]
        else:
            raise EC2Error("InvalidParameterValue", f"Value ({name}) for parameter attributeName is invalid.")
    return {"AccountAttributes": [
        {"AttributeName": name, "AttributeValues": [{"AttributeValue": v} for v in vals]}
        for name, vals in values.items()
    ]}


def _quota(quota: Any, name: str) -> int:
    value = getattr(quota, name, None)
    if value is None and hasattr(quota, "to_dict"):
        value = quota.to_dict().get(name)
    return int(value) if value is not None and int(value) >= 0 else 2 ** 31 - 1   # -1 = unlimited
