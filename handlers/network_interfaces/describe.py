"""DescribeNetworkInterfaces on the Describe pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from handlers import _interfaces as eni
from handlers.network_interfaces import _view

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult


def _fetch(ctx: Any, params: Any, wanted: dict[str, list[str]]) -> list[dict]:
    requested = wanted["NetworkInterfaceIds"]
    if requested:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, requested)
        return _view.views(ctx, _view.fetch_ports(ctx, known.values()) if known else [], whole=False)
    return _view.views(ctx, _view.fetch_ports(ctx, None), whole=True)


def _attachment(key: str) -> Any:
    return lambda i: (i.get("Attachment") or {}).get(key)


def _assoc(key: str) -> Any:
    return lambda i: (i.get("Association") or {}).get(key)


DESCRIBE = describe.Describe(
    result_key="NetworkInterfaces",
    fetch=_fetch,
    sort_key=lambda i: i["NetworkInterfaceId"],
    requested=(describe.Requested("NetworkInterfaceIds", lambda i: i["NetworkInterfaceId"],
                                  lambda missing: ids.not_found(eni.KIND, missing[0]), kind=eni.KIND,
                                  with_max_results="networkInterfaceIdSet"),),
    narrow=describe.Narrow("NetworkInterfaceIds", "network-interface", id_filter="network-interface-id"),
    filters={
        "association.allocation-id": _assoc("AllocationId"),
        "association.association-id": _assoc("AssociationId"),
        "addresses.association.owner-id": lambda i: [a["Association"]["IpOwnerId"] for a in i["PrivateIpAddresses"]
                                                     if a.get("Association")],
        "addresses.association.public-ip": lambda i: [a["Association"]["PublicIp"] for a in i["PrivateIpAddresses"]
                                                      if a.get("Association")],
        "addresses.primary": lambda i: [a["Primary"] for a in i["PrivateIpAddresses"]],
        "addresses.private-ip-address": lambda i: [a["PrivateIpAddress"] for a in i["PrivateIpAddresses"]],
        "association.ip-owner-id": _assoc("IpOwnerId"),
        "association.public-ip": _assoc("PublicIp"),
        "association.public-dns-name": _assoc("PublicDnsName"),
        "attachment.attach-time": _attachment("AttachTime"),
        "attachment.attachment-id": _attachment("AttachmentId"),
        "attachment.delete-on-termination": _attachment("DeleteOnTermination"),
        "attachment.device-index": _attachment("DeviceIndex"),
        "attachment.instance-id": _attachment("InstanceId"),
        "attachment.instance-owner-id": _attachment("InstanceOwnerId"),
        "attachment.status": _attachment("Status"),
        "availability-zone": lambda i: i["AvailabilityZone"],
        "availability-zone-id": lambda i: i.get("AvailabilityZoneId"),
        "description": lambda i: i["Description"],
        "group-id": lambda i: [g["GroupId"] for g in i["Groups"]],
        "ipv6-addresses.ipv6-address": lambda i: [a["Ipv6Address"] for a in i["Ipv6Addresses"]],
        "interface-type": lambda i: i["InterfaceType"],
        "mac-address": lambda i: i["MacAddress"],
        "network-interface-id": lambda i: i["NetworkInterfaceId"],
        # No interface here is managed by a service operator.
        "operator.managed": lambda i: False,
        "operator.principal": lambda i: None,
        "owner-id": lambda i: i["OwnerId"],
        "private-dns-name": lambda i: i["PrivateDnsName"],
        "private-ip-address": lambda i: i["PrivateIpAddress"],
        "requester-id": lambda i: None,
        "requester-managed": lambda i: i["RequesterManaged"],
        "source-dest-check": lambda i: i["SourceDestCheck"],
        "status": lambda i: i["Status"],
        "subnet-id": lambda i: i["SubnetId"],
        "vpc-id": lambda i: i["VpcId"],
    },
)


@handler("DescribeNetworkInterfaces", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceIds", "Filters", "MaxResults", "NextToken"),
         partly={"IncludeManagedResources": (False,)})   # no interface here is operator-managed
def describe_network_interfaces(ctx: RequestContext,
                                params: DescribeNetworkInterfacesRequest) -> DescribeNetworkInterfacesResult:
    """The caller's interfaces by id and filter (cost follows the result)."""
    result = describe.run(ctx, params, DESCRIBE)
    _view.tagset(result["NetworkInterfaces"])
    return result
