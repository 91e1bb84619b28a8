"""GetLaunchTemplateData: the launch parameters of a running instance, as a template's data.

Built from the same view DescribeInstances answers with, and only with members RunInstances honours,
so that the answer can be given back to CreateLaunchTemplate as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime.dispatch import handler
from handlers.instances._common import one_instance

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import GetLaunchTemplateDataRequest, GetLaunchTemplateDataResult


def template_data(instance: dict, stored: dict) -> dict[str, Any]:
    """LaunchTemplateData (response shape) for an instance's EC2 view and its stored launch facts."""
    placement = {k: v for k, v in instance.get("Placement", {}).items() if k in ("AvailabilityZone", "GroupName")
                 and v}
    data: dict[str, Any] = {
        "ImageId": instance.get("ImageId", ""),
        "InstanceType": instance.get("InstanceType", ""),
        "Placement": {**placement, "Tenancy": "default"},
        "Monitoring": {"Enabled": instance.get("Monitoring", {}).get("State") in ("enabled", "pending")},
        "DisableApiTermination": bool(stored.get("disable_api_termination", False)),
        "InstanceInitiatedShutdownBehavior": stored.get("shutdown_behavior", "stop"),
        "EbsOptimized": False,
        "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
        "HibernationOptions": {"Configured": False},
        "EnclaveOptions": {"Enabled": False},
        "MetadataOptions": {k: v for k, v in instance.get("MetadataOptions", {}).items() if k != "State"},
    }
    # The settings ec2api keeps (handlers/_instance_settings.py), so that a launch from the template keeps them.
    if instance.get("MaintenanceOptions"):
        data["MaintenanceOptions"] = {"AutoRecovery": instance["MaintenanceOptions"].get("AutoRecovery", "default")}
    if stored.get("cpu_credits"):
        data["CreditSpecification"] = {"CpuCredits": stored["cpu_credits"]}
    if instance.get("KeyName"):
        data["KeyName"] = instance["KeyName"]
    if stored.get("user_data"):
        data["UserData"] = stored["user_data"]
    user_tags = [t for t in instance.get("Tags") or [] if not t["Key"].startswith("aws:")]
    if user_tags:
        data["TagSpecifications"] = [{"ResourceType": "instance", "Tags": user_tags}]
    interfaces = []
    for eni in instance.get("NetworkInterfaces") or []:
        # The private address is left out: a template launched twice would ask for it twice.
        interfaces.append({"DeviceIndex": eni.get("Attachment", {}).get("DeviceIndex", 0),
                           "SubnetId": eni.get("SubnetId", ""), "DeleteOnTermination": True,
                           "Groups": [g["GroupId"] for g in eni.get("Groups") or [] if g.get("GroupId")]})
    if interfaces:
        data["NetworkInterfaces"] = interfaces[:1]   # RunInstances launches with one interface
    return data


@handler("GetLaunchTemplateData", not_found="InvalidInstanceID.NotFound", honours=("InstanceId",))
def get_launch_template_data(ctx: RequestContext, params: GetLaunchTemplateDataRequest
                             ) -> GetLaunchTemplateDataResult:
    _server, instance, stored = one_instance(ctx, params["InstanceId"])
    return {"LaunchTemplateData": template_data(instance, stored)}   # type: ignore[typeddict-item]
