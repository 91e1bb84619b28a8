"""One Describe pipeline: a frozen spec per resource kind, and ``run`` that does the steps.

Every Describe does the same things in the same order, and here they are done once:

1. the requested ids (or names) are checked for their form (``Invalid<Kind>ID.Malformed``), and
   the parameter combinations AWS refuses are refused (ids together with ``MaxResults``);
2. the filters are checked against the model's documented names before any I/O (a filter is never
   silently ignored; an unknown or unimplemented one is ``InvalidParameterValue``);
3. ``fetch(ctx, params, wanted)`` returns the items as EC2 views: the requested ones only when ids were
   given (cost follows the result), or when tag filters narrowed the request to the ids the
   database holds those tags for (``Narrow``), else the project's;
4. a requested id that matched nothing fails the call (``*.NotFound``), as on AWS;
5. the filters are applied, and empty ``Tags`` dropped (EC2 omits them);
6. the items (or the units they are grouped into, e.g. reservations) are sorted, and paged when the
   model pages the operation (its result key and ``MaxResults`` bounds come from the generated
   paginator metadata).

The operation's name comes from the request context. A spec is data; ``run`` is the one function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ec2api_runtime import pagination, tagging
from ec2api_runtime.db import ids, tags
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.filters import TAG_FILTERS, check_filters, filter_checked, only_requested
from generated.ec2.metadata import PAGINATORS

Item = dict[str, Any]


@dataclass(frozen=True)
class Requested:
    """A parameter naming items (``VolumeIds``, ``KeyNames``): which field of an item it matches,
    the id kind whose form it must have (None: names, any form), and the error for a missing one."""

    param: str
    key: Callable[[Item], str]
    not_found: Callable[[list[str]], EC2Error]
    kind: str | None = None
    # AWS's wording of the set in "The parameter <set> cannot be used with the parameter maxResults".
    with_max_results: str | None = None
    # Ids of items deleted a moment ago (a deregistered image): asked for, they match nothing and
    # are no error, for a while, as on AWS.
    gone: Callable[[Any, list[str]], set[str]] | None = None


@dataclass(frozen=True)
class Narrow:
    """How a request without ids, whose filters ec2api's database can answer, is narrowed to ids.

    ``tag:<key>``, ``tag-key`` and ``tag-value`` filters (and ``id_filter``, e.g. ``instance-id``)
    name the candidates in the database; the fetch then gets them as if they were the requested
    ``param`` (a GET each), instead of listing the project. Every filter is still applied to what
    comes back, so the narrowing only has to be a superset: it is what makes Ansible's and
    Terraform's look-ups by tag cost what they find.
    """

    param: str                  # the requested-ids parameter the candidates stand in for
    resource_type: str          # the tags' resource type ("instance", "volume", ...)
    id_filter: str | None = None
    most: int = 20              # more candidates than this: one listing is cheaper than the GETs


@dataclass(frozen=True)
class Describe:
    """How one kind of resource is described."""

    result_key: str
    fetch: Callable[[Any, Any, dict[str, list[str]]], list[Item]]   # (ctx, params, {param: requested})
    filters: Mapping[str, Callable[[Item], Any]]
    sort_key: Callable[[Item], Any]
    requested: Sequence[Requested] = ()
    tags: bool = True              # items carry "Tags", and tag:<key>/tag-key/tag-value filter on them
    # AWS answers an empty ``tagSet`` for some kinds (route tables, internet gateways), and tools
    # read it unguarded (amazon.aws.ec2_vpc_route_table_info): keep an empty Tags there.
    empty_tags: bool = False
    prepare: Callable[[Any, Any], None] | None = None   # checks of other parameters, before any I/O
    extra: Callable[[Any, Any, list[Item]], list[Item]] = field(default=lambda ctx, params, items: items)
    # What is paged when it is not the items themselves (DescribeInstances pages reservations).
    group: Callable[[Any, list[Item]], list[Item]] | None = None
    narrow: Narrow | None = None


def run(ctx: Any, params: Mapping[str, Any], spec: Describe) -> Any:
    """The Describe result for ``params`` (the steps in the module docstring).

    It is the operation's result TypedDict; which one depends on the spec, so statically it is
    ``Any`` (the strict serializer of the tests checks its keys).
    """
    operation = ctx.operation
    wanted: dict[str, list[str]] = {}
    for r in spec.requested:
        values = list(dict.fromkeys(params.get(r.param) or []))
        if r.kind is not None:
            ids.require_well_formed(r.kind, values)
        if values and r.with_max_results and params.get("MaxResults") is not None:
            raise EC2Error("InvalidParameterCombination",
                           f"The parameter {r.with_max_results} cannot be used with the parameter maxResults")
        wanted[r.param] = values
    filters = params.get("Filters") or []
    implemented = [*spec.filters, *(TAG_FILTERS if spec.tags else ())]
    if filters:
        check_filters(operation, filters, implemented)
    if spec.prepare is not None:
        spec.prepare(ctx, params)
    nothing_left = False
    for r in spec.requested:
        if r.gone is not None and wanted[r.param]:
            gone = r.gone(ctx, wanted[r.param])
            wanted[r.param] = [w for w in wanted[r.param] if w not in gone]
            nothing_left = nothing_left or not wanted[r.param]   # every id asked for is gone
    narrowed_param = None
    if spec.narrow is not None and filters and not any(wanted.values()):
        narrowed = candidates(ctx, filters, spec.narrow)
        if narrowed is not None:
            narrowed_param = spec.narrow.param
            wanted[narrowed_param] = narrowed
            nothing_left = not narrowed
    items = [] if nothing_left else spec.fetch(ctx, params, wanted)
    for r in spec.requested:
        if r.param != narrowed_param:   # candidates may be gone from OpenStack: no NotFound for them
            items = only_requested(items, wanted[r.param], r.key, r.not_found)
    items = spec.extra(ctx, params, items)
    items = filter_checked(filters, list(items), spec.filters, tags_of=_tags_of if spec.tags else None)
    if spec.tags and not spec.empty_tags:
        tagging.drop_empty_tags(items)
    units = spec.group(ctx, items) if spec.group is not None else items
    paginator = PAGINATORS.get(operation)
    if paginator is not None:
        return pagination.page(ctx, params, operation, paginator["result_key"][0], units, key=spec.sort_key)
    return {spec.result_key: sorted(units, key=spec.sort_key)}


def _tags_of(item: Item) -> list[dict]:
    return item.get("Tags") or []


def exact_values(filters: Sequence[Mapping[str, Any]], *names: str) -> list[list[str]]:
    """The value lists of the filters called one of ``names`` whose values are all exact (no ``*``,
    ``?`` or escape): what a fetch may hand to OpenStack's own query filters (a push-down). Each list
    is one filter (filters AND, a filter's values OR); a wildcard needs EC2's matching, so such a
    filter is left out, and applied in memory like every other filter after the fetch."""
    out = []
    for f in filters:
        values = list(dict.fromkeys(f.get("Values") or []))
        if f.get("Name") in names and values and not any(c in v for v in values for c in "*?\\"):
            out.append(values)
    return out


def candidates(ctx: Any, filters: Sequence[Mapping[str, Any]], narrow: Narrow) -> list[str] | None:
    """The ids that can match ``filters`` as far as ec2api's own tables tell (a superset of the
    answer), or None when the filters do not narrow it or name more than ``narrow.most``."""
    found: set[str] | None = None
    for f in filters:
        name, values = f.get("Name") or "", list(f.get("Values") or [])
        if not values:
            continue
        keys: list[str] | None = None
        patterns: list[str] | None = None
        if name.startswith("tag:") and not any(c in name[4:] for c in "*?\\"):
            keys, patterns = [name[4:]], values   # a key is literal; values may be patterns
        elif name == "tag-key":
            keys = values
        elif name == "tag-value":
            patterns = values
        elif name == narrow.id_filter and not any(c in v for v in values for c in "*?\\"):
            matched = set(values)
        else:
            continue
        if keys is not None or patterns is not None:
            with ctx.session() as s:
                matched = {row.resource_id for row in tags.list_tags(
                    s, ctx.project_id, resource_types=[narrow.resource_type], keys=keys, values=patterns)}
        found = matched if found is None else found & matched
    if found is None or len(found) > narrow.most:
        return None
    return sorted(found)
