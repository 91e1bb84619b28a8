"""The end of a resource that ec2api deleted: shown for a while (as AWS does), then forgotten.

TerminateInstances keeps an instance's last view in its id's data with ``terminated_at``; once the
visibility window (``terminated_visible_seconds``) has passed, the instance is gone from every
answer, and its tags and id mapping are deleted. The deletion is a write only when something has
expired, so that Describe calls do not write on every request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.timeutil import parse_os_time


def expired(data_by_id: Mapping[str, Mapping[str, Any]], visible_seconds: float,
            now: datetime | None = None) -> list[str]:
    """The ids whose resource ec2api deleted longer ago than ``visible_seconds``."""
    horizon = (now or datetime.now(UTC)) - timedelta(seconds=visible_seconds)
    out = []
    for ec2_id, data in data_by_id.items():
        when = parse_os_time(data.get("terminated_at")) if "terminated" in data else None
        if when is not None and when < horizon:
            out.append(ec2_id)
    return out


def forget(ctx: Any, ec2_ids: Iterable[str]) -> None:
    """Delete the tags and id mappings of resources that are gone (nothing to do: no write)."""
    gone = sorted(set(ec2_ids))
    if gone:
        with ctx.session() as s:
            ids.forget(s, ctx.project_id, gone)
