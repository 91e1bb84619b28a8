"""The filter engine every Describe uses, driven by the filter names the model documents.

A handler names, for each filter it implements, a function returning the item's value(s) for it.
Documented filters the handler does not implement, and names the model does not document, are
rejected with ``InvalidParameterValue``: a filter is never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from ec2api_runtime.codec import ts_iso8601
from ec2api_runtime.errors import EC2Error
from generated.ec2.metadata import FILTERS

Extractor = Callable[[Any], Any]
T = TypeVar("T")
TAG_FILTERS = ("tag-key", "tag-value")


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, datetime):
        return ts_iso8601(value)
    return str(value)


@lru_cache(maxsize=4096)
def _pattern(value: str) -> re.Pattern[str]:
    # EC2 wildcards: * any run, ? one character; a backslash escapes them.
    out = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S)


def matches(values: Sequence[str], candidate: Any) -> bool:
    """Whether ``candidate`` (a value or a list of values) matches any of the filter ``values``."""
    candidates = candidate if isinstance(candidate, (list, tuple, set, frozenset)) else (candidate,)
    for c in candidates:
        if c is None:
            continue
        text = _text(c)
        for v in values:
            if ("*" in v or "?" in v or "\\" in v) and _pattern(v).fullmatch(text) or v == text:
                return True
    return False


def documented(operation: str) -> tuple[str, ...]:
    """The filter names the model documents for ``operation``."""
    return FILTERS.get(operation, ())


def check_filters(operation: str, filters: Iterable[Mapping], implemented: Iterable[str]) -> None:
    """Reject filters the model does not document for ``operation``, or that are not implemented."""
    names = set(documented(operation))
    supported = set(implemented)
    for f in filters:
        name = f["Name"]
        if name.startswith("tag:") and "tag:<key>" in names:
            if not f.get("Values"):
                raise EC2Error("InvalidParameterValue", f"The filter '{name}' requires at least one value.")
            continue
        if name not in names and name not in supported:
            raise EC2Error("InvalidParameterValue", f"The filter '{name}' is invalid")
        if name not in supported and name not in TAG_FILTERS:
            raise EC2Error("InvalidParameterValue", f"The filter '{name}' is not supported")


def apply_filters(operation: str, filters: Sequence[Mapping] | None, items: Iterable[Any],
                  extractors: Mapping[str, Extractor],
                  tags_of: Callable[[Any], Sequence[Mapping]] | None = None) -> list[Any]:
    """The items that match every filter (AND across filters, OR across one filter's values).

    ``extractors`` maps a filter name to a function of the item; ``tags_of`` gives an item's tags
    (``[{"Key", "Value"}]``) for ``tag:<key>``, ``tag-key`` and ``tag-value``.
    """
    items = list(items)
    if not filters:
        return items
    implemented = set(extractors)
    if tags_of is not None:
        implemented.update(TAG_FILTERS)
    check_filters(operation, filters, implemented)
    for f in filters:
        name, values = f["Name"], list(f.get("Values") or ())
        if not values:
            continue
        if name.startswith("tag:") and name not in extractors:
            key = name[4:]   # keys may hold colons: split at the first one only
            items = [i for i in items if any(t["Key"] == key and matches(values, t["Value"]) for t in tags_of(i))]
        elif name == "tag-key" and name not in extractors:
            items = [i for i in items if any(matches(values, t["Key"]) for t in tags_of(i))]
        elif name == "tag-value" and name not in extractors:
            items = [i for i in items if any(matches(values, t["Value"]) for t in tags_of(i))]
        else:
            extract = extractors[name]
            items = [i for i in items if matches(values, extract(i))]
    return items


def only_requested(items: Sequence[T], requested: Sequence[str] | None, key: Callable[[T], str],
                   not_found: Callable[[list[str]], EC2Error]) -> list[T]:
    """The items a Describe's list of ids (or names) asks for; every item when it asks for none.

    A requested id that matches no item fails the whole call with ``not_found(missing)`` (missing in
    request order), as AWS does rather than answering with what it found.
    """
    if not requested:
        return list(items)
    present = {key(i) for i in items}
    missing = [r for r in requested if r not in present]
    if missing:
        raise not_found(missing)
    wanted = set(requested)
    return [i for i in items if key(i) in wanted]

