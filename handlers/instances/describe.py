"""DescribeInstances (on the Describe pipeline, paged by reservation) and DescribeInstanceStatus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers.instances._common import KIND, all_instances, resolve
from handlers.instances._nova_query import NOTHING, nova_query

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeInstancesRequest,
        DescribeInstancesResult,
        DescribeInstanceStatusRequest,
        DescribeInstanceStatusResult,
    )

_FILTERS = {
    "availability-zone": lambda i: i["Placement"]["AvailabilityZone"],
    "availabilityZone": lambda i: i["Placement"]["AvailabilityZone"],
    "architecture": lambda i: i["Architecture"],
    "block-device-mapping.attach-time": lambda i: [d["Ebs"].get("AttachTime") for d in i["BlockDeviceMappings"]],
    "block-device-mapping.delete-on-termination": lambda i: [d["Ebs"]["DeleteOnTermination"]
                                                             for d in i["BlockDeviceMappings"]],
    "block-device-mapping.device-name": lambda i: [d["DeviceName"] for d in i["BlockDeviceMappings"]],
    "block-device-mapping.status": lambda i: [d["Ebs"]["Status"] for d in i["BlockDeviceMappings"]],
    "block-device-mapping.volume-id": lambda i: [d["Ebs"]["VolumeId"] for d in i["BlockDeviceMappings"]],
    "client-token": lambda i: i.get("ClientToken"),
    "dns-name": lambda i: i.get("PublicDnsName"),
    "hypervisor": lambda i: i["Hypervisor"],
    "image-id": lambda i: i["ImageId"],
    "instance-id": lambda i: i["InstanceId"],
    "instance-lifecycle": lambda i: None,
    "instance-state-code": lambda i: i["State"]["Code"],
    "instance-state-name": lambda i: i["State"]["Name"],
    "instance-type": lambda i: i["InstanceType"],
    "instance.group-id": lambda i: [g["GroupId"] for g in i["SecurityGroups"]],
    "instance.group-name": lambda i: [g["GroupName"] for g in i["SecurityGroups"]],
    "ip-address": lambda i: i.get("PublicIpAddress"),
    "key-name": lambda i: i.get("KeyName"),
    "launch-index": lambda i: i["AmiLaunchIndex"],
    "launch-time": lambda i: i.get("LaunchTime"),
    "monitoring-state": lambda i: i["Monitoring"]["State"],
    "network-interface.network-interface-id": lambda i: [n["NetworkInterfaceId"] for n in i["NetworkInterfaces"]],
    "network-interface.subnet-id": lambda i: [n["SubnetId"] for n in i["NetworkInterfaces"]],
    "network-interface.vpc-id": lambda i: [n["VpcId"] for n in i["NetworkInterfaces"]],
    "network-interface.private-ip-address": lambda i: [n["PrivateIpAddress"] for n in i["NetworkInterfaces"]],
    "network-interface.mac-address": lambda i: [n["MacAddress"] for n in i["NetworkInterfaces"]],
    "network-interface.status": lambda i: [n["Status"] for n in i["NetworkInterfaces"]],
    "network-interface.group-id": lambda i: [g["GroupId"] for n in i["NetworkInterfaces"] for g in n["Groups"]],
    "network-interface.group-name": lambda i: [g["GroupName"] for n in i["NetworkInterfaces"]
                                                for g in n["Groups"]],
    "owner-id": lambda i: i["_OwnerId"],
    "placement-group-name": lambda i: i["Placement"].get("GroupName"),
    "platform-details": lambda i: i["PlatformDetails"],
    "private-dns-name": lambda i: i.get("PrivateDnsName"),
    "private-ip-address": lambda i: i.get("PrivateIpAddress"),
    "product-code": lambda i: [],
    "reason": lambda i: i.get("StateTransitionReason"),
    "reservation-id": lambda i: i["_ReservationId"],
    "root-device-name": lambda i: i["RootDeviceName"],
    "root-device-type": lambda i: i["RootDeviceType"],
    "source-dest-check": lambda i: i["SourceDestCheck"],
    "state-reason-code": lambda i: (i.get("StateReason") or {}).get("Code"),
    "state-reason-message": lambda i: (i.get("StateReason") or {}).get("Message"),
    "subnet-id": lambda i: i.get("SubnetId"),
    "tenancy": lambda i: i["Placement"]["Tenancy"],
    "usage-operation": lambda i: i["UsageOperation"],
    "virtualization-type": lambda i: i["VirtualizationType"],
    "vpc-id": lambda i: i.get("VpcId"),
    "group-id": lambda i: [g["GroupId"] for g in i["SecurityGroups"]],
    "group-name": lambda i: [g["GroupName"] for g in i["SecurityGroups"]],
    "ebs-optimized": lambda i: i["EbsOptimized"],
    "ena-support": lambda i: i["EnaSupport"],
    "hibernation-options.configured": lambda i: i["HibernationOptions"]["Configured"],
    "metadata-options.http-tokens": lambda i: i["MetadataOptions"]["HttpTokens"],
    "metadata-options.http-endpoint": lambda i: i["MetadataOptions"]["HttpEndpoint"],
    "metadata-options.http-put-response-hop-limit": lambda i: i["MetadataOptions"]["HttpPutResponseHopLimit"],
    "current-instance-boot-mode": lambda i: i["CurrentInstanceBootMode"],
    "enclave-options.enabled": lambda i: i["EnclaveOptions"]["Enabled"],
    "capacity-reservation-specification.capacity-reservation-preference":
        lambda i: i["CapacityReservationSpecification"]["CapacityReservationPreference"],
}


# camelCase spellings that Ansible and Terraform send for a few of them (as EC2 accepts).
_FILTERS.update({
    "instanceId": _FILTERS["instance-id"], "instanceType": _FILTERS["instance-type"],
    "imageId": _FILTERS["image-id"], "keyName": _FILTERS["key-name"], "vpcId": _FILTERS["vpc-id"],
    "subnetId": _FILTERS["subnet-id"], "privateIpAddress": _FILTERS["private-ip-address"],
    "ipAddress": _FILTERS["ip-address"], "instance-state": _FILTERS["instance-state-name"],
})


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The caller's instances (or the requested ones), each knowing its reservation and owner."""
    owner = ctx.account_id
    if wanted["InstanceIds"]:
        pairs = all_instances(ctx, wanted["InstanceIds"])
    else:   # the filters Nova can answer narrow its listing (the rest are applied after)
        query = nova_query(ctx, params.get("Filters") or [])
        pairs = all_instances(ctx, nova_query=query, live_can_match=query is not NOTHING)
    for r, i in pairs:
        i["_ReservationId"], i["_OwnerId"] = r, owner
    return [i for _, i in pairs]


def _reservations(ctx: Any, instances: list[dict]) -> list[dict]:
    """Instances grouped into their reservations, which is what DescribeInstances pages."""
    groups: dict[str, list[dict]] = {}
    for instance in instances:
        groups.setdefault(instance.pop("_ReservationId"), []).append(instance)
        instance.pop("_OwnerId")
    return [{"ReservationId": r, "OwnerId": ctx.account_id, "Groups": [],
             "Instances": sorted(members, key=lambda i: (i["AmiLaunchIndex"], i["InstanceId"]))}
            for r, members in groups.items()]


DESCRIBE = describe.Describe(
    result_key="Reservations",
    fetch=_fetch,
    sort_key=lambda r: r["ReservationId"],
    requested=(describe.Requested("InstanceIds", lambda i: i["InstanceId"], lambda missing: EC2Error(
        "InvalidInstanceID.NotFound", f"The instance ID '{', '.join(missing)}' does not exist"), kind=KIND,
        with_max_results="instancesSet"),),
    filters=_FILTERS,
    group=_reservations,
    narrow=describe.Narrow("InstanceIds", "instance", id_filter="instance-id"),
)


# IncludeManagedResources: no instance here is managed by another service, so both values are one answer.
@handler("DescribeInstances", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceIds", "Filters", "MaxResults", "NextToken", "IncludeManagedResources"))
def describe_instances(ctx: RequestContext, params: DescribeInstancesRequest) -> DescribeInstancesResult:
    """Reservations of the caller's instances, by id and filter, paged by reservation."""
    return describe.run(ctx, params, DESCRIBE)


def _fetch_statuses(ctx: RequestContext, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """Status checks: running instances pass (no data plane here to check anything deeper).

    As on AWS, only running instances are listed (even when named by id) unless
    ``IncludeAllInstances`` is true; so the ids are resolved here (NotFound for unknown ones), not
    matched against the result.
    """
    requested = params.get("InstanceIds") or []
    if requested:
        resolve(ctx, requested)
    statuses = []
    for _, i in all_instances(ctx, requested):
        if requested and i["InstanceId"] not in requested:
            continue
        running = i["State"]["Name"] == "running"
        if not running and not params.get("IncludeAllInstances"):
            continue
        check = "ok" if running else "not-applicable"
        detail = [{"Name": "reachability", "Status": "passed" if running else "initializing"}]
        statuses.append({
            "InstanceId": i["InstanceId"], "AvailabilityZone": i["Placement"]["AvailabilityZone"],
            "InstanceState": i["State"], "Events": [],
            "InstanceStatus": {"Status": check, "Details": detail},
            "SystemStatus": {"Status": check, "Details": detail},
            "AttachedEbsStatus": {"Status": check, "Details": [{"Name": "reachability",
                                                                "Status": detail[0]["Status"]}]},
        })
    return statuses


DESCRIBE_STATUS = describe.Describe(
    result_key="InstanceStatuses",
    fetch=_fetch_statuses,
    sort_key=lambda s: s["InstanceId"],
    filters={
        "availability-zone": lambda s: s["AvailabilityZone"],
        "instance-state-code": lambda s: s["InstanceState"]["Code"],
        "instance-state-name": lambda s: s["InstanceState"]["Name"],
        "instance-status.status": lambda s: s["InstanceStatus"]["Status"],
        "instance-status.reachability": lambda s: s["InstanceStatus"]["Details"][0]["Status"],
        "system-status.status": lambda s: s["SystemStatus"]["Status"],
        "system-status.reachability": lambda s: s["SystemStatus"]["Details"][0]["Status"],
    },
    tags=False,
)


@handler("DescribeInstanceStatus", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceIds", "Filters", "MaxResults", "NextToken", "IncludeAllInstances",
                  "IncludeManagedResources"))
def describe_instance_status(ctx: RequestContext, params: DescribeInstanceStatusRequest) -> DescribeInstanceStatusResult:
    """Status checks of the caller's running instances (all of them with ``IncludeAllInstances``)."""
    result: DescribeInstanceStatusResult = describe.run(ctx, params, DESCRIBE_STATUS)
    return result
