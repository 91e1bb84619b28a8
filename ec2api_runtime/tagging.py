"""``TagSpecifications`` on create operations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ec2api_runtime.db.tags import MAX_TAGS_PER_RESOURCE, validate_tags
from ec2api_runtime.errors import EC2Error

if TYPE_CHECKING:
    from generated.ec2.types import Tag


def tags_from_specs(specs: Iterable[Mapping] | None, resource_type: str,
                    allowed: Iterable[str] | None = None) -> list[Tag]:
    """The tags ``TagSpecifications`` give ``resource_type``; specs for other types are refused.

    ``allowed`` lists every resource type the operation can tag (default: only ``resource_type``).
    Every spec's tags are validated here, so that a create operation refuses bad tags before its
    first OpenStack write rather than undoing it afterwards.
    """
    allowed_types = set(allowed or (resource_type,))
    tags: list[Tag] = []
    for spec in specs or ():
        rtype = spec.get("ResourceType")
        if rtype not in allowed_types:
            raise EC2Error("InvalidParameterValue",
                           f"'{rtype}' is not a valid taggable resource type for this operation.")
        spec_tags = spec.get("Tags") or ()
        if len(validate_tags(spec_tags)) > MAX_TAGS_PER_RESOURCE:
            raise EC2Error("TagLimitExceeded",
                           f"The maximum number of Tags for a resource has been reached ({MAX_TAGS_PER_RESOURCE}).")
        if rtype == resource_type:
            tags.extend({"Key": t["Key"], "Value": t.get("Value", "")} for t in spec_tags)
    return tags


def drop_empty_tags(items: Iterable[Any]) -> None:
    """Remove an empty ``Tags`` from each item, in place: EC2 omits an empty ``tagSet`` (the one
    place this rule is written; the Describe pipeline and RunInstances call it)."""
    for item in items:
        if not item.get("Tags"):
            item.pop("Tags", None)
