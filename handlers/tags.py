"""Tags on any EC2 resource of the caller's project: CreateTags, DeleteTags, DescribeTags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import pagination
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.filters import apply_filters, check_filters
from handlers import _glance as glance
from handlers import _lifecycle as lifecycle

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateTagsRequest,
        DeleteTagsRequest,
        DescribeTagsRequest,
        DescribeTagsResult,
    )


def _check_images_visible(ctx: Any, resource_ids: list[str]) -> None:
    """AMI ids are shared by every project; tagging one needs the caller to see that image."""
    glance.resolve_many(ctx, [rid for rid in resource_ids if ids.kind_of(rid) == "ami"])


@handler("CreateTags", honours=("Resources", "Tags"))
def create_tags(ctx: RequestContext, params: CreateTagsRequest) -> None:
    """Add or overwrite tags on resources; all or nothing."""
    _check_images_visible(ctx, params["Resources"])
    with ctx.session() as s:
        tags.set_tags(s, ctx.project_id, params["Resources"],
                      [{"Key": t["Key"], "Value": t.get("Value", "")} for t in params["Tags"]])


@handler("DeleteTags", honours=("Resources", "Tags"))
def delete_tags(ctx: RequestContext, params: DeleteTagsRequest) -> None:
    """Delete tags (by key, or key and value; all tags when none are named)."""
    _check_images_visible(ctx, params["Resources"])
    with ctx.session() as s:
        tags.delete_tags(s, ctx.project_id, params["Resources"], params.get("Tags"))


_EXTRACTORS = {
    "key": lambda r: r["Key"],
    "value": lambda r: r["Value"],
    "resource-id": lambda r: r["ResourceId"],
    "resource-type": lambda r: r["ResourceType"],
}


@handler("DescribeTags", honours=("Filters", "MaxResults", "NextToken"))
def describe_tags(ctx: RequestContext, params: DescribeTagsRequest) -> DescribeTagsResult:
    """Tags of the project, filtered and paged; exact-match filters go to the database."""
    filters = params.get("Filters") or []
    check_filters("DescribeTags", filters, [*_EXTRACTORS, "tag:<key>"])
    pushed: dict[str, list[str]] = {}
    for f in filters:
        values = f.get("Values") or []
        if f["Name"] in _EXTRACTORS and values and not any(c in v for v in values for c in "*?\\"):
            pushed.setdefault(f["Name"], values)
    resource_types = pushed.get("resource-type")
    with ctx.session() as s:
        rows = tags.list_tags(s, ctx.project_id, resource_ids=pushed.get("resource-id"),
                              resource_types=resource_types, keys=pushed.get("key"),
                              values=pushed.get("value"))
    # Instances terminated longer ago than AWS shows them are gone: so are their tags (and the
    # mapping is forgotten here too, a write only when one has expired).
    instance_ids = {r.resource_id for r in rows if r.resource_type == "instance"}
    if instance_ids:
        with ctx.session() as s:
            data = ids.get_data_many(s, ctx.project_id, instance_ids)
        gone = set(lifecycle.expired(data, ctx.config.terminated_visible_seconds))
        if gone:
            lifecycle.forget(ctx, gone)
            rows = [r for r in rows if r.resource_id not in gone]
    items = [{"ResourceId": r.resource_id, "ResourceType": r.resource_type, "Key": r.key, "Value": r.value}
             for r in rows]
    tag_filters = [f for f in filters if f["Name"].startswith("tag:")]
    other = [f for f in filters if not f["Name"].startswith("tag:")]
    items = apply_filters("DescribeTags", other, items, _EXTRACTORS)
    if tag_filters:
        # tag:<k>=<v> on DescribeTags selects the resources carrying that tag, then lists all their tags.
        by_resource: dict[str, list[dict]] = {}
        for i in items:
            by_resource.setdefault(i["ResourceId"], []).append(i)
        keep = set(r["ResourceId"] for r in apply_filters(
            "DescribeTags", tag_filters, [{"ResourceId": rid} for rid in by_resource], {},
            tags_of=lambda r: by_resource[r["ResourceId"]]))
        items = [i for i in items if i["ResourceId"] in keep]
    result = pagination.page(ctx, params, "DescribeTags", "Tags", items,
                             key=lambda i: (i["ResourceId"], i["Key"]))
    return result
