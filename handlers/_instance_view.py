"""How a Nova server looks as an EC2 instance: states, addresses, devices, groups.

Pure functions over data fetched in bulk by ``handlers.instances``; no OpenStack calls here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from ec2api_runtime.timeutil import parse_os_time
from handlers import _interfaces as interfaces

if TYPE_CHECKING:
    from generated.ec2.types import InstanceState

STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

_STOPPING_TASKS = {"powering-off", "shelving", "shelving_image_pending_upload", "shelving_image_uploading",
                   "shelving_offloading", "suspending", "pausing"}
_STARTING_TASKS = {"powering-on", "unshelving", "resuming", "unpausing", "spawning", "scheduling",
                   "block_device_mapping", "networking", "rebuilding", "rebuild_spawning"}
_STOPPED_STATES = {"stopped", "shelved", "shelved_offloaded", "suspended", "paused"}
_RUNNING_STATES = {"active", "rescued", "resized"}


def state_name(server: Any) -> str:
    """The EC2 state of a Nova server, from its vm_state and task_state.

    Nova's ``error`` state (a build that failed) shows as ``terminated``: on AWS an instance that
    cannot start ends there, with a state reason.
    """
    vm = (server.vm_state or "").lower()
    task = (server.task_state or "").lower()
    status = (server.status or "").upper()
    if vm in ("deleted", "soft-delete") or status in ("DELETED", "SOFT_DELETED"):
        return "terminated"
    if task == "deleting":
        return "shutting-down"
    if task in _STOPPING_TASKS:
        return "stopping"
    if vm == "error" or status == "ERROR":
        return "terminated"
    if task in _STARTING_TASKS or vm == "building" or status == "BUILD":
        return "pending"
    if vm in _STOPPED_STATES:
        return "stopped"
    if vm in _RUNNING_STATES or status in ("ACTIVE", "REBOOT", "HARD_REBOOT", "VERIFY_RESIZE", "RESIZE"):
        return "running"
    return "pending"


def state(name: str) -> InstanceState:
    """``{"Code": 16, "Name": "running"}``."""
    # name is a key of STATE_CODES, all of them the model's InstanceStateName values.
    return cast("InstanceState", {"Code": STATE_CODES[name], "Name": name})


def dns_name(ip: str | None, region: str) -> str:
    """AWS-style private DNS name for an IPv4 address (``ip-10-0-0-5.<region>.compute.internal``)."""
    if not ip or ":" in ip:
        return ""
    return f"ip-{ip.replace('.', '-')}.{region.lower()}.compute.internal"


@dataclass
class Lookups:
    """Everything fetched in bulk for one Describe, keyed for joining in memory."""

    region: str
    owner_id: str
    instance_ids: dict[str, str]            # server id -> i-...
    reservation_ids: dict[str, str]         # server id -> r-...
    image_ids: dict[str, str]               # glance id -> ami-...
    data: dict[str, dict]                   # i-... -> items.data
    tags: dict[str, list[dict]]             # i-... -> tags
    ports_by_server: dict[str, list[Any]] = field(default_factory=dict)
    floating_by_port: dict[str, str] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)     # neutron sg id -> name
    group_ids: dict[str, str] = field(default_factory=dict)       # neutron sg id -> sg-...
    vpc_ids: dict[str, str] = field(default_factory=dict)         # network id -> vpc-...
    subnet_ids: dict[str, str] = field(default_factory=dict)      # subnet id -> subnet-...
    eni_ids: dict[str, str] = field(default_factory=dict)         # port id -> eni-...
    volume_ids: dict[str, str] = field(default_factory=dict)      # cinder id -> vol-...
    attachments: dict[tuple[str, str], dict] = field(default_factory=dict)   # (server, volume) -> attachment
    flavor_names: dict[str, str] = field(default_factory=dict)    # flavor id -> name (old microversions)
    eni_data: dict[str, dict] = field(default_factory=dict)       # port id -> the ENI's items.data


def instance_type(server: Any, lookups: Lookups | None = None) -> str:
    """The flavor's name, which is the EC2 instance type (``lookups`` maps flavor ids for old Novas)."""
    flavor = server.flavor or {}
    if isinstance(flavor, dict):
        names = lookups.flavor_names if lookups else {}
        return flavor.get("original_name") or flavor.get("name") or names.get(flavor.get("id") or "", "")
    return getattr(flavor, "original_name", None) or getattr(flavor, "name", "") or ""


def _image_id(server: Any) -> str | None:
    image = server.image
    if isinstance(image, dict):
        return image.get("id")
    return getattr(image, "id", None) if image else None


def _network_interfaces(server: Any, lookups: Lookups, instance_id: str) -> list[dict]:
    out = []
    ports = lookups.ports_by_server.get(server.id, [])
    indexes = interfaces.device_indexes(ports, lookups.eni_data)
    for port in sorted(ports, key=lambda p: indexes[p.id]):
        index, data = indexes[port.id], lookups.eni_data.get(port.id, {})
        ips = interfaces.v4_ips(port, data)
        primary = ips[0] if ips else {}
        public = lookups.floating_by_port.get(port.id)
        association = {"PublicIp": public, "PublicDnsName": "", "IpOwnerId": lookups.owner_id} if public else None
        groups = [{"GroupId": lookups.group_ids.get(g, ""), "GroupName": lookups.group_names.get(g, "")}
                  for g in port.security_group_ids or []]
        private_ips = []
        for n, ip in enumerate(ips):
            entry = {"Primary": n == 0, "PrivateIpAddress": ip["ip_address"],
                     "PrivateDnsName": dns_name(ip["ip_address"], lookups.region)}
            if n == 0 and association:
                entry["Association"] = association
            private_ips.append(entry)
        eni = {
            "NetworkInterfaceId": lookups.eni_ids.get(port.id, ""),
            "SubnetId": lookups.subnet_ids.get(primary.get("subnet_id", ""), ""),
            "VpcId": lookups.vpc_ids.get(port.network_id, ""),
            "Description": port.description or "",
            "OwnerId": lookups.owner_id,
            "Status": "in-use",
            "MacAddress": port.mac_address or "",
            "PrivateIpAddress": primary.get("ip_address", ""),
            "PrivateDnsName": dns_name(primary.get("ip_address"), lookups.region),
            "SourceDestCheck": interfaces.source_dest_check({"allowed_address_pairs": port.allowed_address_pairs}),
            "Groups": groups,
            "Attachment": {"AttachmentId": interfaces.attachment_id(lookups.eni_ids.get(port.id, "eni-")),
                           "DeviceIndex": index, "Status": "attached",
                           "DeleteOnTermination": interfaces.delete_on_termination(data),
                           "NetworkCardIndex": 0},
            "PrivateIpAddresses": private_ips,
            "Ipv6Addresses": [{"Ipv6Address": ip["ip_address"]} for ip in port.fixed_ips or []
                              if ":" in ip.get("ip_address", "")],
            "InterfaceType": "interface",
        }
        if association:
            eni["Association"] = association
        out.append(eni)
    return out


def _block_devices(server: Any, lookups: Lookups) -> list[dict]:
    devices = []
    for attached in server.attached_volumes or []:
        volume_id = attached.get("id") if isinstance(attached, dict) else getattr(attached, "id", None)
        if not volume_id:
            continue
        attachment = lookups.attachments.get((server.id, volume_id), {})
        ebs = {"VolumeId": lookups.volume_ids.get(volume_id, ""), "Status": "attached",
               "DeleteOnTermination": bool(attached.get("delete_on_termination", False))
               if isinstance(attached, dict) else False}
        attach_time = parse_os_time(attachment.get("attached_at"))
        if attach_time:
            ebs["AttachTime"] = attach_time
        devices.append({"DeviceName": attachment.get("device") or "", "Ebs": ebs})
    return devices


def placement(server: Any, data: dict) -> dict:
    """Placement: the zone, and the placement group RunInstances put the instance in (item data)."""
    out = {"AvailabilityZone": server.availability_zone or "", "GroupName": data.get("placement_group", ""),
           "Tenancy": "default"}
    if data.get("placement_group_id"):
        out["GroupId"] = data["placement_group_id"]
    return out


# What every instance has until ModifyInstanceMetadataOptions (or RunInstances) says otherwise.
METADATA_DEFAULTS = {"HttpTokens": "optional", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled",
                     "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled"}


def settings(data: dict) -> dict:
    """The settings ec2api keeps in the instance's item data (handlers/instances/settings.py):
    metadata options, detailed monitoring and maintenance options, with AWS's defaults."""
    return {
        # Stored and applied at once: there is no pending step in ec2api.
        "MetadataOptions": {"State": "applied", **METADATA_DEFAULTS, **(data.get("metadata_options") or {})},
        "Monitoring": {"State": data.get("monitoring", "disabled")},
        "MaintenanceOptions": {"AutoRecovery": data.get("auto_recovery", "default")},
    }


def describe(server: Any, lookups: Lookups) -> dict:
    """The EC2 ``Instance`` dict for a live Nova server."""
    instance_id = lookups.instance_ids[server.id]
    data = lookups.data.get(instance_id, {})
    name = state_name(server)
    interfaces = _network_interfaces(server, lookups, instance_id)
    primary = interfaces[0] if interfaces else {}
    private_ip = primary.get("PrivateIpAddress") or None
    public_ip = (primary.get("Association") or {}).get("PublicIp")
    image = _image_id(server)
    devices = _block_devices(server, lookups)
    # Nova shows a volume-backed server no image and the root device to admins only: RunInstances keeps both.
    root_device = server.root_device_name or data.get("root_device_name") or "/dev/sda1"
    groups = {(g["GroupId"], g["GroupName"]) for eni in interfaces for g in eni["Groups"]}
    if not groups:
        groups = {("", g.get("name", "")) for g in server.security_groups or []}
    launched = parse_os_time(server.launched_at) or parse_os_time(server.created_at)
    flavor = server.flavor if isinstance(server.flavor, dict) else {}
    instance: dict[str, Any] = {
        "InstanceId": instance_id,
        "ImageId": lookups.image_ids.get(image, "") if image else data.get("image_id", ""),
        "State": state(name),
        "PrivateDnsName": dns_name(private_ip, lookups.region),
        "PublicDnsName": "",
        "StateTransitionReason": "",
        "AmiLaunchIndex": int(data.get("launch_index", server.launch_index or 0) or 0),
        "ProductCodes": [],
        "InstanceType": instance_type(server, lookups),
        "LaunchTime": launched,
        "Placement": placement(server, data),
        "Architecture": data.get("architecture", "x86_64"),
        "RootDeviceType": "ebs" if any(d["DeviceName"] == root_device for d in devices) or not image
        else "instance-store",
        "RootDeviceName": root_device,
        "BlockDeviceMappings": devices,
        "VirtualizationType": "hvm",
        "Hypervisor": "xen",
        "ClientToken": data.get("client_token", ""),
        "Tags": lookups.tags.get(instance_id, []),
        "SecurityGroups": [{"GroupId": gid, "GroupName": gname} for gid, gname in sorted(groups)],
        "SourceDestCheck": all(eni["SourceDestCheck"] for eni in interfaces) if interfaces else True,
        "NetworkInterfaces": interfaces,
        "EbsOptimized": False,
        "EnaSupport": True,
        "CpuOptions": {"CoreCount": int(flavor.get("vcpus", 1) or 1), "ThreadsPerCore": 1},
        "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
        "HibernationOptions": {"Configured": False},
        "EnclaveOptions": {"Enabled": False},
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "UsageOperationUpdateTime": launched,
        "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                  "EnableResourceNameDnsAAAARecord": False},
        "CurrentInstanceBootMode": "legacy-bios",
        **settings(data),
    }
    if key := server.key_name:
        instance["KeyName"] = key
    if private_ip:
        instance["PrivateIpAddress"] = private_ip
    if public_ip:
        instance["PublicIpAddress"] = public_ip
    if primary:
        instance["SubnetId"] = primary["SubnetId"]
        instance["VpcId"] = primary["VpcId"]
    if name in ("stopped", "terminated") and (server.vm_state or "") == "error":
        instance["StateReason"] = {"Code": "Server.InternalError", "Message": "Server.InternalError: the instance failed to start"}
        instance["StateTransitionReason"] = "Server.InternalError"
    if launched is None:
        del instance["LaunchTime"], instance["UsageOperationUpdateTime"]
    return instance


def terminated_view(snapshot: dict, terminated_at: datetime) -> dict:
    """A terminated instance as AWS keeps showing it for a while: no addresses, no devices."""
    instance = dict(snapshot)
    instance["State"] = state("terminated")
    for key in ("PrivateIpAddress", "PublicIpAddress", "SubnetId", "VpcId"):
        instance.pop(key, None)
    instance.update({"PrivateDnsName": "", "PublicDnsName": "", "NetworkInterfaces": [], "BlockDeviceMappings": [],
                     "SecurityGroups": [],
                     "StateTransitionReason": f"User initiated ({terminated_at:%Y-%m-%d %H:%M:%S} GMT)",
                     "StateReason": {"Code": "Client.UserInitiatedShutdown",
                                     "Message": "Client.UserInitiatedShutdown: User initiated shutdown"}})
    return instance
