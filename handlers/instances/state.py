"""StopInstances, StartInstances, RebootInstances, TerminateInstances."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ec2api_runtime import tagged_json
from ec2api_runtime.db import ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers import _bulk as bulk
from handlers import _instance_view as view
from handlers import _launch_interfaces as launch_nics
from handlers import _routes
from handlers.instances._common import live_servers, lookups_for, resolve, stored_data

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        InstanceStateChange,
        RebootInstancesRequest,
        StartInstancesRequest,
        StartInstancesResult,
        StopInstancesRequest,
        StopInstancesResult,
        TerminateInstancesRequest,
        TerminateInstancesResult,
    )

_VERBS = {"running": "started", "stopped": "stopped", "terminated": "terminated"}


def _transitions(ctx: Any, params: Mapping[str, Any], action: Callable[[str, Any, str], str],
                 allowed: set[str] | None = None, target: str | None = None) -> list[InstanceStateChange]:
    """Apply ``action(instance id, server, state before) -> state after`` to each live instance of
    ``params["InstanceIds"]`` that may change (all are checked first); the state changes, in order."""
    wanted = resolve(ctx, params["InstanceIds"])
    live = live_servers(ctx, wanted)
    terminated = stored_data(ctx, list(wanted))
    changes: list[tuple[str, Any, str, str]] = []   # (instance, server to act on or None, before, after)
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
        changes.append((instance_id, srv, before, before))   # after: what action() returns
    out: list[InstanceStateChange] = []
    for instance_id, srv, before, after in changes:
        if srv is not None:
            after = action(instance_id, srv, before)
        out.append({"InstanceId": instance_id, "PreviousState": view.state(before),
                    "CurrentState": view.state(after)})
    return out


@handler("StopInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",),
         partly={"Hibernate": (False,), "Force": (False,), "SkipOsShutdown": (False,)})
def stop_instances(ctx: RequestContext, params: StopInstancesRequest) -> StopInstancesResult:
    """Stop (Nova stop); stopping a stopped instance is a no-op, as on AWS."""
    def stop(instance_id: str, srv: Any, before: str) -> str:
        if before == "stopped":
            return "stopped"
        ctx.os.compute.stop_server(srv.id)
        return "stopping"
    return {"StoppingInstances": _transitions(ctx, params, stop, {"running", "stopping", "stopped", "pending"},
                                              target="stopped")}


@handler("StartInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",))
def start_instances(ctx: RequestContext, params: StartInstancesRequest) -> StartInstancesResult:
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
def reboot_instances(ctx: RequestContext, params: RebootInstancesRequest) -> None:
    """Soft reboot; AWS answers only success."""
    def reboot(instance_id: str, srv: Any, before: str) -> str:
        ctx.os.compute.reboot_server(srv.id, "SOFT")
        return before
    _transitions(ctx, params, reboot, {"running"}, target="running")


@handler("TerminateInstances", not_found="InvalidInstanceID.NotFound", honours=("InstanceIds",),
         partly={"Force": (False,), "SkipOsShutdown": (False,)})
def terminate_instances(ctx: RequestContext, params: TerminateInstancesRequest) -> TerminateInstancesResult:
    """Delete the Nova servers; each stays visible as terminated for a while."""
    wanted = resolve(ctx, params["InstanceIds"])
    data = stored_data(ctx, list(wanted))
    protected = [i for i in params["InstanceIds"] if data.get(i, {}).get("disable_api_termination")]
    if protected:
        raise EC2Error("OperationNotPermitted",
                       f"The instance '{protected[0]}' may not be terminated. Modify its "
                       "'disableApiTermination' instance attribute and try again.")
    bulk.prepare(ctx, "compute")
    servers = bulk.servers_by_id(ctx, wanted.values())
    lookups = lookups_for(ctx, servers, data_ids=list(wanted))
    snapshots = {lookups.instance_ids[srv.id]: view.describe(srv, lookups) for srv in servers}
    now = datetime.now(UTC)

    def terminate(instance_id: str, srv: Any, before: str) -> str:
        record = dict(data.get(instance_id, {}))
        snapshot = snapshots[instance_id]
        snapshot.pop("Tags", None)
        record.update(terminated=tagged_json.encode(snapshot), terminated_at=now.isoformat(),
                      reservation_ec2_id=record.get("reservation_ec2_id") or lookups.reservation_ids[srv.id])
        with ctx.session() as s:
            ids.set_data(s, ctx.project_id, instance_id, record)
        ctx.os.compute.delete_server(srv.id)
        _routes.interfaces_gone(ctx, launch_nics.terminate(ctx, lookups.ports_by_server.get(srv.id, []), record))
        return "shutting-down"
    return {"TerminatingInstances": _transitions(ctx, params, terminate, None, target="terminated")}
