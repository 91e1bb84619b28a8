"""DescribeInstances filters that Nova answers itself: pushed down into ``GET /servers/detail``.

A listing with ``image-id``, ``instance-type``, ``reservation-id``, ``private-ip-address`` or a
``running``/``stopped`` state filter asks Nova for those servers only, instead of every server of
the project. The push-down only has to give a superset: every filter is still applied, in memory,
to what comes back (so a value Nova reads more loosely, e.g. its ``ip`` regular expression, costs
nothing in truth). Nova lets a project filter by ``image``, ``flavor``, ``reservation_id``,
``ip`` and ``status``, and from microversion 2.83 by ``key_name`` and ``availability_zone`` (before
it Nova ignores them for a project: the listing asks for 2.83 when it pushes one). Only ``status``
takes several values, so the others are pushed when their filter has exactly one value.
"""

from __future__ import annotations

import re
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.describe import exact_values
from handlers import _glance as glance

# The Nova statuses of every server an EC2 state can stand for (see _instance_view.state_name):
# Nova's status filter selects by vm_state, whatever the task, so these are supersets. States that
# a task makes (pending, stopping, shutting-down) or that ec2api's database keeps (terminated)
# have no such set: a filter naming one of them is not pushed.
_STATUSES = {
    "running": ("ACTIVE", "RESCUE", "VERIFY_RESIZE"),
    "stopped": ("SHUTOFF", "SHELVED", "SHELVED_OFFLOADED", "SUSPENDED", "PAUSED"),
}

NOTHING = None   # the filters match no live server: Nova need not be asked at all
_FROM_2_83 = ("key_name", "availability_zone")   # project filters since Nova API 2.83


def microversion_for(query: dict[str, Any], default: str) -> str:
    """The Nova microversion that honours every parameter of ``query``."""
    return "2.83" if any(k in query for k in _FROM_2_83) else default


def nova_query(ctx: Any, filters: list[dict]) -> dict[str, Any] | None:
    """Nova query parameters for ``filters`` (``{}``: none can be pushed), or ``NOTHING`` when they
    name an image, type or reservation that does not exist (no live server can match)."""
    query: dict[str, Any] = {}
    for values in exact_values(filters, "instance-state-name", "instance-state"):
        if set(values) <= set(_STATUSES) and "status" not in query:
            query["status"] = [st for v in values for st in _STATUSES[v]]
    single = {name: vals[0] for name, vals in _singles(filters).items()}
    if "image" in single:
        with ctx.session() as s:
            glance_id = ids.os_ids(s, glance.SCOPE, [single["image"]]).get(single["image"])
        if glance_id is None:
            return NOTHING
        query["image"] = glance_id
    if "flavor" in single:
        flavor_id = {f.name: f.id for f in ctx.os.compute.flavors()}.get(single["flavor"])
        if flavor_id is None:
            return NOTHING
        query["flavor"] = flavor_id
    if "reservation_id" in single:
        with ctx.session() as s:
            reservation = ids.os_ids(s, ctx.project_id, [single["reservation_id"]]).get(single["reservation_id"])
        if reservation is None:
            return NOTHING
        query["reservation_id"] = reservation
    for key in _FROM_2_83:   # Nova reads both as regular expressions (unanchored: a superset)
        if key in single:
            query[key] = re.escape(single[key])
    if "ip" in single:
        # Nova matches this regular expression against its cached network info (in SQL on MariaDB,
        # where anchors would apply to the whole cache): unanchored it is a superset, e.g.
        # 10.0.0.5 also finds 10.0.0.50, which the in-memory filter then drops.
        query["ip"] = re.escape(single["ip"])
    return query


def _singles(filters: list[dict]) -> dict[str, list[str]]:
    """``{nova parameter: [value]}`` for the single-valued exact filters Nova can take."""
    out: dict[str, list[str]] = {}
    for nova, names in (("image", ("image-id", "imageId")), ("flavor", ("instance-type", "instanceType")),
                        ("reservation_id", ("reservation-id",)),
                        ("ip", ("private-ip-address", "privateIpAddress")), ("key_name", ("key-name", "keyName")),
                        ("availability_zone", ("availability-zone", "availabilityZone"))):
        for values in exact_values(filters, *names):
            if len(values) == 1 and values[0]:   # Nova refuses an empty value; EC2 matches it
                out.setdefault(nova, values)
    return out
