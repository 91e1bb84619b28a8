"""EnableImageDeprecation, DisableImageDeprecation: the deprecation time is a Glance property of
the image (``DEPRECATION_PROPERTY``), shown by DescribeImages as ``DeprecationTime``.

AWS's rules: only the owner may set it; the time is rounded to the nearest minute; it may not be in
the past, nor more than 10 years ahead (2 years after its creation for a public image). A deprecated
image still launches; DescribeImages leaves the deprecated images of other owners out of listings
unless ``IncludeDeprecated`` (handlers/images/describe.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from ec2api_runtime.timeutil import parse_os_time
from handlers._glance import NOT_FOUND, resolve
from handlers.images._common import require_owner
from handlers.images._view import DEPRECATION_PROPERTY, is_public

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DisableImageDeprecationRequest,
        DisableImageDeprecationResult,
        EnableImageDeprecationRequest,
        EnableImageDeprecationResult,
    )

_YEARS_AHEAD, _PUBLIC_YEARS = 10, 2


def _nearest_minute(when: datetime) -> datetime:
    when = when.astimezone(UTC)
    return when.replace(second=0, microsecond=0) + timedelta(minutes=1 if when.second >= 30 else 0)


def _add_years(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:   # 29 February
        return when.replace(year=when.year + years, day=28)


def _patch(ctx: Any, glance_id: str, ops: list[dict]) -> None:
    checked(ctx.os.image.patch(f"/images/{glance_id}", json=ops,
                               headers={"Content-Type": "application/openstack-images-v2.1-json-patch"}))


@handler("EnableImageDeprecation", not_found=NOT_FOUND, honours=("ImageId", "DeprecateAt"))
def enable_image_deprecation(ctx: RequestContext, params: EnableImageDeprecationRequest) -> EnableImageDeprecationResult:
    """Set (or move) the image's deprecation time."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    require_owner(ctx, image, image_id)
    at = _nearest_minute(params["DeprecateAt"])
    now = datetime.now(UTC)
    if at < now.replace(second=0, microsecond=0):
        raise EC2Error("InvalidParameterValue",
                       f"The deprecation time {at:%Y-%m-%dT%H:%M:%SZ} is in the past; it must be in the future.")
    if is_public(image):
        created = parse_os_time(image.get("created_at")) or now
        limit, what = _add_years(created, _PUBLIC_YEARS), f"{_PUBLIC_YEARS} years after a public image's creation"
    else:
        limit, what = _add_years(now, _YEARS_AHEAD), f"{_YEARS_AHEAD} years from now"
    if at > limit:
        raise EC2Error("InvalidParameterValue",
                       f"The deprecation time {at:%Y-%m-%dT%H:%M:%SZ} is too far ahead: at most {what}.")
    op = "replace" if DEPRECATION_PROPERTY in image else "add"
    _patch(ctx, image["id"], [{"op": op, "path": f"/{DEPRECATION_PROPERTY}", "value": f"{at:%Y-%m-%dT%H:%M:%SZ}"}])
    return {"Return": True}


@handler("DisableImageDeprecation", not_found=NOT_FOUND, honours=("ImageId",))
def disable_image_deprecation(ctx: RequestContext, params: DisableImageDeprecationRequest) -> DisableImageDeprecationResult:
    """Remove the image's deprecation time (nothing to do when it has none)."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    require_owner(ctx, image, image_id)
    if DEPRECATION_PROPERTY in image:
        _patch(ctx, image["id"], [{"op": "remove", "path": f"/{DEPRECATION_PROPERTY}"}])
    return {"Return": True}
