"""The filter engine every Describe uses, driven by the filter names the model documents.

A handler names, for each filter it implements, a function returning the item's value(s) for it.
Documented filters the handler does not implement, and names the model does not document, are
rejected with ``InvalidParameterValue``: a filter is never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
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


class _Piece:
    """A fixed-length piece of a wildcard pattern, as a regex of literals and ``.`` only."""

    __slots__ = ("regex", "length")

    def __init__(self, parts: list[str]) -> None:
        self.regex = re.compile("".join(parts), re.S)
        self.length = len(parts)


class _Glob:
    """An EC2 wildcard pattern (``*`` any run, ``?`` one character, a backslash escapes either).

    Matched without a backtracking regex: the pattern is cut at its stars into pieces of fixed
    length (literals and ``?``); the first piece must match at the start, the last at the end, and
    each piece between is taken at its leftmost match after the previous one. Leftmost is always
    right, because a star absorbs whatever lies before a later match. A piece is a regex without
    repetition, so the time is bounded by text length times pattern length, whatever the input.
    """

    __slots__ = ("pieces", "starred", "length")

    def __init__(self, pieces: list[_Piece], starred: bool) -> None:
        self.pieces = pieces
        self.starred = starred
        self.length = sum(p.length for p in pieces)

    def fullmatch(self, text: str) -> bool:
        pieces = self.pieces
        if not self.starred:
            return len(text) == self.length and pieces[0].regex.match(text) is not None
        if len(text) < self.length:
            return False
        head, tail = pieces[0], pieces[-1]
        if head.regex.match(text) is None:
            return False
        pos = head.length
        for piece in pieces[1:-1]:
            found = piece.regex.search(text, pos)
            if found is None:
                return False
            pos = found.end()
        start = len(text) - tail.length
        return start >= pos and tail.regex.match(text, start) is not None


def _compile(value: str) -> str | _Glob:
    """A filter value as the plain string it matches, or as a ``_Glob`` when it has wildcards."""
    if "*" not in value and "?" not in value and "\\" not in value:
        return value
    pieces: list[list[str]] = [[]]
    literal: list[str] = []   # the value with its escapes resolved, for a value with no wildcard
    stars = questions = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            pieces[-1].append(re.escape(value[i + 1]))
            literal.append(value[i + 1])
            i += 2
            continue
        if ch == "*":
            stars += 1
            if pieces[-1] or len(pieces) == 1:   # consecutive stars are one star
                pieces.append([])
        elif ch == "?":
            questions += 1
            pieces[-1].append(".")
        else:
            pieces[-1].append(re.escape(ch))
            literal.append(ch)
        i += 1
    if not stars and not questions:
        return "".join(literal)
    return _Glob([_Piece(p) for p in pieces], starred=bool(stars))


class Values:
    """One filter's values, compiled once per request: exact strings in a set, wildcards apart."""

    __slots__ = ("exact", "globs")

    def __init__(self, values: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.globs: list[_Glob] = []
        for v in values:
            c = _compile(v)
            if isinstance(c, str):
                self.exact.add(c)
            else:
                self.globs.append(c)

    def match(self, text: str) -> bool:
        if text in self.exact:
            return True
        return any(g.fullmatch(text) for g in self.globs)


def matches(values: Sequence[str] | Values, candidate: Any) -> bool:
    """Whether ``candidate`` (a value or a list of values) matches any of the filter ``values``."""
    if not isinstance(values, Values):
        values = Values(values)
    candidates = candidate if isinstance(candidate, (list, tuple, set, frozenset)) else (candidate,)
    for c in candidates:
        if c is not None and values.match(_text(c)):
            return True
    return False


def documented(operation: str) -> tuple[str, ...]:
    """The filter names the model documents for ``operation``."""
    return FILTERS.get(operation, ())


# EC2 refuses more than 200 filter values in one call (``FilterLimitExceeded``, "The maximum number
# of filter values specified on a single call is 200", what AWS answers DescribeInstances with). A
# filter without values filters nothing it could be asked for, so 200 filters is also the most a
# request can usefully carry. Values longer than any EC2 attribute they could match are refused:
# tag values and descriptions stop at 256 and 255 characters.
MAX_FILTER_VALUES = 200
MAX_FILTERS = 200
MAX_VALUE_LENGTH = 1024


def check_filters(operation: str, filters: Iterable[Mapping], implemented: Iterable[str]) -> None:
    """Reject filters the model does not document for ``operation``, or that are not implemented.

    Also enforces EC2's limits (at most 200 values in all) and that every filter has a name.
    """
    filters = list(filters)
    if len(filters) > MAX_FILTERS or sum(len(f.get("Values") or ()) for f in filters) > MAX_FILTER_VALUES:
        raise EC2Error("FilterLimitExceeded",
                       f"The maximum number of filter values specified on a single call is {MAX_FILTER_VALUES}")
    names = set(documented(operation))
    supported = set(implemented)
    for f in filters:
        name = f.get("Name")
        if name is None:
            raise EC2Error("InvalidParameterValue", "The filter 'null' is invalid")
        for value in f.get("Values") or ():
            if len(value) > MAX_VALUE_LENGTH:
                raise EC2Error("InvalidParameterValue",
                               f"The value of the filter '{name}' is longer than {MAX_VALUE_LENGTH} characters.")
        # The model documents ``tag:<key>`` as "tag" for some operations (DescribeVpcs, DescribeSubnets).
        if name.startswith("tag:") and ("tag:<key>" in names or "tag" in names):
            if not f.get("Values"):
                raise EC2Error("InvalidParameterValue", f"The filter '{name}' requires at least one value.")
            continue
        if name not in names and name not in supported:
            raise EC2Error("InvalidParameterValue", f"The filter '{name}' is invalid")
        if name not in supported and name not in TAG_FILTERS:
            raise EC2Error("InvalidParameterValue", f"The filter '{name}' is not supported")


def _no_tags(item: Any) -> Sequence[Mapping]:
    return ()


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
    return filter_checked(filters, items, extractors, tags_of)


def filter_checked(filters: Sequence[Mapping], items: list[Any], extractors: Mapping[str, Extractor],
                   tags_of: Callable[[Any], Sequence[Mapping]] | None = None) -> list[Any]:
    """``apply_filters`` for filters ``check_filters`` has already accepted (the Describe pipeline
    checks them before any I/O and need not check them again)."""
    # Without tags_of the tag filters were refused by the check; this only keeps the types honest.
    tags = tags_of if tags_of is not None else _no_tags
    for f in filters:
        if not f.get("Values"):
            continue
        name, values = f["Name"], Values(f["Values"])
        if name.startswith("tag:") and name not in extractors:
            key = name[4:]   # keys may hold colons: split at the first one only
            items = [i for i in items if any(t["Key"] == key and matches(values, t["Value"]) for t in tags(i))]
        elif name == "tag-key" and name not in extractors:
            items = [i for i in items if any(matches(values, t["Key"]) for t in tags(i))]
        elif name == "tag-value" and name not in extractors:
            items = [i for i in items if any(matches(values, t["Value"]) for t in tags(i))]
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

