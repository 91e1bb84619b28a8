"""Protocol support for the generated codec (the ec2 query protocol's fixed rules).

The generated modules hold everything that depends on the model; this module holds what does not:
turning form fields into a tree, scalar conversions, XML text escaping, timestamp formats and the
lazily loaded ``Operation`` registry. Hot paths are written for speed: serialising 1,000 instances
calls ``esc`` tens of thousands of times.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import math
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ec2api_runtime.errors import (
    EC2Error,
    cut,
    invalid_parameter_value,
    missing_parameter,
    unknown_parameter,
)
from ec2api_runtime.xmltext import XML_INVALID as _XML_INVALID
from ec2api_runtime.xmltext import esc

__all__ = [
    "EC2Error", "Operation", "OperationRegistry", "form_tree", "list_items",
    "missing", "unknown", "invalid", "esc",
]

missing = missing_parameter
invalid = invalid_parameter_value

_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# Lists the model leaves unbounded take at most this many elements (gaps included). No SDK sends
# more: EC2 itself caps id lists at 1,000 (DescribeInstances, CreateTags) and most at far fewer.
MAX_LIST_ITEMS = 1000
# Gaps (elements that serialised to nothing) are materialised as empty elements; across the whole
# request they may add at most this many elements beyond one per form field, so that a handful of
# fields can never make the parser allocate millions of placeholders.
MAX_GAP_ELEMENTS = 1000
_MAX_INDEX_DIGITS = len(str(MAX_LIST_ITEMS * 100))   # longer indices are refused before int()
# A long is 64 bits and an integer 32 on EC2; a longer digit string is refused before int().
_MAX_INTEGER_CHARS = 21
_INT32 = (-2**31, 2**31 - 1)
_INT64 = (-2**63, 2**63 - 1)
_ISO8601 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|z|[+-]\d\d:?\d\d)?\Z"
)


# ---------------------------------------------------------------------------------------------
# Input

def form_tree(form: Mapping[str, str]) -> dict:
    """Nest flat form fields on their dots: ``{"A.1.B": v}`` -> ``{"A": {"1": {"B": v}}}``.

    Leaves are the string values; inner nodes are dicts. A field that is both a leaf and a prefix
    of another field, an empty name segment, or a value with a character XML cannot carry is
    rejected here, before any handler runs, and so is a request whose list indices add up to far
    more elements than it has fields (``Filter.1000000.Name=x``): nothing is allocated for them.
    """
    tree: dict = {}
    widest: dict[int, int] = {}   # id(list node) -> its highest index
    for key, value in form.items():
        if _XML_INVALID.search(value) is not None:
            raise invalid(key, value.encode("unicode_escape").decode("ascii"),
                          "It contains a character that is not allowed.")
        if "." not in key:
            if key in tree:   # only possible when the same leaf name also has children
                raise unknown_parameter(key)
            tree[key] = value
            continue
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            if not part:
                raise unknown_parameter(key)
            if part.isdigit() and part.isascii():
                _note_index(widest, node, part, key)
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif child.__class__ is not dict:
                raise unknown_parameter(key)
            node = child
        last = parts[-1]
        if not last or last in node:
            raise unknown_parameter(key)
        if last.isdigit() and last.isascii():
            _note_index(widest, node, last, key)
        node[last] = value
    if widest and sum(widest.values()) > len(form) + MAX_GAP_ELEMENTS:
        raise invalid("list index", str(max(widest.values())),
                      f"The list indices leave more than {MAX_GAP_ELEMENTS} elements unset.")
    return tree


def _note_index(widest: dict[int, int], node: dict, part: str, key: str) -> None:
    if len(part) > _MAX_INDEX_DIGITS:
        raise invalid(cut(key, 80), cut(part, 40),
                      "The list index is too large.")
    index = int(part)
    if index > widest.get(id(node), 0):
        widest[id(node)] = index


def first_field(node: Any, name: str) -> str:
    """The full name of one field inside ``node``, for naming an unexpected nested field."""
    while node.__class__ is dict and node:
        key = next(iter(node))
        name, node = f"{name}.{key}", node[key]
    return name


def unknown(name: str, node: Any = None) -> EC2Error:
    """UnknownParameter for ``name``, or for the first field under it when ``node`` is a subtree."""
    if node is not None and node.__class__ is dict:
        name = first_field(node, name)
    return unknown_parameter(name)


def structure_node(node: Any, name: str) -> dict:
    """Check that a structure got fields (``Placement.AvailabilityZone=...``), not a value."""
    if node.__class__ is not dict:
        raise unknown_parameter(name)
    return node


def list_items(node: Any, name: str, max_items: int | None = None) -> list[tuple[int, Any]]:
    """The elements of a flattened list (``Name.1``, ``Name.2``, ...) as ``(index, node)`` in order.

    Indices are 1-based decimal numbers without leading zeros, at most ``max_items`` (the model's
    ``max``, else ``MAX_LIST_ITEMS``); anything else is ``InvalidParameterValue``. Gaps are allowed
    (an element that serialised to nothing); the caller validates them like any element.
    """
    if node.__class__ is not dict:
        raise unknown_parameter(name)
    limit = MAX_LIST_ITEMS if max_items is None else max_items
    items = []
    for key, value in node.items():
        if not (key.isascii() and key.isdigit()) or key[0] == "0":
            raise invalid(f"{name}.{cut(key, 40)}", cut(key, 40), "List indices are whole numbers starting at 1.")
        index = int(key) if len(key) <= _MAX_INDEX_DIGITS else limit + 1
        if index > limit:
            raise invalid(f"{name}.{cut(key, 40)}", cut(key, 40), f"A list here holds at most {limit} elements.")
        items.append((index, value))
    items.sort(key=_first)
    return items


def map_items(node: Any, name: str, flattened: bool, key_name: str, value_name: str) -> Iterator[tuple]:
    """The ``(key_node, value_node, field_name)`` entries of a map (``Name.entry.1.key``...)."""
    if not flattened:
        node = structure_node(node, name)
        if set(node) - {"entry"}:
            raise unknown(f"{name}.{next(k for k in node if k != 'entry')}")
        name = f"{name}.entry"
        node = node.get("entry", {})
    for index, entry in list_items(node, name):
        entry_name = f"{name}.{index}"
        entry = structure_node(entry, entry_name)
        extra = set(entry) - {key_name, value_name}
        if extra:
            raise unknown(f"{entry_name}.{sorted(extra)[0]}")
        if key_name not in entry:
            raise missing(f"{entry_name}.{key_name}")
        if value_name not in entry:
            raise missing(f"{entry_name}.{value_name}")
        yield entry[key_name], entry[value_name], entry_name


def _first(pair: tuple) -> Any:
    return pair[0]


def string(value: Any, name: str) -> str:
    """A string field."""
    if value.__class__ is not str:
        raise unknown(name, value)
    return value


def integer(value: Any, name: str) -> int:
    """An integer field: decimal digits with an optional sign, within 32 bits."""
    return _whole(value, name, _INT32)


def long(value: Any, name: str) -> int:
    """A long field: decimal digits with an optional sign, within 64 bits."""
    return _whole(value, name, _INT64)


def _whole(value: Any, name: str, bounds: tuple[int, int]) -> int:
    if value.__class__ is not str:
        raise unknown(name, value)
    if len(value) > _MAX_INTEGER_CHARS or _INTEGER.match(value) is None:
        raise invalid(name, cut(value, 40), "It must be an integer.")
    number = int(value)
    if not bounds[0] <= number <= bounds[1]:
        raise out_of_range(name, value, *bounds)
    return number


def float_(value: Any, name: str) -> float:
    """A float or double field: decimal, exponent, or ``NaN``/``Infinity``/``-Infinity``."""
    if value.__class__ is not str:
        raise unknown(name, value)
    special = _SPECIAL_FLOATS.get(value)
    if special is not None:
        return special
    if len(value) > 400 or _FLOAT.match(value) is None:
        raise invalid(name, cut(value, 40), "It must be a number.")
    return float(value)


def boolean(value: Any, name: str) -> bool:
    """A boolean field: exactly ``true`` or ``false``."""
    if value == "true":
        return True
    if value == "false":
        return False
    if value.__class__ is not str:
        raise unknown(name, value)
    raise invalid(name, value, "It must be true or false.")


def blob(value: Any, name: str) -> bytes:
    """A blob field, base64-encoded on the wire."""
    if value.__class__ is not str:
        raise unknown(name, value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(name, value, "It must be base64-encoded.") from None


def timestamp_iso8601(value: Any, name: str) -> datetime:
    """An ISO 8601 timestamp (fractional seconds and offset optional; no offset means UTC)."""
    if value.__class__ is not str:
        raise unknown(name, value)
    m = _ISO8601.match(value)
    if m is None:
        raise invalid(name, value, "It must be an ISO 8601 timestamp.")
    year, month, day, hour, minute, second, fraction, offset = m.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC)
    except ValueError:
        raise invalid(name, value, "It must be an ISO 8601 timestamp.") from None
    if offset and offset not in ("Z", "z"):
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        try:
            dt -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        except OverflowError:   # 9999-12-31T23:59:59-23:59 lies beyond the last representable time
            raise invalid(name, value, "It is outside the range of supported timestamps.") from None
    return dt


def timestamp_unixtimestamp(value: Any, name: str) -> datetime:
    """Epoch seconds, possibly fractional."""
    seconds = float_(value, name)
    if not math.isfinite(seconds):
        raise invalid(name, value, "It must be a timestamp.")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise invalid(name, value, "It must be a timestamp.") from None


def timestamp_rfc822(value: Any, name: str) -> datetime:
    """An HTTP date (``Tue, 29 Apr 2014 18:30:38 GMT``)."""
    if value.__class__ is not str:
        raise unknown(name, value)
    from email.utils import parsedate_to_datetime  # rare format: keep it off the import path

    try:
        dt = parsedate_to_datetime(value)
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        raise invalid(name, value, "It must be an HTTP date.") from None


def enum_values_text(values: tuple[str, ...]) -> str:
    """The tail of an enum error message, short even for enums of a thousand values."""
    shown = ", ".join(values[:20])
    more = f" (and {len(values) - 20} more)" if len(values) > 20 else ""
    return f"Supported values: {shown}{more}."


def bad_enum(name: str, value: str, values: tuple[str, ...]) -> EC2Error:
    """InvalidParameterValue for a value outside the model's enum."""
    return invalid(name, value, enum_values_text(values))


def out_of_range(name: str, value: Any, low: Any, high: Any) -> EC2Error:
    """InvalidParameterValue for a number outside ``[low, high]`` (either bound may be None)."""
    return invalid(name, value, _bounds_text("It must be", low, high))


def bad_length(name: str, value: Any, low: Any, high: Any, what: str = "characters") -> EC2Error:
    """InvalidParameterValue for a string or list whose length is outside the model's bounds."""
    shown = value if isinstance(value, str) else f"{len(value)} items"
    return invalid(name, shown, _bounds_text(f"Its length in {what} must be", low, high))


def _bounds_text(prefix: str, low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{prefix} between {low} and {high}."
    if low is not None:
        return f"{prefix} at least {low}."
    return f"{prefix} at most {high}."


# ---------------------------------------------------------------------------------------------
# Output

def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value   # naive datetimes are taken to be UTC already
    return value.astimezone(UTC)


def ts_iso8601(value: datetime) -> str:
    """``2026-11-26T07:00:00.000Z``: ISO 8601, UTC, milliseconds, as EC2 sends them."""
    v = _as_utc(value)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
            f".{v.microsecond // 1000:03d}Z")


def ts_unixtimestamp(value: datetime) -> str:
    """Epoch seconds; fractional only when the time has sub-second precision."""
    v = _as_utc(value)
    if v.tzinfo is None:
        v = v.replace(tzinfo=UTC)
    seconds = v.timestamp()
    return str(int(seconds)) if v.microsecond == 0 else repr(round(seconds, 3))


def ts_rfc822(value: datetime) -> str:
    """An HTTP date: ``Tue, 29 Apr 2014 18:30:38 GMT``."""
    v = _as_utc(value)
    if v.tzinfo is None:
        v = v.replace(tzinfo=UTC)
    from email.utils import format_datetime

    return format_datetime(v, usegmt=True)


def float_text(value: float) -> str:
    """A float as text that parses back to the same value (``NaN``, ``Infinity``, ``-Infinity``)."""
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return repr(value) if isinstance(value, float) else str(value)


def b64(value: bytes | str) -> str:
    """A blob as base64 text."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


# ---------------------------------------------------------------------------------------------
# Strict results (tests)

# The serializer writes the members an output shape has and skips every other key, so a misspelt
# result key would vanish from the XML in silence. In strict mode (the test suites set
# EC2API_STRICT_RESULTS=1, for the in-process tests and the servers they start) such a key, and a
# private ``_key`` a handler forgot to strip, fail the request instead.
STRICT_RESULTS = os.environ.get("EC2API_STRICT_RESULTS", "") not in ("", "0")


class ResultShapeError(ValueError):
    """A handler's result has a key its output shape does not have (strict mode only)."""


def check_result(operation: str, members: Mapping[str, Mapping[str, Any]], ref: Any, value: Any,
                 path: str = "") -> None:
    """Raise ``ResultShapeError`` for the first key of ``value`` that the model's shape ``ref`` lacks.

    ``members`` and ``ref`` are the generated ``RESULT_MEMBERS`` / ``RESULT_ROOT`` of the operation's
    module: a structure's id, ``("list", ref)``, ``("map", ref)``, or None for a scalar.
    """
    if ref is None or value is None:
        return
    if isinstance(ref, str):
        if not isinstance(value, Mapping):
            raise ResultShapeError(f"{operation} result{path}: a {ref} must be a dict, not {type(value).__name__}")
        shape = members[ref]
        for key, child in value.items():
            if key not in shape:
                raise ResultShapeError(f"{operation} result{path}: {key!r} is not a member of {ref}")
            check_result(operation, members, shape[key], child, f"{path}.{key}")
    elif ref[0] == "list":
        if not isinstance(value, (list, tuple)):
            raise ResultShapeError(f"{operation} result{path}: a list expected, not {type(value).__name__}")
        for index, item in enumerate(value):
            check_result(operation, members, ref[1], item, f"{path}[{index}]")
    else:
        for key, item in value.items():
            check_result(operation, members, ref[1], item, f"{path}[{key!r}]")


# ---------------------------------------------------------------------------------------------
# The operation registry

class Operation:
    """One operation of a generated package; its code module is imported on first use."""

    __slots__ = ("name", "module_name", "input_shape", "output_shape", "idempotency_token",
                 "dry_run", "_module")

    def __init__(self, name: str, module_name: str, input_shape: str | None, output_shape: str | None,
                 idempotency_token: str | None = None, dry_run: bool = False) -> None:
        self.name = name
        self.module_name = module_name
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.idempotency_token = idempotency_token
        self.dry_run = dry_run
        self._module: Any = None

    @property
    def module(self) -> Any:
        """The generated module holding this operation's parser and serializer."""
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self.module_name)
        return module

    def parse(self, form: Mapping[str, str]) -> dict:
        """Parse and validate the operation's own form fields into botocore-style params."""
        return self.module.parse(form)

    def serialize(self, result: Mapping[str, Any] | None, request_id: str, *, strict: bool | None = None) -> bytes:
        """Serialise a botocore-style result into the operation's XML response body.

        ``strict`` (default ``STRICT_RESULTS``): refuse result keys the output shape does not have.
        """
        if STRICT_RESULTS if strict is None else strict:
            self.check(result)
        return self.module.serialize(result, request_id)

    def check(self, result: Mapping[str, Any] | None) -> None:
        """Raise ``ResultShapeError`` if ``result`` has a key (at any depth) the output shape lacks."""
        if self.output_shape is None:
            if result:
                raise ResultShapeError(f"{self.name} has no output shape, but its result is {sorted(result)}")
            return
        module = self.module
        check_result(self.name, module.RESULT_MEMBERS, module.RESULT_ROOT, result)

    def __repr__(self) -> str:
        return f"<Operation {self.name}>"


class OperationRegistry(Mapping[str, Operation]):
    """Read-only ``name -> Operation`` mapping built from the generated table of rows."""

    def __init__(self, package: str, rows: tuple[tuple, ...]) -> None:
        self._ops = {row[0]: Operation(row[0], f"{package}.{row[1]}", *row[2:]) for row in rows}

    def __getitem__(self, name: str) -> Operation:
        return self._ops[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)
