"""Describe/Modify/ResetInstanceAttribute, and the console: GetConsoleOutput, GetPasswordData."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.honours import ANY, unsupported
from handlers import _instance_view as view
from handlers.instances import _bdm as ebs_mappings
from handlers.instances._common import (
    flavor_named,
    live_servers,
    one_instance,
    resolve,
    security_group_ids,
    stored_data,
    update_data,
)

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeInstanceAttributeRequest,
        GetConsoleOutputRequest,
        GetConsoleOutputResult,
        GetPasswordDataRequest,
        GetPasswordDataResult,
        InstanceAttribute,
        ModifyInstanceAttributeRequest,
        ResetInstanceAttributeRequest,
    )

# Attributes answered from ec2api's own record of the instance (or constant): no Neutron lookups.
_STORED_ATTRIBUTES = frozenset({"userData", "disableApiTermination", "disableApiStop",
                                "instanceInitiatedShutdownBehavior", "kernel", "ramdisk", "productCodes",
                                "ebsOptimized", "sriovNetSupport", "enaSupport", "enclaveOptions"})


@handler("DescribeInstanceAttribute", not_found="InvalidInstanceID.NotFound", honours=("InstanceId", "Attribute"))
def describe_instance_attribute(ctx: RequestContext, params: DescribeInstanceAttributeRequest) -> InstanceAttribute:
    """One attribute of an instance, as AWS names them (instanceType, userData, groupSet, ...)."""
    attribute = params["Attribute"]
    instance_id = params["InstanceId"]
    instance: dict[str, Any]
    if attribute in _STORED_ATTRIBUTES:
        # Kept by ec2api, not by OpenStack: one GET confirms the instance exists, no view is built
        # (Terraform reads four of these per instance on every refresh).
        wanted = resolve(ctx, [instance_id])
        if instance_id not in live_servers(ctx, wanted):
            raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
        instance, data = {}, stored_data(ctx, [instance_id]).get(instance_id, {})
    else:
        _, instance, data = one_instance(ctx, instance_id)
    answers: dict[str, Callable[[], InstanceAttribute]] = {
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
    }
    value = answers.get(attribute)
    if value is None:
        raise EC2Error("InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid.")
    return {"InstanceId": instance_id, **value()}


# The values accepted for EnclaveOptions, DisableApiStop, EbsOptimized and EnaSupport are the ones every
# instance has here (a no-op, truthfully); the handler refuses the plain Value of the others itself.
@handler("ModifyInstanceAttribute", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceId", "Value", "InstanceType", "DisableApiTermination", "UserData", "Groups"),
         partly={"Attribute": ("instanceType", "disableApiTermination", "instanceInitiatedShutdownBehavior",
                               "userData", "groupSet", "sourceDestCheck"),
                 "InstanceInitiatedShutdownBehavior": {"Value": ("stop",)}, "SourceDestCheck": {"Value": (True,)},
                 "EnclaveOptions": {"Enabled": (False,)}, "DisableApiStop": {"Value": (False,)},
                 "EbsOptimized": {"Value": (False,)}, "EnaSupport": {"Value": (True,)},
                 # Nova updates an attachment's delete_on_termination (handlers/instances/_bdm.py).
                 "BlockDeviceMappings": {"DeviceName": ANY, "Ebs": {"VolumeId": ANY, "DeleteOnTermination": ANY}}})
def modify_instance_attribute(ctx: RequestContext, params: ModifyInstanceAttributeRequest) -> None:
    """instanceType (stopped instances: a Nova resize), userData (stopped), termination protection,
    shutdown behaviour, security groups, DeleteOnTermination of attached volumes."""
    instance_id = params["InstanceId"]
    srv, instance, data = one_instance(ctx, instance_id)
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
            flavor = flavor_named(ctx, new_type)
            ctx.os.compute.resize_server(srv.id, flavor)
            _wait_for_resize(ctx, srv.id, new_type)
            ctx.os.compute.confirm_server_resize(srv.id)
            _wait_for_confirm(ctx, srv.id)
    protect = value_of("DisableApiTermination", "disableApiTermination")
    if protect is not None:
        update_data(ctx, instance_id, disable_api_termination=_as_bool(protect))
    behaviour = value_of("InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior")
    if behaviour is not None:
        if behaviour not in ("stop", "terminate"):
            raise EC2Error("InvalidParameterValue", f"Value ({behaviour}) for parameter "
                           "instanceInitiatedShutdownBehavior is invalid.")
        if behaviour == "terminate":   # the Attribute/Value spelling; a guest that shuts down stays stopped
            raise unsupported("InstanceInitiatedShutdownBehavior", behaviour)
        update_data(ctx, instance_id, shutdown_behavior=behaviour)
    user_data = params.get("UserData")
    if user_data is not None:
        if instance["State"]["Name"] != "stopped":
            raise EC2Error("IncorrectInstanceState",
                           f"The instance '{instance_id}' is not in the 'stopped' state.")
        raw = user_data.get("Value") or b""
        update_data(ctx, instance_id, user_data=base64.b64encode(raw).decode() if raw else None)
    if params.get("Groups"):
        _set_groups(ctx, srv, instance, params["Groups"])
    if params.get("BlockDeviceMappings"):
        ebs_mappings.set_delete_on_termination(ctx, srv.id, instance, params["BlockDeviceMappings"])
    source_dest = value_of("SourceDestCheck", "sourceDestCheck")
    if source_dest is not None and not _as_bool(source_dest):
        raise EC2Error("Unsupported", "Disabling the source/destination check is not supported by this cloud.")
    if attribute and attribute not in ("instanceType", "disableApiTermination", "instanceInitiatedShutdownBehavior",
                                       "userData", "groupSet", "sourceDestCheck"):
        raise EC2Error("InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid.")


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _set_groups(ctx: Any, srv: Any, instance: dict, group_ids: list[str]) -> None:
    wanted = set(security_group_ids(ctx, group_ids, []))
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
def reset_instance_attribute(ctx: RequestContext, params: ResetInstanceAttributeRequest) -> None:
    """kernel, ramdisk (nothing to reset on this cloud) and sourceDestCheck (always on here)."""
    one_instance(ctx, params["InstanceId"])
    if params["Attribute"] not in ("kernel", "ramdisk", "sourceDestCheck"):
        raise EC2Error("InvalidParameterValue", f"Value ({params['Attribute']}) for parameter attribute is invalid.")


# Latest: Nova's console log is always the latest output, so both values are honoured.
@handler("GetConsoleOutput", not_found="InvalidInstanceID.NotFound", honours=("InstanceId", "Latest"))
def get_console_output(ctx: RequestContext, params: GetConsoleOutputRequest) -> GetConsoleOutputResult:
    """Nova's console log, base64-encoded as AWS sends it."""
    instance_id = params["InstanceId"]
    wanted = resolve(ctx, [instance_id])
    srv = live_servers(ctx, wanted).get(instance_id)
    if srv is None:
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    text = ctx.os.compute.get_server_console_output(srv.id).get("output") or ""
    return {"InstanceId": instance_id, "Timestamp": datetime.now(UTC),
            "Output": base64.b64encode(text.encode("utf-8", "replace")).decode()}


@handler("GetPasswordData", not_found="InvalidInstanceID.NotFound", honours=("InstanceId",))
def get_password_data(ctx: RequestContext, params: GetPasswordDataRequest) -> GetPasswordDataResult:
    """Windows password data: none here (no Windows images report one); empty, as AWS answers."""
    instance_id = params["InstanceId"]
    resolve(ctx, [instance_id])
    return {"InstanceId": instance_id, "Timestamp": datetime.now(UTC), "PasswordData": ""}
