"""RunInstances: one Nova create call per reservation, everything checked before anything is created.

Default network rule: without a SubnetId (and without NetworkInterfaces naming one), an instance is
attached to the project's default VPC network (``ec2api_runtime.networks``)."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any, cast

from ec2api_runtime import networks, tagging
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.honours import ANY, Spec
from ec2api_runtime.openstack import checked
from ec2api_runtime.tagging import tags_from_specs
from handlers import _bulk as bulk
from handlers import _glance as glance
from handlers import _groups as security_groups
from handlers import _instance_settings as instance_settings
from handlers import _instance_view as view
from handlers import _launch_interfaces as launch_nics
from handlers import _launch_templates as launch_templates
from handlers import _placement as placement
from handlers import _subnet as subnet_placement
from handlers.instances import _bdm as ebs_mappings
from handlers.instances._common import KIND, flavor_named, lookups_for

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import Instance, Reservation, RunInstancesRequest

DEFAULT_INSTANCE_TYPE = "t3.micro"
USER_DATA_LIMIT = 16 * 1024


def _image(ctx: Any, image_id: str) -> dict:
    """The Glance image (JSON dict) to launch from: visible to the caller and available."""
    image = glance.resolve(ctx, image_id)
    if image.get("status") != "active":
        raise EC2Error("InvalidAMIID.Unavailable", f"The image '{image_id}' is not available")
    return image


def _network_spec(ctx: Any, params: RunInstancesRequest) -> tuple[dict, str | None, list[str], list[str]]:
    """``(nova network entry, neutron subnet id, security group ids, security group names)``.

    The aws CLI folds --associate-public-ip-address and secondary IPs into NetworkInterfaces[0],
    moving SubnetId, groups and the private IP there; both spellings are accepted.
    """
    interfaces = params.get("NetworkInterfaces") or []
    if len(interfaces) > 1:
        raise EC2Error("Unsupported", "Only one network interface can be given at launch.")
    eni = interfaces[0] if interfaces else {}
    # Existing interfaces, several of them, public addresses: handlers/_launch_interfaces.py (not here).
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
        # A port on that subnet (handlers/_subnet.py); its VPC's default group, when no group is
        # given, comes from _groups.for_launch.
        private_ip, _ = subnet_placement.launch_placement(
            ctx, subnet.id, subnet.network_id, subnet.cidr, private_ip, params["MaxCount"])
    else:
        net = networks.default_network(ctx)
        if net is None:
            raise EC2Error("VPCIdNotSpecified", "No default VPC for this user")
        network_id, subnet_uuid = net.id, (sorted(net.subnet_ids or []) or [None])[0]
    entry: dict = {"uuid": network_id}
    if private_ip:
        entry["fixed_ip"] = private_ip
    return entry, subnet_uuid, group_ids, group_names


# Members RunInstances honours for some sub-members or values only (``ec2api_runtime.honours``). The
# values accepted are the ones this cloud gives every instance, and what DescribeInstances shows:
# monitoring disabled, standard credits, no hibernation, IMDS as Nova serves it, and so on.
_RUN_PARTLY: dict[str, Spec] = {
    # Types, sizes, snapshots and performance are checked as CreateVolume checks them (handlers/instances/_bdm.py);
    # no encryption type here. VirtualName (instance store) is refused: flavors here have no ephemeral disks.
    "BlockDeviceMappings": {"DeviceName": ANY, "NoDevice": ANY, "Ebs": {
        "DeleteOnTermination": ANY, "SnapshotId": ANY, "VolumeSize": ANY, "Encrypted": (False,),
        "VolumeType": ANY, "Iops": ANY, "Throughput": ANY}},
    # Existing or new interfaces at device indexes 0..n, public addresses: handlers/_launch_interfaces.py.
    "NetworkInterfaces": {"DeviceIndex": ANY, "SubnetId": ANY, "Groups": ANY, "PrivateIpAddress": ANY,
                          "NetworkInterfaceId": ANY, "Description": ANY, "SecondaryPrivateIpAddressCount": ANY,
                          "PrivateIpAddresses": {"PrivateIpAddress": ANY, "Primary": ANY},
                          "DeleteOnTermination": ANY, "AssociatePublicIpAddress": ANY},
    # A placement group is a Nova server group: the scheduler hint ``group`` (handlers/_placement.py).
    "Placement": {"AvailabilityZone": ANY, "Tenancy": ("default",), "GroupName": ANY, "GroupId": ANY},
    # Stored with the instance (handlers/_instance_settings.py), as Monitor/ModifyInstance* do: no
    # CloudWatch and no metadata service here (docs/settings.md); credits for burstable types only.
    "Monitoring": {"Enabled": ANY},
    "CreditSpecification": {"CpuCredits": ANY},
    "HibernationOptions": {"Configured": (False,)},
    "CapacityReservationSpecification": {"CapacityReservationPreference": ("open",)},
    "MetadataOptions": {"HttpTokens": ANY, "HttpPutResponseHopLimit": ANY, "HttpEndpoint": ANY,
                        "HttpProtocolIpv6": ANY, "InstanceMetadataTags": ANY},
    "EnclaveOptions": {"Enabled": (False,)},
    "PrivateDnsNameOptions": {"HostnameType": ("ip-name",), "EnableResourceNameDnsARecord": (False,),
                              "EnableResourceNameDnsAAAARecord": (False,)},
    "MaintenanceOptions": {"AutoRecovery": ANY},
    "DisableApiStop": (False,),
    "EbsOptimized": (False,),
    "EnablePrimaryIpv6": (False,),
    # A guest that shuts itself down stays stopped (Nova SHUTOFF): nothing here would terminate it.
    "InstanceInitiatedShutdownBehavior": ("stop",),
}


@handler("RunInstances", not_found="InvalidParameterValue", limit_exceeded="InstanceLimitExceeded",
         honours=("ImageId", "InstanceType", "KeyName", "MinCount", "MaxCount", "SecurityGroupIds",
                  "SecurityGroups", "SubnetId", "PrivateIpAddress", "UserData", "TagSpecifications",
                  "DisableApiTermination", "LaunchTemplate"),
         partly=_RUN_PARTLY)
def run_instances(ctx: RequestContext, params: RunInstancesRequest) -> Reservation:
    """Launch MinCount..MaxCount instances as one reservation (one Nova create call)."""
    if params.get("LaunchTemplate"):
        # The template's data under the request's members, checked again against this declaration:
        # what is launched below is the merged request.
        params = cast("RunInstancesRequest", launch_templates.merged_run_params(ctx, params))
    min_count, max_count = params["MinCount"], params["MaxCount"]
    if min_count < 1 or max_count < min_count:
        raise EC2Error("InvalidParameterValue",
                       f"MinCount ({min_count}) must be at least 1 and at most MaxCount ({max_count}).")
    if not params.get("ImageId"):
        raise missing_parameter("ImageId")
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
    flavor = flavor_named(ctx, params.get("InstanceType") or DEFAULT_INSTANCE_TYPE)
    kept_settings = instance_settings.launch_settings(params, flavor.name)
    if params.get("KeyName") and ctx.os.compute.find_keypair(params["KeyName"], ignore_missing=True) is None:
        raise EC2Error("InvalidKeyPair.NotFound", f"The key pair '{params['KeyName']}' does not exist")
    nics = launch_nics.plan(ctx, params)   # None: Nova makes the instance's one port itself
    if nics is None:
        network, subnet_uuid, group_ids, group_names = _network_spec(ctx, params)
        # Ids as given, names in the VPC of the launch's network; none: that VPC's default group.
        groups = security_groups.for_launch(ctx, group_ids, group_names, network["uuid"])
    else:   # the ports carry the groups
        network, subnet_uuid, groups = {"uuid": nics.network_id}, nics.subnet_uuid, []
    bdm, root_device, _ = ebs_mappings.launch_mappings(ctx, params.get("BlockDeviceMappings") or [], image)
    hints, placed = placement.scheduler_hints(ctx, params.get("Placement") or {})
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
    request: dict[str, Any] = {"server": body}
    if hints:
        request["os:scheduler_hints"] = hints
    if nics is not None:
        launch_nics.create(ctx, nics)
        body["networks"] = nics.networks
    try:
        resp = ctx.os.compute.post("/servers", json=request, microversion="2.67")
        checked(resp)
    except BaseException:
        if nics is not None:
            launch_nics.undo(ctx, nics)
        raise
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
                        "shutdown_behavior": shutdown,
                        # Nova shows neither to the caller for a volume-backed server (image "", root
                        # device admin-only): DescribeInstances reads them here.
                        "image_id": params["ImageId"], "root_device_name": root_device}
                data.update(placed)
                data.update(kept_settings)
                if nics is not None and nics.fips:
                    data["public_fips"] = nics.fips   # released on termination
                if user_data:
                    data["user_data"] = user_data
                # Only for the volumes this launch makes: a volume attached later is not the launch's
                # (Ansible's ec2_instance always sends volume tags, even with nothing to tag).
                if volume_tags and any(b.get("destination_type") == "volume" for b in bdm or ()):
                    data["volume_tags"] = volume_tags
                    data["volume_count"] = sum(b.get("destination_type") == "volume" for b in bdm or ())
                ids.set_data(s, ctx.project_id, id_of[srv.id], data)
            if instance_tags:
                tags.set_tags(s, ctx.project_id, list(id_of.values()), instance_tags)
    except BaseException:
        for srv in servers:
            ctx.os.compute.delete_server(srv.id, ignore_missing=True)
        if nics is not None:
            launch_nics.undo(ctx, nics)
        raise
    lookups = lookups_for(ctx, servers, data_ids=list(id_of.values()))
    # The view is built as a plain dict (DescribeInstances adds private keys to it before it pages).
    instances = [cast("Instance", view.describe(srv, lookups)) for srv in servers]
    with ctx.session() as s:
        # Nova creates the ports a moment later; the subnet and VPC are known from the request.
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", network["uuid"])
        subnet_id = ids.ec2_id(s, ctx.project_id, "subnet", subnet_uuid) if subnet_uuid else None
    for i in instances:
        i.setdefault("VpcId", vpc_id)
        if subnet_id:
            i.setdefault("SubnetId", subnet_id)
    tagging.drop_empty_tags(instances)
    return {"ReservationId": reservation_id, "OwnerId": ctx.account_id, "Groups": [], "Instances": instances}
