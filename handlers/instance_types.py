"""Instance types from Nova flavors: DescribeInstanceTypes, DescribeInstanceTypeOfferings,
DescribeInstanceCreditSpecifications, ModifyInstanceCreditSpecification.

Rule: a flavor whose name is an EC2 instance type (one of the model's ``InstanceType`` values, e.g.
``t3.micro``) *is* that instance type; other flavors are not shown. What a flavor knows fills the
answer (vCPUs, RAM, ephemeral disk); the rest are constants true of any Nova/KVM server: x86_64, HVM,
EBS (Cinder) root devices, on-demand only, ``nitro`` as the hypervisor (AWS's KVM-based one; the
model allows only ``nitro``/``xen``). T families (t2, t3, t3a, t4g...) report
``BurstablePerformanceSupported`` so that tools ask DescribeInstanceCreditSpecifications, which
answers the credit option of the caller's servers of those types: ``standard`` unless
ModifyInstanceCreditSpecification (or RunInstances) stored ``unlimited``. OpenStack has no CPU
credits (a vCPU is never throttled by them): the option is a stored label, and other types refuse it.

Every Describe here costs one Nova call (flavors; plus zones or servers where needed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from ec2api_runtime import describe
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from generated.ec2 import enums
from handlers import _bulk
from handlers._instance_settings import CPU_CREDITS, is_burstable, store, stored_credits
from handlers._instance_view import instance_type, state_name
from handlers._zones import zone_id, zone_names

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeInstanceCreditSpecificationsRequest,
        DescribeInstanceCreditSpecificationsResult,
        DescribeInstanceTypeOfferingsRequest,
        DescribeInstanceTypeOfferingsResult,
        DescribeInstanceTypesRequest,
        DescribeInstanceTypesResult,
        ModifyInstanceCreditSpecificationRequest,
        ModifyInstanceCreditSpecificationResult,
    )

# The model's InstanceType enum: the names a flavor may carry to be an EC2 instance type.
EC2_INSTANCE_TYPES: frozenset[str] = frozenset(enums.InstanceType)

# Families AWS lists as previous generation (CurrentGeneration false).
_PREVIOUS_GENERATION = frozenset({
    "t1", "m1", "m2", "m3", "c1", "c3", "cc1", "cc2", "cg1", "cr1", "g2", "hi1", "hs1", "i2", "r3",
})
_FREE_TIER = frozenset({"t2.micro", "t3.micro"})
_NETWORK_PERFORMANCE = "Up to 5 Gigabit"


def family(instance_type: str) -> str:
    """``t3`` for ``t3.micro``."""
    return instance_type.split(".", 1)[0]


def _max_interfaces(vcpus: int) -> int:
    # AWS's limits grow with size; these match its small and medium sizes and are more than
    # Neutron needs to enforce anything (ports per server are bounded by quota, not by type).
    if vcpus <= 2:
        return 3
    if vcpus <= 8:
        return 4
    return 8


def type_info(name: str, vcpus: int, ram_mib: int, ephemeral_gb: int = 0) -> dict[str, Any]:
    """The ``InstanceTypeInfo`` of a flavor (pure: unit-tested)."""
    vcpus = max(int(vcpus or 1), 1)
    ephemeral_gb = int(ephemeral_gb or 0)
    interfaces = _max_interfaces(vcpus)
    info: dict[str, Any] = {
        "InstanceType": name,
        "CurrentGeneration": family(name) not in _PREVIOUS_GENERATION,
        "FreeTierEligible": name in _FREE_TIER,
        "SupportedUsageClasses": ["on-demand"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": "nitro",
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
        "VCpuInfo": {"DefaultVCpus": vcpus, "DefaultCores": vcpus, "DefaultThreadsPerCore": 1,
                     "ValidCores": list(range(1, vcpus + 1)), "ValidThreadsPerCore": [1]},
        "MemoryInfo": {"SizeInMiB": int(ram_mib or 0)},
        "InstanceStorageSupported": ephemeral_gb > 0,
        "EbsInfo": {"EbsOptimizedSupport": "default", "EncryptionSupport": "unsupported",
                    "NvmeSupport": "unsupported"},
        "NetworkInfo": {
            "NetworkPerformance": _NETWORK_PERFORMANCE,
            "MaximumNetworkInterfaces": interfaces,
            "MaximumNetworkCards": 1,
            "DefaultNetworkCardIndex": 0,
            "NetworkCards": [{"NetworkCardIndex": 0, "NetworkPerformance": _NETWORK_PERFORMANCE,
                              "MaximumNetworkInterfaces": interfaces}],
            "Ipv4AddressesPerInterface": 10,
            "Ipv6AddressesPerInterface": 10,
            "Ipv6Supported": True,
            "EnaSupport": "supported",
            "EfaSupported": False,
            "EncryptionInTransitSupported": False,
            "FlexibleEnaQueuesSupport": "unsupported",
        },
        # Nova server groups: affinity ~ cluster, anti-affinity ~ spread.
        "PlacementGroupInfo": {"SupportedStrategies": ["cluster", "spread"]},
        "HibernationSupported": False,
        "BurstablePerformanceSupported": is_burstable(name),
        "DedicatedHostsSupported": False,
        "AutoRecoverySupported": False,
        "SupportedBootModes": ["legacy-bios", "uefi"],
        "NitroEnclavesSupport": "unsupported",
        "NitroTpmSupport": "unsupported",
        "PhcSupport": "unsupported",
        "RebootMigrationSupport": "unsupported",
    }
    if ephemeral_gb > 0:
        info["InstanceStorageInfo"] = {
            "TotalSizeInGB": ephemeral_gb,
            "Disks": [{"SizeInGB": ephemeral_gb, "Count": 1, "Type": "ssd"}],
            "NvmeSupport": "unsupported",
            "EncryptionSupport": "unsupported",
        }
    return info


def _get(d: Any, *path: str) -> Any:
    """The value at ``path`` in nested dicts, None where one is missing."""
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _disks(i: dict, key: str) -> list:
    return [disk.get(key) for disk in (_get(i, "InstanceStorageInfo", "Disks") or [])]


# Filter name -> value(s) of an InstanceTypeInfo. Facts we do not model answer None (match nothing).
_FILTERS: dict[str, Any] = {
    "auto-recovery-supported": lambda i: i["AutoRecoverySupported"],
    "bare-metal": lambda i: i["BareMetal"],
    "burstable-performance-supported": lambda i: i["BurstablePerformanceSupported"],
    "current-generation": lambda i: i["CurrentGeneration"],
    "dedicated-hosts-supported": lambda i: i["DedicatedHostsSupported"],
    "ebs-info.attachment-limit-type": lambda i: _get(i, "EbsInfo", "AttachmentLimitType"),
    "ebs-info.maximum-ebs-attachments": lambda i: _get(i, "EbsInfo", "MaximumEbsAttachments"),
    "ebs-info.ebs-optimized-info.baseline-bandwidth-in-mbps":
        lambda i: _get(i, "EbsInfo", "EbsOptimizedInfo", "BaselineBandwidthInMbps"),
    "ebs-info.ebs-optimized-info.baseline-iops":
        lambda i: _get(i, "EbsInfo", "EbsOptimizedInfo", "BaselineIops"),
    "ebs-info.ebs-optimized-info.baseline-throughput-in-mbps":
        lambda i: _get(i, "EbsInfo", "EbsOptimizedInfo", "BaselineThroughputInMBps"),
    "ebs-info.ebs-optimized-info.maximum-bandwidth-in-mbps":
        lambda i: _get(i, "EbsInfo", "EbsOptimizedInfo", "MaximumBandwidthInMbps"),
    "ebs-info.ebs-optimized-info.maximum-iops":
        lambda i: _get(i, "EbsInfo", "EbsOptimizedInfo", "MaximumIops"),
    "ebs-info.ebs-optimized-info.maximum-throughput-in-mbps":
        lambda i: _get(i, "EbsInfo", "EbsOptimizedInfo", "MaximumThroughputInMBps"),
    "ebs-info.ebs-optimized-support": lambda i: _get(i, "EbsInfo", "EbsOptimizedSupport"),
    "ebs-info.encryption-support": lambda i: _get(i, "EbsInfo", "EncryptionSupport"),
    "ebs-info.nvme-support": lambda i: _get(i, "EbsInfo", "NvmeSupport"),
    "free-tier-eligible": lambda i: i["FreeTierEligible"],
    "hibernation-supported": lambda i: i["HibernationSupported"],
    "hypervisor": lambda i: i["Hypervisor"],
    "instance-storage-info.disk.count": lambda i: _disks(i, "Count"),
    "instance-storage-info.disk.size-in-gb": lambda i: _disks(i, "SizeInGB"),
    "instance-storage-info.disk.type": lambda i: _disks(i, "Type"),
    "instance-storage-info.encryption-support": lambda i: _get(i, "InstanceStorageInfo", "EncryptionSupport"),
    "instance-storage-info.nvme-support": lambda i: _get(i, "InstanceStorageInfo", "NvmeSupport"),
    "instance-storage-info.total-size-in-gb": lambda i: _get(i, "InstanceStorageInfo", "TotalSizeInGB"),
    "instance-storage-supported": lambda i: i["InstanceStorageSupported"],
    "instance-type": lambda i: i["InstanceType"],
    "memory-info.size-in-mib": lambda i: i["MemoryInfo"]["SizeInMiB"],
    "network-info.bandwidth-weightings": lambda i: _get(i, "NetworkInfo", "BandwidthWeightings"),
    "network-info.efa-info.maximum-efa-interfaces": lambda i: _get(i, "NetworkInfo", "EfaInfo", "MaximumEfaInterfaces"),
    "network-info.efa-supported": lambda i: _get(i, "NetworkInfo", "EfaSupported"),
    "network-info.ena-support": lambda i: _get(i, "NetworkInfo", "EnaSupport"),
    "network-info.flexible-ena-queues-support": lambda i: _get(i, "NetworkInfo", "FlexibleEnaQueuesSupport"),
    "network-info.encryption-in-transit-supported":
        lambda i: _get(i, "NetworkInfo", "EncryptionInTransitSupported"),
    "network-info.ipv4-addresses-per-interface": lambda i: _get(i, "NetworkInfo", "Ipv4AddressesPerInterface"),
    "network-info.ipv6-addresses-per-interface": lambda i: _get(i, "NetworkInfo", "Ipv6AddressesPerInterface"),
    "network-info.ipv6-supported": lambda i: _get(i, "NetworkInfo", "Ipv6Supported"),
    "network-info.maximum-network-cards": lambda i: _get(i, "NetworkInfo", "MaximumNetworkCards"),
    "network-info.maximum-network-interfaces": lambda i: _get(i, "NetworkInfo", "MaximumNetworkInterfaces"),
    "network-info.network-performance": lambda i: _get(i, "NetworkInfo", "NetworkPerformance"),
    "nitro-enclaves-support": lambda i: i["NitroEnclavesSupport"],
    "nitro-tpm-support": lambda i: i["NitroTpmSupport"],
    "nitro-tpm-info.supported-versions": lambda i: _get(i, "NitroTpmInfo", "SupportedVersions"),
    "processor-info.supported-architecture": lambda i: i["ProcessorInfo"]["SupportedArchitectures"],
    "processor-info.sustained-clock-speed-in-ghz": lambda i: _get(i, "ProcessorInfo", "SustainedClockSpeedInGhz"),
    "processor-info.supported-features": lambda i: _get(i, "ProcessorInfo", "SupportedFeatures"),
    "reboot-migration-support": lambda i: i["RebootMigrationSupport"],
    "supported-boot-mode": lambda i: i["SupportedBootModes"],
    "supported-root-device-type": lambda i: i["SupportedRootDeviceTypes"],
    "supported-usage-class": lambda i: i["SupportedUsageClasses"],
    "supported-virtualization-type": lambda i: i["SupportedVirtualizationTypes"],
    "vcpu-info.default-cores": lambda i: i["VCpuInfo"]["DefaultCores"],
    "vcpu-info.default-threads-per-core": lambda i: i["VCpuInfo"]["DefaultThreadsPerCore"],
    "vcpu-info.default-vcpus": lambda i: i["VCpuInfo"]["DefaultVCpus"],
    "vcpu-info.valid-cores": lambda i: i["VCpuInfo"]["ValidCores"],
    "vcpu-info.valid-threads-per-core": lambda i: i["VCpuInfo"]["ValidThreadsPerCore"],
}


def ec2_flavors(ctx: Any) -> dict[str, Any]:
    """``{instance type: flavor}`` for the flavors the caller can use whose names are EC2 types."""
    return {f.name: f for f in ctx.os.compute.flavors(details=True) if f.name in EC2_INSTANCE_TYPES}


def _unknown_types(names: Iterable[str]) -> EC2Error:
    listed = ", ".join(names)
    return EC2Error("InvalidInstanceType", f"The following supplied instance types do not exist: [{listed}]")


def _fetch_types(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """Every EC2 instance type this cloud offers (one Nova call: flavors are few)."""
    return [type_info(name, f.vcpus, f.ram, getattr(f, "ephemeral", 0) or 0) for name, f in ec2_flavors(ctx).items()]


DESCRIBE_TYPES = describe.Describe(
    result_key="InstanceTypes",
    fetch=_fetch_types,
    sort_key=lambda i: i["InstanceType"],
    requested=(describe.Requested("InstanceTypes", lambda i: i["InstanceType"], _unknown_types),),
    filters=_FILTERS,
    tags=False,
)


# IncludeUnsupportedInRegion: every type here is a flavor this region offers, so both values are one answer.
@handler("DescribeInstanceTypes",
         honours=("InstanceTypes", "Filters", "MaxResults", "NextToken", "IncludeUnsupportedInRegion"))
def describe_instance_types(ctx: RequestContext, params: DescribeInstanceTypesRequest) -> DescribeInstanceTypesResult:
    """The EC2 instance types this cloud offers (one Nova call)."""
    return describe.run(ctx, params, DESCRIBE_TYPES)


def _fetch_offerings(ctx: RequestContext, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """Every instance type in the region, or in every Nova availability zone (by name or zone id)."""
    location_type = params.get("LocationType") or "region"
    types = sorted(ec2_flavors(ctx))
    if location_type == "region":
        locations = [ctx.region]
    elif location_type in ("availability-zone", "availability-zone-id"):
        names = zone_names(ctx)
        locations = names if location_type == "availability-zone" else [
            zone_id(ctx.region, i) for i in range(len(names))]
    else:   # outpost: none here
        locations = []
    return [{"InstanceType": t, "LocationType": location_type, "Location": loc} for loc in locations for t in types]


DESCRIBE_OFFERINGS = describe.Describe(
    result_key="InstanceTypeOfferings",
    fetch=_fetch_offerings,
    sort_key=lambda i: (i["Location"], i["InstanceType"]),
    filters={"instance-type": lambda i: i["InstanceType"], "location": lambda i: i["Location"]},
    tags=False,
)


@handler("DescribeInstanceTypeOfferings", honours=("LocationType", "Filters", "MaxResults", "NextToken"))
def describe_instance_type_offerings(ctx: RequestContext, params: DescribeInstanceTypeOfferingsRequest) -> DescribeInstanceTypeOfferingsResult:
    """Every instance type in the region, or in every Nova availability zone (by name or zone id)."""
    result: DescribeInstanceTypeOfferingsResult = describe.run(ctx, params, DESCRIBE_OFFERINGS)
    return result


def _fetch_credits(ctx: RequestContext, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """Without ids: the caller's instances of T types (one Nova listing). With ids: those instances,
    fetched by id, whatever their type (AWS answers ``standard`` for non-burstable ones too)."""
    requested = wanted["InstanceIds"]
    _bulk.prepare(ctx, "compute")
    if requested:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, requested)
        servers = _bulk.servers_by_id(ctx, known.values())
    else:
        servers = [srv for srv in _bulk.servers(ctx) if is_burstable(instance_type(srv))]
    with ctx.session() as s:
        id_of = ids.ec2_ids(s, ctx.project_id, "i", [srv.id for srv in servers])
        data = ids.get_data_many(s, ctx.project_id, list(id_of.values()))
    # What ModifyInstanceCreditSpecification (or RunInstances) stored; standard otherwise.
    return [{"InstanceId": id_of[srv.id], "CpuCredits": data.get(id_of[srv.id], {}).get("cpu_credits", "standard")}
            for srv in servers]


DESCRIBE_CREDITS = describe.Describe(
    result_key="InstanceCreditSpecifications",
    fetch=_fetch_credits,
    sort_key=lambda i: i["InstanceId"],
    requested=(describe.Requested("InstanceIds", lambda i: i["InstanceId"],
                                  lambda missing: ids.not_found("i", missing[0]), kind="i"),),
    filters={"instance-id": lambda i: i["InstanceId"]},
    tags=False,
)


@handler("DescribeInstanceCreditSpecifications", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceIds", "Filters", "MaxResults", "NextToken"))
def describe_instance_credit_specifications(ctx: RequestContext, params: DescribeInstanceCreditSpecificationsRequest) -> DescribeInstanceCreditSpecificationsResult:
    """``standard`` credits for the caller's burstable instances (or the ones asked for)."""
    result: DescribeInstanceCreditSpecificationsResult = describe.run(ctx, params, DESCRIBE_CREDITS)
    return result


def _credit_failure(instance_id: str, code: str, message: str) -> dict:
    return {"InstanceId": instance_id, "Error": {"Code": code, "Message": message}}


# ClientToken (not an idempotency token in the model): setting the same credits again is the same
# answer, so a retry with its token is honoured by the operation's nature.
@handler("ModifyInstanceCreditSpecification", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceCreditSpecifications", "ClientToken"))
def modify_instance_credit_specification(ctx: RequestContext, params: ModifyInstanceCreditSpecificationRequest) -> ModifyInstanceCreditSpecificationResult:
    """Per instance, as AWS answers: burstable ones store the credit option, the others fail
    (``UnsuccessfulInstanceCreditSpecifications``) with the reason."""
    specs = params["InstanceCreditSpecifications"]
    for spec in specs:
        credits = spec.get("CpuCredits")
        if credits is None:
            raise missing_parameter("InstanceCreditSpecification.CpuCredits")
        if credits not in CPU_CREDITS:
            raise EC2Error("InvalidParameterValue",
                           f"Value ({credits}) for parameter CpuCredits is invalid. Valid values: standard, unlimited.")
    failed: list[dict] = []
    well_formed = []
    for spec in specs:
        if ids.is_well_formed("i", spec["InstanceId"]):
            well_formed.append(spec)
        else:
            failed.append(_credit_failure(spec["InstanceId"], "InvalidInstanceID.Malformed",
                                          f"Invalid id: \"{spec['InstanceId']}\""))
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, [sp["InstanceId"] for sp in well_formed])
        data = ids.get_data_many(s, ctx.project_id, list(known))   # a terminated one keeps its last view
    _bulk.prepare(ctx, "compute")
    servers = {srv.id: srv for srv in _bulk.servers_by_id(ctx, known.values())}   # one GET each, at once
    live = {i: servers[sid] for i, sid in known.items() if sid in servers}
    changes: dict[str, dict] = {}
    for spec in well_formed:
        instance_id = spec["InstanceId"]
        srv = live.get(instance_id)
        if srv is None and "terminated" not in data.get(instance_id, {}):
            failed.append(_credit_failure(instance_id, "InvalidInstanceID.NotFound",
                                          f"The instance ID '{instance_id}' does not exist"))
        elif srv is None or state_name(srv) in ("terminated", "shutting-down"):
            failed.append(_credit_failure(instance_id, "IncorrectInstanceState",
                                          f"The instance '{instance_id}' is not in a state from which it can be modified."))
        elif not is_burstable(instance_type(srv)):
            failed.append(_credit_failure(
                instance_id, "InstanceCreditSpecification.NotSupported",
                f"The instance type {instance_type(srv)} of '{instance_id}' does not support CPU credits "
                "(only burstable performance types do: t2, t3, t3a, t4g)."))
        else:
            changes[instance_id] = stored_credits(spec["CpuCredits"])
    if changes:
        store(ctx, changes)
    return cast("ModifyInstanceCreditSpecificationResult", {
        "SuccessfulInstanceCreditSpecifications": [{"InstanceId": i} for i in changes],
        "UnsuccessfulInstanceCreditSpecifications": failed})
