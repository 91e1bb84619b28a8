"""Instance settings ec2api keeps itself: ModifyInstanceMetadataOptions, Monitor/UnmonitorInstances,
ModifyInstanceMaintenanceOptions (ModifyInstanceCreditSpecification is in handlers/instance_types.py).

OpenStack has no counterpart for any of them, so each is a fact stored with the instance's id (item
data), shown by DescribeInstances (``handlers._instance_view.settings``), copied into launch
templates by GetLaunchTemplateData, and honoured the same way by RunInstances. What is true of this
cloud, and said so in docs/settings.md:

* **Metadata options** are stored, not enforced: ec2api serves no instance metadata. A guest reads
  Nova's metadata service (or config drive), which knows nothing of IMDSv2 tokens, hop limits or an
  endpoint switch. A metadata service built on ec2api would read them from here.
* **Monitoring** is a state only: this cloud has no CloudWatch, so enabling it collects nothing.
* **Maintenance options** (AutoRecovery) are stored; Nova itself recovers nothing automatically.
* **CPU credits** exist only for burstable types (t2, t3, t3a, t4g...); a vCPU here is never
  throttled by credits, so ``standard`` and ``unlimited`` are both a label the caller chose.

Every operation acts on the caller's live instances (one GET each, at the same time); a terminated
one answers ``IncorrectInstanceState``, an unknown one ``InvalidInstanceID.NotFound``, and nothing is
stored unless every instance named may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers import _instance_view as view
from handlers._instance_settings import check_hop_limit, store
from handlers.instances._common import live_servers, resolve, stored_data

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        InstanceMetadataOptionsResponse,
        InstanceMonitoring,
        ModifyInstanceMaintenanceOptionsRequest,
        ModifyInstanceMaintenanceOptionsResult,
        ModifyInstanceMetadataOptionsRequest,
        ModifyInstanceMetadataOptionsResult,
        MonitorInstancesRequest,
        MonitorInstancesResult,
        UnmonitorInstancesRequest,
        UnmonitorInstancesResult,
    )

_METADATA_MEMBERS = tuple(view.METADATA_DEFAULTS)


def _live(ctx: Any, instance_ids: list[str]) -> tuple[dict[str, Any], dict[str, dict]]:
    """``({i-...: server}, {i-...: item data})`` of live instances of the caller, every id checked
    first: Malformed, NotFound, or IncorrectInstanceState for one terminated a moment ago."""
    wanted = resolve(ctx, instance_ids)
    live = live_servers(ctx, wanted)
    data = stored_data(ctx, list(wanted))
    for instance_id in instance_ids:
        if instance_id in live and view.state_name(live[instance_id]) not in ("terminated", "shutting-down"):
            continue
        if instance_id in live or "terminated" in data.get(instance_id, {}):
            raise EC2Error("IncorrectInstanceState",
                           f"The instance '{instance_id}' is not in a state from which it can be modified.")
        raise EC2Error("InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist")
    return live, data


# Each member is stored as given; the hop limit's range (1-64) is checked by the handler.
@handler("ModifyInstanceMetadataOptions", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceId", "HttpTokens", "HttpPutResponseHopLimit", "HttpEndpoint", "HttpProtocolIpv6",
                  "InstanceMetadataTags"))
def modify_instance_metadata_options(ctx: RequestContext, params: ModifyInstanceMetadataOptionsRequest) -> ModifyInstanceMetadataOptionsResult:
    """Store the metadata options given; the others keep their value."""
    instance_id = params["InstanceId"]
    check_hop_limit(params.get("HttpPutResponseHopLimit"))
    _, data = _live(ctx, [instance_id])
    options = {**(data.get(instance_id, {}).get("metadata_options") or {}),
               **{k: params[k] for k in _METADATA_MEMBERS if k in params}}   # type: ignore[literal-required]
    store(ctx, {instance_id: {"metadata_options": options}})
    shown = view.settings({"metadata_options": options})["MetadataOptions"]
    return {"InstanceId": instance_id, "InstanceMetadataOptions": cast("InstanceMetadataOptionsResponse", shown)}


def _monitoring(ctx: Any, instance_ids: list[str], state: str) -> list[InstanceMonitoring]:
    _live(ctx, instance_ids)
    store(ctx, {i: {"monitoring": state} for i in dict.fromkeys(instance_ids)})
    # The state is applied at once (nothing is collected either way): no pending/disabling step.
    return [{"InstanceId": i, "Monitoring": {"State": state}} for i in instance_ids]   # type: ignore[typeddict-item]


# MetricCategoryIds is not declared: this cloud has no CloudWatch metrics to choose from.
@handler("MonitorInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",))
def monitor_instances(ctx: RequestContext, params: MonitorInstancesRequest) -> MonitorInstancesResult:
    """Detailed monitoring on (a stored state: no CloudWatch here)."""
    return {"InstanceMonitorings": _monitoring(ctx, params["InstanceIds"], "enabled")}


@handler("UnmonitorInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",))
def unmonitor_instances(ctx: RequestContext, params: UnmonitorInstancesRequest) -> UnmonitorInstancesResult:
    """Detailed monitoring off."""
    return {"InstanceMonitorings": _monitoring(ctx, params["InstanceIds"], "disabled")}


# RebootMigration is not declared: this cloud schedules no maintenance events to migrate for.
@handler("ModifyInstanceMaintenanceOptions", not_found="InvalidInstanceID.NotFound",
         honours=("InstanceId", "AutoRecovery"))
def modify_instance_maintenance_options(ctx: RequestContext, params: ModifyInstanceMaintenanceOptionsRequest) -> ModifyInstanceMaintenanceOptionsResult:
    """Store AutoRecovery (default/disabled)."""
    instance_id = params["InstanceId"]
    _, data = _live(ctx, [instance_id])
    recovery = params.get("AutoRecovery") or data.get(instance_id, {}).get("auto_recovery", "default")
    store(ctx, {instance_id: {"auto_recovery": recovery}})
    return {"InstanceId": instance_id, "AutoRecovery": recovery}
