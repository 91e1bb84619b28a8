"""The instance settings ec2api keeps in item data (handlers/instances/settings.py), shared with
RunInstances (the same settings at launch) and DescribeInstanceCreditSpecifications.

Item data keys: ``metadata_options`` (the MetadataOptions members set), ``monitoring``
(``enabled``/``disabled``), ``auto_recovery`` (``default``/``disabled``), ``cpu_credits``
(``standard``/``unlimited``, burstable types only). ``handlers._instance_view.settings`` shows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from handlers._instance_view import METADATA_DEFAULTS

CPU_CREDITS = ("standard", "unlimited")
HOP_LIMIT = (1, 64)
_BURSTABLE_RE = re.compile(r"t\d+[a-z]*")


def is_burstable(instance_type: str) -> bool:
    """T families (t2, t3, t3a, t4g, ...) are AWS's burstable performance types."""
    return bool(_BURSTABLE_RE.fullmatch(instance_type.split(".", 1)[0]))


def check_hop_limit(limit: int | None) -> None:
    """AWS's range for HttpPutResponseHopLimit (the model has none)."""
    if limit is not None and not HOP_LIMIT[0] <= limit <= HOP_LIMIT[1]:
        raise EC2Error("InvalidParameterValue",
                       f"Value ({limit}) for parameter HttpPutResponseHopLimit is invalid. "
                       f"It must be between {HOP_LIMIT[0]} and {HOP_LIMIT[1]}.")


def stored_credits(credits: str) -> dict:
    return {"cpu_credits": credits}


def launch_settings(params: Mapping[str, Any], instance_type: str) -> dict:
    """The item data RunInstances stores for its MetadataOptions, Monitoring, MaintenanceOptions and
    CreditSpecification (checked here, before anything is created)."""
    out: dict[str, Any] = {}
    options = params.get("MetadataOptions") or {}
    check_hop_limit(options.get("HttpPutResponseHopLimit"))
    chosen = {k: options[k] for k in METADATA_DEFAULTS if k in options}
    if chosen:
        out["metadata_options"] = chosen
    if (params.get("Monitoring") or {}).get("Enabled"):
        out["monitoring"] = "enabled"
    recovery = (params.get("MaintenanceOptions") or {}).get("AutoRecovery")
    if recovery:
        out["auto_recovery"] = recovery
    credits = (params.get("CreditSpecification") or {}).get("CpuCredits")
    if credits is not None:
        if credits not in CPU_CREDITS:
            raise EC2Error("InvalidParameterValue",
                           f"Value ({credits}) for parameter CreditSpecification.CpuCredits is invalid.")
        if is_burstable(instance_type):
            out.update(stored_credits(credits))
        elif credits != "standard":   # ``standard`` was always accepted: what every other type has
            raise EC2Error("InvalidParameterCombination",
                           f"The instance type {instance_type} does not support unlimited CPU credits "
                           "(only burstable performance types do: t2, t3, t3a, t4g).")
    return out


def store(ctx: Any, changes: dict[str, dict]) -> None:
    """Merge ``{i-...: {key: value}}`` into the instances' item data, in one transaction (read again
    inside it, so that a concurrent change to another key is kept)."""
    with ctx.session() as s:
        current = ids.get_data_many(s, ctx.project_id, list(changes))
        for instance_id, change in changes.items():
            ids.set_data(s, ctx.project_id, instance_id, {**current.get(instance_id, {}), **change})
