"""Instances on Nova servers: launch, describe, stop, start, reboot, terminate, attributes, console.

Ids: an instance's ``i-`` id maps to its Nova server; a reservation's ``r-`` id to the Nova
reservation id of the create call that launched it (one RunInstances = one Nova create with
min/max count = one reservation). Facts Nova does not keep (client token, launch index,
DisableApiTermination, InstanceInitiatedShutdownBehavior, user data, and the last view of a
terminated instance) live in ec2api's database beside the id.

Default network rule: without a SubnetId (and without NetworkInterfaces naming one), an instance is
attached to the project's default VPC network (``ec2api_runtime.networks``).

Terminated instances stay visible: TerminateInstances keeps the instance's last view, and
DescribeInstances shows it as ``terminated`` for ``terminated_visible_seconds`` (one hour by
default), as AWS does, so ``instance_terminated`` waiters finish.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any

from ec2api_runtime import describe, networks, pagination, parallel
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.filters import apply_filters
from ec2api_runtime.honours import ANY, Spec, unsupported
from ec2api_runtime.tagging import tags_from_specs
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers import _instance_view as view
from handlers import _lifecycle as lifecycle
from handlers import images

KIND = "i"
DEFAULT_INSTANCE_TYPE = "t3.micro"
USER_DATA_LIMIT = 16 * 1024


# ------------------------------------------------------------------------------------------------
# Fetching in bulk

# What Neutron adds to servers: the project's ports, {port: floating IP}, {group id: name}.
Neutron = tuple[list[bulk.Port], dict[str, str], dict[str, str]]


def _neutron_listings(ctx: Any) -> list[Any]:
    bulk.prepare(ctx, "network")
    return [lambda: bulk.ports(ctx), lambda: bulk.floating_ips(ctx), lambda: bulk.security_group_names(ctx)]


def _servers_and_neutron(ctx: Any) -> tuple[list[bulk.Server], Neutron]:
    """Every server and what Neutron knows of them: four listings, fetched at the same time."""
    bulk.prepare(ctx, "compute")
    servers, *neutron = parallel.gather(lambda: bulk.servers(ctx), *_neutron_listings(ctx))
    return servers, tuple(neutron)


def _neutron_of(ctx: Any, server_ids: list[str]) -> Neutron:
    """What Neutron knows of these servers only: their ports, then (at the same time) their
    floating IPs and the names of their groups. Three calls, whatever the project's size."""
    bulk.prepare(ctx, "network")
    ports = bulk.ports(ctx, device_ids=server_ids)
    group_ids = {g for p in ports for g in p.security_group_ids}
    floating, group_names = parallel.gather(lambda: bulk.floating_ips(ctx, port_ids=[p.id for p in ports]),
                                            lambda: bulk.security_group_names(ctx, group_ids))
    return ports, floating, group_names


def _lookups(ctx: Any, servers: list[Any], neutron: Neutron | None = None,
             data_ids: list[str] | None = None) -> view.Lookups:
    """Join everything DescribeInstances shows: a fixed number of OpenStack calls and queries.

    ``neutron`` is listed here unless the caller fetched it with the servers. ``data_ids``: the
    request names its instances, so Neutron, Cinder and the database are asked about those only
    (cost follows the result); otherwise the project's listings are used.
    """
    server_ids = [srv.id for srv in servers]
    wanted = set(server_ids)
    by_ids = data_ids is not None
    ports, floating, group_names, volumes = [], {}, {}, []
    if servers:
        if neutron is None:
            neutron = _neutron_of(ctx, server_ids) if by_ids else parallel.gather(*_neutron_listings(ctx))
        ports, floating, group_names = neutron
        ports = [p for p in ports if p.device_id in wanted]
        attached = [v["id"] for srv in servers for v in srv.attached_volumes if isinstance(v, dict) and v.get("id")]
        if attached and by_ids:
            storage = ctx.os.block_storage   # built in this thread, not in the pool's
            volumes = [v for v in parallel.gather(*[lambda vid=vid: bulk.volume(storage, vid) for vid in attached])
                       if v is not None]
        elif attached:
            volumes = list(ctx.os.block_storage.volumes(details=True))
    flavor_names = {}
    if any(isinstance(srv.flavor, dict) and "original_name" not in srv.flavor for srv in servers):
        flavor_names = {f.id: f.name for f in ctx.os.compute.flavors()}
    image_glance_ids = {srv.image.get("id") for srv in servers if isinstance(srv.image, dict) and srv.image.get("id")}
    networks_ids = {p.network_id for p in ports}
    subnets = {ip["subnet_id"] for p in ports for ip in p.fixed_ips or []}
    owner_id = ctx.account_id   # before the session below: it opens its own
    with ctx.session() as s:
        instance_ids = ids.ec2_ids(s, ctx.project_id, KIND, server_ids)
        if by_ids:
            data = ids.get_data_many(s, ctx.project_id, [*data_ids, *instance_ids.values()])
        else:
            data = {ec2_id: d for ec2_id, (_, d) in ids.items_with_data(s, ctx.project_id, KIND).items()}
        reservations = {srv.id: data.get(instance_ids[srv.id], {}).get("reservation") or srv.reservation_id
                        or srv.id for srv in servers}
        reservation_ids = ids.ec2_ids(s, ctx.project_id, "r", set(reservations.values()))
        lookups = view.Lookups(
            region=ctx.region,
            owner_id=owner_id,
            instance_ids=instance_ids,
            reservation_ids={sid: reservation_ids[r] for sid, r in reservations.items()},
            image_ids=images.image_ids(s, image_glance_ids),
            data=data,
            tags=tags.tags_for(s, ctx.project_id, list(instance_ids.values()) + list(data)),
            ports_by_server={},
            floating_by_port=floating,
            group_names=group_names,
            group_ids=ids.ec2_ids(s, ctx.project_id, "sg", list(group_names)),
            vpc_ids=ids.ec2_ids(s, ctx.project_id, "vpc", networks_ids),
            subnet_ids=ids.ec2_ids(s, ctx.project_id, "subnet", subnets),
            eni_ids=ids.ec2_ids(s, ctx.project_id, "eni", [p.id for p in ports]),
            volume_ids=ids.ec2_ids(s, ctx.project_id, "vol", [v.id for v in volumes]),
            flavor_names=flavor_names,
        )
    for port in ports:
        lookups.ports_by_server.setdefault(port.device_id, []).append(port)
    for volume in volumes:
        for attachment in volume.attachments or []:
            lookups.attachments[(attachment.get("server_id"), volume.id)] = attachment
    return lookups


def _visible_terminated(ctx: Any, lookups: view.Lookups, live: set[str]) -> list[tuple[str, dict]]:
    """``(reservation id, instance)`` for instances terminated recently enough to still be shown."""
    horizon = datetime.now(UTC) - timedelta(seconds=ctx.config.terminated_visible_seconds)
    out = []
    for instance_id, data in lookups.data.items():
        snapshot = data.get("terminated")
        if not snapshot or instance_id in live:
            continue
        when = parse_os_time(data.get("terminated_at"))
        if when is None or when < horizon:
            continue
        instance = view.terminated_view(_decode(snapshot), when)
        instance["Tags"] = lookups.tags.get(instance_id, [])
        out.append((data.get("reservation_ec2_id", ""), instance))
    return out


def _encode(instance: dict) -> dict:
    """An instance view as JSON (datetimes as ISO strings) for the database."""
    def enc(v: Any) -> Any:
        if isinstance(v, datetime):
            return {"$dt": v.isoformat()}
        if isinstance(v, dict):
            return {k: enc(x) for k, x in v.items()}
        if isinstance(v, list):
            return [enc(x) for x in v]
        return v
    return enc(instance)


def _decode(stored: Any) -> Any:
    if isinstance(stored, dict):
        if set(stored) == {"$dt"}:
            return datetime.fromisoformat(stored["$dt"])
        return {k: _decode(v) for k, v in stored.items()}
    if isinstance(stored, list):
        return [_decode(v) for v in stored]
    return stored


# ------------------------------------------------------------------------------------------------
# Resolving the caller's ids

def _resolve(ctx: Any, instance_ids: list[str]) -> dict[str, str]:
    """``{i-...: server id}``; Malformed / NotFound errors as AWS gives them, before anything acts."""
    ids.require_well_formed(KIND, instance_ids)
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, instance_ids)
    missing = [i for i in instance_ids if i not in known]
    if missing:
        raise EC2Error("InvalidInstanceID.NotFound",
                       f"The instance ID{'s' if len(missing) > 1 else ''} '{', '.join(missing)}' do"
                       f"{'' if len(missing) > 1 else 'es'} not exist")
    return known


def _live_servers(ctx: Any, wanted: dict[str, str]) -> dict[str, Any]:
    """``{i-...: server}`` for the wanted instances that still exist in Nova (one GET each, at once)."""
    bulk.prepare(ctx, "compute")
    by_id = {srv.id: srv for srv in bulk.servers_by_id(ctx, wanted.values())}
    return {iid: by_id[sid] for iid, sid in wanted.items() if sid in by_id}


def _data(ctx: Any, instance_ids: list[str]) -> dict[str, dict]:
    with ctx.session() as s:
        return ids.get_data_many(s, ctx.project_id, instance_ids)


def _update_data(ctx: Any, instance_id: str, **changes: Any) -> None:
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, [instance_id]).get(instance_id, {})
        data.update(changes)
        ids.set_data(s, ctx.project_id, instance_id, data)


# ------------------------------------------------------------------------------------------------
# DescribeInstances

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


def _all_instances(ctx: Any, instance_ids: list[str] | None = None) -> list[tuple[str, dict]]:
    """``(reservation id, instance)`` for every instance the caller can see, live and recently
    terminated; or for ``instance_ids`` only, fetched by id (cost follows the result)."""
    if instance_ids:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, instance_ids)
        bulk.prepare(ctx, "compute")
        servers = bulk.servers_by_id(ctx, known.values())
        lookups = _lookups(ctx, servers, data_ids=list(known))
    else:
        servers, neutron = _servers_and_neutron(ctx)
        lookups = _lookups(ctx, servers, neutron)
    _apply_pending_volume_tags(ctx, servers, lookups)
    live = [(lookups.reservation_ids[srv.id], view.describe(srv, lookups)) for srv in servers]
    live_ids = {i["InstanceId"] for _, i in live}
    if not instance_ids:   # only a whole listing knows what is gone
        lifecycle.forget(ctx, [i for i in lifecycle.expired(lookups.data, ctx.config.terminated_visible_seconds)
                               if i not in live_ids])
    return live + _visible_terminated(ctx, lookups, live_ids)


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The caller's instances (or the requested ones), each knowing its reservation and owner."""
    owner = ctx.account_id
    pairs = _all_instances(ctx, wanted["InstanceIds"])
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
)


# IncludeManagedResources: no instance here is managed by another service, so both values are one answer.
@handler("DescribeInstances", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceIds", "Filters", "MaxResults", "NextToken", "IncludeManagedResources"))
def describe_instances(ctx: Any, params: dict) -> dict:
    """Reservations of the caller's instances, by id and filter, paged by reservation."""
    return describe.run(ctx, params, DESCRIBE)


def _apply_pending_volume_tags(ctx: Any, servers: list[Any], lookups: view.Lookups) -> None:
    """Tag the volumes RunInstances asked to tag once Nova has created and attached them."""
    pending = {srv.id: lookups.data[lookups.instance_ids[srv.id]]["volume_tags"] for srv in servers
               if lookups.data.get(lookups.instance_ids[srv.id], {}).get("volume_tags") and srv.attached_volumes}
    if not pending:
        return
    with ctx.session() as s:
        for server_id, volume_tags in pending.items():
            srv = next(x for x in servers if x.id == server_id)
            vol_ids = [ids.ec2_id(s, ctx.project_id, "vol", v["id"]) for v in srv.attached_volumes]
            tags.set_tags(s, ctx.project_id, vol_ids, volume_tags)
            instance_id = lookups.instance_ids[server_id]
            data = dict(lookups.data[instance_id])
            data.pop("volume_tags")
            ids.set_data(s, ctx.project_id, instance_id, data)
            lookups.data[instance_id] = data


# ------------------------------------------------------------------------------------------------
# RunInstances

def _image(ctx: Any, image_id: str) -> dict:
    """The Glance image (JSON dict) to launch from: visible to the caller and available."""
    image = images.resolve(ctx, image_id)
    if image.get("status") != "active":
        raise EC2Error("InvalidAMIID.Unavailable", f"The image '{image_id}' is not available")
    return image


def _flavor(ctx: Any, instance_type: str) -> Any:
    flavor = ctx.os.compute.find_flavor(instance_type, ignore_missing=True)
    if flavor is None or flavor.name != instance_type:
        raise EC2Error("InvalidParameterValue", f"Invalid value '{instance_type}' for InstanceType.")
    return flavor


def _network_spec(ctx: Any, params: dict) -> tuple[dict, str | None, list[str], list[str]]:
    """``(nova network entry, neutron subnet id, security group ids, security group names)``.

    The aws CLI folds --associate-public-ip-address and secondary IPs into NetworkInterfaces[0],
    moving SubnetId, groups and the private IP there; both spellings are accepted.
    """
    interfaces = params.get("NetworkInterfaces") or []
    if len(interfaces) > 1:
        raise EC2Error("Unsupported", "Only one network interface can be given at launch.")
    eni = interfaces[0] if interfaces else {}
    if eni.get("NetworkInterfaceId"):
        raise EC2Error("Unsupported", "Attaching an existing network interface at launch is not supported.")
    if eni and (params.get("SubnetId") or params.get("SecurityGroupIds") or params.get("PrivateIpAddress")):
        raise EC2Error("InvalidParameterCombination",
                       "Network interfaces and an instance-level subnet, security groups or private IP "
                       "addresses cannot be specified on the same request")
    subnet_id = eni.get("SubnetId") or params.get("SubnetId")
    group_ids = list(eni.get("Groups") or params.get("SecurityGroupIds") or [])
    group_names = list(params.get("SecurityGroups") or [])
    private_ip = eni.get("PrivateIpAddress") or params.get("PrivateIpAddress")
    if subnet_id:
        if not ids.is_well_formed("subnet", subnet_id):
            raise ids.malformed("subnet", subnet_id)
        with ctx.session() as s:
            neutron_subnet = ids.os_id(s, ctx.project_id, subnet_id)
        subnet = ctx.os.network.find_subnet(neutron_subnet, ignore_missing=True) if neutron_subnet else None
        if subnet is None:
            raise EC2Error("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist")
        network_id, subnet_uuid = subnet.network_id, subnet.id
    else:
        net = networks.default_network(ctx)
        if net is None:
            raise EC2Error("VPCIdNotSpecified", "No default VPC for this user")
        network_id, subnet_uuid = net.id, (sorted(net.subnet_ids or []) or [None])[0]
    entry: dict = {"uuid": network_id}
    if private_ip:
        entry["fixed_ip"] = private_ip
    return entry, subnet_uuid, group_ids, group_names


def _security_groups(ctx: Any, group_ids: list[str], group_names: list[str]) -> list[str]:
    """Neutron security group ids for the requested ids and names (names of the caller's groups)."""
    ids.require_well_formed("sg", group_ids)
    with ctx.session() as s:
        known = ids.os_ids(s, ctx.project_id, group_ids)
    out = []
    for gid in group_ids:
        if gid not in known:
            raise EC2Error("InvalidGroup.NotFound", f"The security group '{gid}' does not exist")
        out.append(known[gid])
    if group_names:
        by_name = {g.name: g.id for g in ctx.os.network.security_groups(project_id=ctx.project_id)}
        for name in group_names:
            if name not in by_name:
                raise EC2Error("InvalidGroup.NotFound", f"The security group '{name}' does not exist in default VPC")
            out.append(by_name[name])
    return out


def _block_device_mappings(ctx: Any, params: dict, image: dict) -> list[dict] | None:
    """Nova block_device_mapping_v2 for BlockDeviceMappings (boot from volume where Cinder allows)."""
    mappings = params.get("BlockDeviceMappings") or []
    if not mappings:
        return None
    out = [{"boot_index": 0, "uuid": image["id"], "source_type": "image", "destination_type": "local",
            "delete_on_termination": True}]
    for m in mappings:
        ebs = m.get("Ebs")
        device = m.get("DeviceName", "")
        if m.get("NoDevice") is not None or not ebs:
            continue
        is_root = device in ("/dev/sda1", "/dev/xvda", "/dev/sda", "/dev/vda")
        size = ebs.get("VolumeSize")
        entry: dict = {"delete_on_termination": ebs.get("DeleteOnTermination", True),
                       "destination_type": "volume", "device_name": device}
        if ebs.get("SnapshotId"):
            with ctx.session() as s:
                snap = ids.os_id(s, ctx.project_id, ebs["SnapshotId"])
            if snap is None:
                raise EC2Error("InvalidSnapshot.NotFound", f"The snapshot '{ebs['SnapshotId']}' does not exist")
            entry.update(source_type="snapshot", uuid=snap)
        elif is_root:
            entry.update(source_type="image", uuid=image["id"])
        else:
            entry.update(source_type="blank")
        if size:
            entry["volume_size"] = size
        elif entry["source_type"] != "snapshot":
            entry["volume_size"] = max(1, int(image.get("min_disk") or 1))
        # VolumeType is not passed on: EC2's type names (gp3, io2...) are not Cinder's; Cinder's
        # default type serves them all.
        if is_root:
            entry["boot_index"] = 0
            out[0] = entry
        else:
            entry["boot_index"] = -1
            out.append(entry)
    return out


# Members RunInstances honours for some sub-members or values only (``ec2api_runtime.honours``). The
# values accepted are the ones this cloud gives every instance, and what DescribeInstances shows:
# monitoring disabled, standard credits, no hibernation, IMDS as Nova serves it, and so on.
_RUN_PARTLY: dict[str, Spec] = {
    "BlockDeviceMappings": {"DeviceName": ANY, "Ebs": {
        "DeleteOnTermination": ANY, "SnapshotId": ANY, "VolumeSize": ANY, "Encrypted": (False,),
        # Cinder's default type serves every volume; DescribeVolumes reports it as gp3 (3000 IOPS, 125 MB/s).
        "VolumeType": ("gp3",), "Iops": (3000,), "Throughput": (125,)}},
    "NetworkInterfaces": {"DeviceIndex": (0,), "SubnetId": ANY, "Groups": ANY, "PrivateIpAddress": ANY,
                          # Nova deletes the ports it made with the server; no public address at launch.
                          "DeleteOnTermination": (True,), "AssociatePublicIpAddress": (False,)},
    "Placement": {"AvailabilityZone": ANY, "Tenancy": ("default",), "GroupName": ("",)},
    "Monitoring": {"Enabled": (False,)},
    "CreditSpecification": {"CpuCredits": ("standard",)},
    "HibernationOptions": {"Configured": (False,)},
    "CapacityReservationSpecification": {"CapacityReservationPreference": ("open",)},
    "MetadataOptions": {"HttpTokens": ("optional",), "HttpPutResponseHopLimit": (1,), "HttpEndpoint": ("enabled",),
                        "HttpProtocolIpv6": ("disabled",), "InstanceMetadataTags": ("disabled",)},
    "EnclaveOptions": {"Enabled": (False,)},
    "PrivateDnsNameOptions": {"HostnameType": ("ip-name",), "EnableResourceNameDnsARecord": (False,),
                              "EnableResourceNameDnsAAAARecord": (False,)},
    "MaintenanceOptions": {"AutoRecovery": ("default",)},
    "DisableApiStop": (False,),
    "EbsOptimized": (False,),
    "EnablePrimaryIpv6": (False,),
    # A guest that shuts itself down stays stopped (Nova SHUTOFF): nothing here would terminate it.
    "InstanceInitiatedShutdownBehavior": ("stop",),
}


@handler("RunInstances", not_found="InvalidParameterValue", limit_exceeded="InstanceLimitExceeded",
         honours=("ImageId", "InstanceType", "KeyName", "MinCount", "MaxCount", "SecurityGroupIds",
                  "SecurityGroups", "SubnetId", "PrivateIpAddress", "UserData", "TagSpecifications",
                  "DisableApiTermination"),
         partly=_RUN_PARTLY)
def run_instances(ctx: Any, params: dict) -> dict:
    """Launch MinCount..MaxCount instances as one reservation (one Nova create call)."""
    min_count, max_count = params["MinCount"], params["MaxCount"]
    if min_count < 1 or max_count < min_count:
        raise EC2Error("InvalidParameterValue",
                       f"MinCount ({min_count}) must be at least 1 and at most MaxCount ({max_count}).")
    if not params.get("ImageId"):
        raise EC2Error("MissingParameter", "The request must contain the parameter ImageId")
    # Network interfaces are not tagged at launch yet (their ports appear after the launch returns);
    # refused by tags_from_specs rather than accepted and dropped.
    instance_tags = tags_from_specs(params.get("TagSpecifications"), "instance", allowed=("instance", "volume"))
    volume_tags = tags_from_specs(params.get("TagSpecifications"), "volume", allowed=("instance", "volume"))
    user_data = params.get("UserData")
    if user_data is not None:
        try:
            decoded = base64.b64decode(user_data, validate=True)
        except (binascii.Error, ValueError):
            raise EC2Error("InvalidUserData.Malformed", "User data must be base64-encoded.") from None
        if len(decoded) > USER_DATA_LIMIT:
            raise EC2Error("InvalidParameterValue", "User data is limited to 16384 bytes")
    shutdown = params.get("InstanceInitiatedShutdownBehavior", "stop")

    # Everything is checked before anything is created.
    image = _image(ctx, params["ImageId"])
    flavor = _flavor(ctx, params.get("InstanceType") or DEFAULT_INSTANCE_TYPE)
    if params.get("KeyName") and ctx.os.compute.find_keypair(params["KeyName"], ignore_missing=True) is None:
        raise EC2Error("InvalidKeyPair.NotFound", f"The key pair '{params['KeyName']}' does not exist")
    network, subnet_uuid, group_ids, group_names = _network_spec(ctx, params)
    groups = _security_groups(ctx, group_ids, group_names)
    bdm = _block_device_mappings(ctx, params, image)
    name = next((t["Value"] for t in instance_tags if t["Key"] == "Name" and t["Value"]), "ec2-instance")

    body: dict[str, Any] = {
        "name": name, "flavorRef": flavor.id, "min_count": min_count, "max_count": max_count,
        "networks": [network], "return_reservation_id": True,
        "metadata": {"ec2api:launched": "true"},
    }
    if bdm:
        body["block_device_mapping_v2"] = bdm
        if bdm[0].get("destination_type") != "volume":
            body["imageRef"] = image["id"]
    else:
        body["imageRef"] = image["id"]
    if groups:
        body["security_groups"] = [{"name": g} for g in dict.fromkeys(groups)]
    if params.get("KeyName"):
        body["key_name"] = params["KeyName"]
    if user_data:
        body["user_data"] = user_data
    zone = (params.get("Placement") or {}).get("AvailabilityZone")
    if zone:
        body["availability_zone"] = zone
    resp = ctx.os.compute.post("/servers", json={"server": body}, microversion="2.67")
    _raise_for(resp)
    reservation = resp.json()["reservation_id"]
    servers = bulk.servers(ctx, reservation_id=reservation)
    try:
        servers.sort(key=lambda srv: (srv.launch_index or 0, srv.created_at or "", srv.id))
        with ctx.session() as s:
            reservation_id = ids.ec2_id(s, ctx.project_id, "r", reservation)
            id_of = ids.ec2_ids(s, ctx.project_id, KIND, [srv.id for srv in servers])
            for index, srv in enumerate(servers):
                data = {"reservation": reservation, "reservation_ec2_id": reservation_id,
                        "launch_index": index, "client_token": params.get("ClientToken", ""),
                        "disable_api_termination": bool(params.get("DisableApiTermination", False)),
                        "shutdown_behavior": shutdown}
                if user_data:
                    data["user_data"] = user_data
                if volume_tags:
                    data["volume_tags"] = volume_tags
                ids.set_data(s, ctx.project_id, id_of[srv.id], data)
            if instance_tags:
                tags.set_tags(s, ctx.project_id, list(id_of.values()), instance_tags)
    except BaseException:
        for srv in servers:
            ctx.os.compute.delete_server(srv.id, ignore_missing=True)
        raise
    lookups = _lookups(ctx, servers, data_ids=list(id_of.values()))
    instances = [view.describe(srv, lookups) for srv in servers]
    with ctx.session() as s:
        # Nova creates the ports a moment later; the subnet and VPC are known from the request.
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", network["uuid"])
        subnet_id = ids.ec2_id(s, ctx.project_id, "subnet", subnet_uuid) if subnet_uuid else None
    for i in instances:
        i.setdefault("VpcId", vpc_id)
        if subnet_id:
            i.setdefault("SubnetId", subnet_id)
        if not i["Tags"]:
            del i["Tags"]
    return {"ReservationId": reservation_id, "OwnerId": ctx.account_id, "Groups": [], "Instances": instances}


def _raise_for(resp: Any) -> None:
    """Turn a raw Nova response's failure into the matching openstacksdk exception (faults maps it)."""
    from openstack import exceptions

    exceptions.raise_from_response(resp)


# ------------------------------------------------------------------------------------------------
# State changes

_VERBS = {"running": "started", "stopped": "stopped", "terminated": "terminated"}


def _transitions(ctx: Any, params: dict, action: Any, allowed: set[str] | None = None,
                 target: str | None = None) -> list[dict]:
    wanted = _resolve(ctx, params["InstanceIds"])
    live = _live_servers(ctx, wanted)
    terminated = _data(ctx, list(wanted))
    changes = []
    for instance_id in params["InstanceIds"]:
        srv = live.get(instance_id)
        before = view.state_name(srv) if srv else "terminated"
        if srv is None or (allowed is not None and before not in allowed):
            if target == before:
                changes.append((instance_id, None, before, before))
                continue
            if srv is None and "terminated" in terminated.get(instance_id, {}) and target == "terminated":
                changes.append((instance_id, None, before, before))
                continue
            verb = _VERBS.get(target or "", "changed")
            raise EC2Error("IncorrectInstanceState",
                           f"The instance '{instance_id}' is not in a state from which it can be {verb}.")
        changes.append((instance_id, srv, before, None))
    out = []
    for instance_id, srv, before, after in changes:
        if srv is not None:
            after = action(instance_id, srv, before)
        out.append({"InstanceId": instance_id, "PreviousState": view.state(before),
                    "CurrentState": view.state(after)})
    return out


@handler("StopInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",),
         partly={"Hibernate": (False,), "Force": (False,), "SkipOsShutdown": (False,)})
def stop_instances(ctx: Any, params: dict) -> dict:
    """Stop (Nova stop); stopping a stopped instance is a no-op, as on AWS."""
    def stop(instance_id: str, srv: Any, before: str) -> str:
        if before == "stopped":
            return "stopped"
        ctx.os.compute.stop_server(srv.id)
        return "stopping"
    return {"StoppingInstances": _transitions(ctx, params, stop, {"running", "stopping", "stopped", "pending"},
                                              target="stopped")}


@handler("StartInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",))
def start_instances(ctx: Any, params: dict) -> dict:
    """Start (Nova start); a terminated instance cannot be started."""
    def start(instance_id: str, srv: Any, before: str) -> str:
        if before in ("running", "pending"):
            return before
        if (srv.vm_state or "") in ("shelved", "shelved_offloaded"):
            ctx.os.compute.unshelve_server(srv.id)
        else:
            ctx.os.compute.start_server(srv.id)
        return "pending"
    return {"StartingInstances": _transitions(ctx, params, start, {"stopped", "running", "pending"},
                                              target="running")}


@handler("RebootInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",))
def reboot_instances(ctx: Any, params: dict) -> None:
    """Soft reboot; AWS answers only success."""
    def reboot(instance_id: str, srv: Any, before: str) -> str:
        ctx.os.compute.reboot_server(srv.id, "SOFT")
        return before
    _transitions(ctx, params, reboot, {"running"}, target="running")


@handler("TerminateInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",),
         partly={"Force": (False,), "SkipOsShutdown": (False,)})
def terminate_instances(ctx: Any, params: dict) -> dict:
    """Delete the Nova servers; each stays visible as terminated for a while."""
    wanted = _resolve(ctx, params["InstanceIds"])
    data = _data(ctx, list(wanted))
    protected = [i for i in params["InstanceIds"] if data.get(i, {}).get("disable_api_termination")]
    if protected:
        raise EC2Error("OperationNotPermitted",
                       f"The instance '{protected[0]}' may not be terminated. Modify its "
                       "'disableApiTermination' instance attribute and try again.")
    bulk.prepare(ctx, "compute")
    servers = bulk.servers_by_id(ctx, wanted.values())
    lookups = _lookups(ctx, servers, data_ids=list(wanted))
    snapshots = {lookups.instance_ids[srv.id]: view.describe(srv, lookups) for srv in servers}
    now = datetime.now(UTC)

    def terminate(instance_id: str, srv: Any, before: str) -> str:
        record = dict(data.get(instance_id, {}))
        snapshot = snapshots[instance_id]
        snapshot.pop("Tags", None)
        record.update(terminated=_encode(snapshot), terminated_at=now.isoformat(),
                      reservation_ec2_id=record.get("reservation_ec2_id") or lookups.reservation_ids[srv.id])
        with ctx.session() as s:
            ids.set_data(s, ctx.project_id, instance_id, record)
        ctx.os.compute.delete_server(srv.id)
        return "shutting-down"
    return {"TerminatingInstances": _transitions(ctx, params, terminate, None, target="terminated")}


# ------------------------------------------------------------------------------------------------
# Status, attributes, console

@handler("DescribeInstanceStatus", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceIds", "Filters", "MaxResults", "NextToken", "IncludeAllInstances",
                  "IncludeManagedResources"))
def describe_instance_status(ctx: Any, params: dict) -> dict:
    """Status checks: running instances pass (no data plane here to check anything deeper).

    As on AWS, only running instances are listed (even when named by id) unless
    ``IncludeAllInstances`` is true.
    """
    wanted = params.get("InstanceIds") or []
    if wanted:
        _resolve(ctx, wanted)
    pairs = _all_instances(ctx, wanted)
    statuses = []
    for _, i in pairs:
        if wanted and i["InstanceId"] not in wanted:
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
    statuses = apply_filters("DescribeInstanceStatus", params.get("Filters"), statuses, {
        "availability-zone": lambda s: s["AvailabilityZone"],
        "instance-state-code": lambda s: s["InstanceState"]["Code"],
        "instance-state-name": lambda s: s["InstanceState"]["Name"],
        "instance-status.status": lambda s: s["InstanceStatus"]["Status"],
        "instance-status.reachability": lambda s: s["InstanceStatus"]["Details"][0]["Status"],
        "system-status.status": lambda s: s["SystemStatus"]["Status"],
        "system-status.reachability": lambda s: s["SystemStatus"]["Details"][0]["Status"],
    })
    return pagination.page(ctx, params, "DescribeInstanceStatus", "InstanceStatuses", statuses,
                           key=lambda s: s["InstanceId"])


def _one_instance(ctx: Any, instance_id: str) -> tuple[Any, dict, dict]:
    """(server, EC2 view, stored data) of one live instance of the caller."""
    wanted = _resolve(ctx, [instance_id])
    live = _live_servers(ctx, wanted)
    srv = live.get(instance_id)
    if srv is None:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    lookups = _lookups(ctx, [srv], data_ids=[instance_id])
    return srv, view.describe(srv, lookups), lookups.data.get(instance_id, {})


# Attributes answered from ec2api's own record of the instance (or constant): no Neutron lookups.
_STORED_ATTRIBUTES = frozenset({"userData", "disableApiTermination", "disableApiStop",
                                "instanceInitiatedShutdownBehavior", "kernel", "ramdisk", "productCodes",
                                "ebsOptimized", "sriovNetSupport", "enaSupport", "enclaveOptions"})


@handler("DescribeInstanceAttribute", not_found="InvalidInstanceID.NotFound", honours=("InstanceId", "Attribute"))
def describe_instance_attribute(ctx: Any, params: dict) -> dict:
    """One attribute of an instance, as AWS names them (instanceType, userData, groupSet, ...)."""
    attribute = params["Attribute"]
    instance_id = params["InstanceId"]
    if attribute in _STORED_ATTRIBUTES:
        # Kept by ec2api, not by OpenStack: one GET confirms the instance exists, no view is built
        # (Terraform reads four of these per instance on every refresh).
        wanted = _resolve(ctx, [instance_id])
        if instance_id not in _live_servers(ctx, wanted):
            raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
        instance, data = {}, _data(ctx, [instance_id]).get(instance_id, {})
    else:
        _, instance, data = _one_instance(ctx, instance_id)
    out: dict[str, Any] = {"InstanceId": instance_id}
    value = {
        "instanceType": lambda: {"InstanceType": {"Value": instance["InstanceType"]}},
        "kernel": lambda: {"KernelId": {}},
        "ramdisk": lambda: {"RamdiskId": {}},
        "userData": lambda: {"UserData": {"Value": data["user_data"]} if data.get("user_data") else {}},
        "disableApiTermination": lambda: {"DisableApiTermination": {
            "Value": bool(data.get("disable_api_termination", False))}},
        "disableApiStop": lambda: {"DisableApiStop": {"Value": False}},
        "instanceInitiatedShutdownBehavior": lambda: {"InstanceInitiatedShutdownBehavior": {
            "Value": data.get("shutdown_behavior", "stop")}},
        "rootDeviceName": lambda: {"RootDeviceName": {"Value": instance["RootDeviceName"]}},
        "blockDeviceMapping": lambda: {"BlockDeviceMappings": instance["BlockDeviceMappings"]},
        "productCodes": lambda: {"ProductCodes": []},
        "sourceDestCheck": lambda: {"SourceDestCheck": {"Value": instance["SourceDestCheck"]}},
        "groupSet": lambda: {"Groups": instance["SecurityGroups"]},
        "ebsOptimized": lambda: {"EbsOptimized": {"Value": False}},
        "sriovNetSupport": lambda: {"SriovNetSupport": {}},
        "enaSupport": lambda: {"EnaSupport": {"Value": True}},
        "enclaveOptions": lambda: {"EnclaveOptions": {"Enabled": False}},
    }.get(attribute)
    if value is None:
        raise EC2Error("InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid.")
    out.update(value())
    return out


# The values accepted for EnclaveOptions, DisableApiStop, EbsOptimized and EnaSupport are the ones every
# instance has here (a no-op, truthfully); the handler refuses the plain Value of the others itself.
@handler("ModifyInstanceAttribute", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceId", "Value", "InstanceType", "DisableApiTermination", "UserData", "Groups"),
         partly={"Attribute": ("instanceType", "disableApiTermination", "instanceInitiatedShutdownBehavior",
                               "userData", "groupSet", "sourceDestCheck"),
                 "InstanceInitiatedShutdownBehavior": {"Value": ("stop",)}, "SourceDestCheck": {"Value": (True,)},
                 "EnclaveOptions": {"Enabled": (False,)}, "DisableApiStop": {"Value": (False,)},
                 "EbsOptimized": {"Value": (False,)}, "EnaSupport": {"Value": (True,)}})
def modify_instance_attribute(ctx: Any, params: dict) -> None:
    """instanceType (stopped instances: a Nova resize), userData (stopped), termination protection,
    shutdown behaviour, security groups."""
    instance_id = params["InstanceId"]
    srv, instance, data = _one_instance(ctx, instance_id)
    attribute, plain = params.get("Attribute"), (params.get("Value") or None)

    def value_of(member: str, attr: str) -> Any:
        given = params.get(member)
        if given is not None:
            return given.get("Value") if isinstance(given, dict) else given
        return plain if attribute == attr else None

    new_type = value_of("InstanceType", "instanceType")
    if new_type:
        if instance["State"]["Name"] != "stopped":
            raise EC2Error("IncorrectInstanceState",
                           f"The instance '{instance_id}' is not in the 'stopped' state.")
        if new_type != instance["InstanceType"]:
            flavor = _flavor(ctx, new_type)
            ctx.os.compute.resize_server(srv.id, flavor)
            _wait_for_resize(ctx, srv.id, new_type)
            ctx.os.compute.confirm_server_resize(srv.id)
            _wait_for_confirm(ctx, srv.id)
    protect = value_of("DisableApiTermination", "disableApiTermination")
    if protect is not None:
        _update_data(ctx, instance_id, disable_api_termination=_as_bool(protect))
    behaviour = value_of("InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior")
    if behaviour is not None:
        if behaviour not in ("stop", "terminate"):
            raise EC2Error("InvalidParameterValue", f"Value ({behaviour}) for parameter "
                           "instanceInitiatedShutdownBehavior is invalid.")
        if behaviour == "terminate":   # the Attribute/Value spelling; a guest that shuts down stays stopped
            raise unsupported("InstanceInitiatedShutdownBehavior", behaviour)
        _update_data(ctx, instance_id, shutdown_behavior=behaviour)
    user_data = params.get("UserData")
    if user_data is not None:
        if instance["State"]["Name"] != "stopped":
            raise EC2Error("IncorrectInstanceState",
                           f"The instance '{instance_id}' is not in the 'stopped' state.")
        raw = user_data.get("Value") or b""
        _update_data(ctx, instance_id, user_data=base64.b64encode(raw).decode() if raw else None)
    if params.get("Groups"):
        _set_groups(ctx, srv, instance, params["Groups"])
    source_dest = value_of("SourceDestCheck", "sourceDestCheck")
    if source_dest is not None and not _as_bool(source_dest):
        raise EC2Error("Unsupported", "Disabling the source/destination check is not supported by this cloud.")
    if attribute and attribute not in ("instanceType", "disableApiTermination", "instanceInitiatedShutdownBehavior",
                                       "userData", "groupSet", "sourceDestCheck"):
        raise EC2Error("InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid.")


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _set_groups(ctx: Any, srv: Any, instance: dict, group_ids: list[str]) -> None:
    wanted = set(_security_groups(ctx, group_ids, []))
    names = {g.id: g.name for g in ctx.os.network.security_groups(project_id=ctx.project_id)}
    current = {g["GroupName"] for g in instance["SecurityGroups"]}
    for gid in wanted:
        if names.get(gid) not in current:
            ctx.os.compute.add_security_group_to_server(srv.id, {"name": gid})
    for name in current:
        if name not in {names.get(g) for g in wanted}:
            ctx.os.compute.remove_security_group_from_server(srv.id, {"name": name})


def _wait_for_resize(ctx: Any, server_id: str, new_type: str, timeout: float = 45) -> None:
    """Wait until Nova has resized a stopped server (VERIFY_RESIZE), or report why it did not.

    A resize that Nova cannot schedule puts the server back as it was, with no error status: that
    shows as the old flavor with no task in progress.
    """
    import time

    deadline = time.monotonic() + timeout
    time.sleep(0.5)
    while time.monotonic() < deadline:
        srv = ctx.os.compute.get_server(server_id)
        status = (srv.status or "").upper()
        if status == "VERIFY_RESIZE":
            return
        if status == "ERROR" or (not srv.task_state and status in ("SHUTOFF", "ACTIVE")
                                 and view.instance_type(srv) != new_type):
            raise EC2Error("InsufficientInstanceCapacity",
                           f"There is not enough capacity to change the instance type to {new_type}.")
        time.sleep(1)
    raise EC2Error("IncorrectInstanceState", "The instance type change did not finish in time; try again.")


def _wait_for_confirm(ctx: Any, server_id: str, timeout: float = 30) -> None:
    """Wait until a confirmed resize has settled, so the instance shows as stopped again."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        srv = ctx.os.compute.get_server(server_id)
        if (srv.status or "").upper() != "VERIFY_RESIZE" and not srv.task_state:
            return
        time.sleep(0.5)


@handler("ResetInstanceAttribute", not_found="InvalidInstanceID.NotFound", honours=("InstanceId", "Attribute"))
def reset_instance_attribute(ctx: Any, params: dict) -> None:
    """kernel, ramdisk (nothing to reset on this cloud) and sourceDestCheck (always on here)."""
    _one_instance(ctx, params["InstanceId"])
    if params["Attribute"] not in ("kernel", "ramdisk", "sourceDestCheck"):
        raise EC2Error("InvalidParameterValue", f"Value ({params['Attribute']}) for parameter attribute is invalid.")


# Latest: Nova's console log is always the latest output, so both values are honoured.
@handler("GetConsoleOutput", not_found="InvalidInstanceID.NotFound", honours=("InstanceId", "Latest"))
def get_console_output(ctx: Any, params: dict) -> dict:
    """Nova's console log, base64-encoded as AWS sends it."""
    instance_id = params["InstanceId"]
    wanted = _resolve(ctx, [instance_id])
    srv = _live_servers(ctx, wanted).get(instance_id)
    if srv is None:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    text = ctx.os.compute.get_server_console_output(srv.id).get("output") or ""
    return {"InstanceId": instance_id, "Timestamp": datetime.now(UTC),
            "Output": base64.b64encode(text.encode("utf-8", "replace")).decode()}


@handler("GetPasswordData", not_found="InvalidInstanceID.NotFound", honours=("InstanceId",))
def get_password_data(ctx: Any, params: dict) -> dict:
    """Windows password data: none here (no Windows images report one); empty, as AWS answers."""
    instance_id = params["InstanceId"]
    _resolve(ctx, [instance_id])
    return {"InstanceId": instance_id, "Timestamp": datetime.now(UTC), "PasswordData": ""}
