"""Seeded random *valid* values for botocore shapes, plus the comparison helpers the
conformance tests share.

A value is what a boto3 caller passes (inputs) or what boto3 hands back (outputs):
``str, int, float, bool, datetime (UTC-aware), bytes, list, dict``.

The EC2 query protocol is lossy in one way: empty lists and empty structures are not sent
on the wire. The generator therefore never produces an empty list or an empty structure
below the top level, so the original value is also the expected round-trip value.
``normalise`` is there for callers that build values by hand.
"""

from __future__ import annotations

import base64
import math
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from botocore.model import Shape

# Pieces that make strings hostile to a careless form decoder or XML writer.
HOSTILE_PIECES = [
    "&", "<", ">", '"', "'", "%", "+", "=", "#", "?", ";", "/", "\\", "]]>", "&amp;",
    "%20", "%2B", "a=b&c=d", "<x/>", "é", "ü", "ß", "中文", "Ωμέγα", "日本語", "😀", "🚀",
    "\u200b", "\u00a0", "\t", "\n", "\r", "\r\n", " ", "  ",
]
PLAIN_PIECES = ["a", "b", "Z", "0", "9", "-", "_", ".", ":", "x", "instance", "vpc-0abc", "i-0123456789abcdef0"]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
EPOCH_MIN = datetime(1970, 1, 2, tzinfo=UTC)
EPOCH_SPAN = int((datetime(2099, 12, 31, tzinfo=UTC) - EPOCH_MIN).total_seconds())


class _Skip:
    """Marker: nothing sensible could be generated for an optional slot."""


SKIP = _Skip()


def is_xml_char(ch: str) -> bool:
    """True when XML 1.0 can carry the character."""
    cp = ord(ch)
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


class RandomData:
    """Random valid values for one direction (``output=False`` for requests)."""

    def __init__(
        self,
        seed: int | str,
        *,
        output: bool = False,
        max_depth: int = 6,
        max_list: int = 3,
        empties: float = 0.0,
    ) -> None:
        self.rng = random.Random(seed)
        self.output = output
        self.max_depth = max_depth
        self.max_list = max_list
        # Probability of an empty list / empty nested structure. Off by default: the wire
        # does not carry them on input, so callers that turn it on compare with normalise().
        self.empties = empties

    # ------------------------------------------------------------------ entry points
    def value(self, shape: Shape | None) -> Any:
        """A top-level value (a structure may come out as ``{}`` here)."""
        if shape is None:
            return {}
        v = self._value(shape, 0, force=True)
        return {} if v is SKIP else v

    # ------------------------------------------------------------------ dispatch
    def _value(self, shape: Shape, depth: int, force: bool = False) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape, depth, force)
        if kind == "list":
            return self._list(shape, depth, force)
        if kind == "map":
            return self._map(shape, depth, force)
        return getattr(self, "_" + kind)(shape)

    def _structure(self, shape: Shape, depth: int, force: bool) -> Any:
        if depth > 0 and self.empties and self.rng.random() < self.empties:
            return {}
        members = shape.members
        required = set(shape.required_members)
        if not members:
            return {} if depth == 0 else SKIP
        if depth >= self.max_depth and not force and not required:
            return SKIP
        if depth == 0:
            p = 0.6
        elif depth < 3:
            p = 0.4
        else:
            p = 0.15
        out: dict[str, Any] = {}
        for name, mshape in members.items():
            is_req = name in required
            if not is_req:
                if depth >= self.max_depth and mshape.type_name in ("structure", "list", "map"):
                    continue
                if self.rng.random() >= p:
                    continue
            v = self._value(mshape, depth + 1, force=is_req)
            if v is not SKIP:
                out[name] = v
        if not out and depth > 0:
            # Never leave an empty structure below the top level: it would not be sent.
            scalars = [n for n, s in members.items() if s.type_name not in ("structure", "list", "map")]
            candidates = scalars or list(members)
            self.rng.shuffle(candidates)
            for name in candidates:
                v = self._value(members[name], depth + 1, force=True)
                if v is not SKIP:
                    out[name] = v
                    break
            if not out:
                return SKIP
        return out

    def _list(self, shape: Shape, depth: int, force: bool) -> Any:
        if self.empties and self.rng.random() < self.empties:
            return []
        lo = max(int(shape.metadata.get("min", 1)), 1)
        cap = self.max_list if depth < 3 else 2
        hi = min(int(shape.metadata.get("max", cap)), max(cap, lo))
        n = self.rng.randint(lo, max(lo, hi))
        out = []
        for _ in range(n):
            v = self._value(shape.member, depth + 1, force=True)
            if v is SKIP:
                continue
            out.append(v)
        while len(out) < lo:
            v = self._value(shape.member, depth + 1, force=True)
            if v is SKIP:
                return SKIP
            out.append(v)
        if not out:
            return SKIP
        return out

    def _map(self, shape: Shape, depth: int, force: bool) -> Any:
        n = self.rng.randint(1, 2)
        out = {}
        for _ in range(n):
            k = self._string(shape.key) or "k"
            v = self._value(shape.value, depth + 1, force=True)
            if v is not SKIP:
                out[k] = v
        return out or SKIP

    # ------------------------------------------------------------------ scalars
    def _string(self, shape: Shape) -> str:
        enum = shape.metadata.get("enum")
        if enum:
            return self.rng.choice(enum)
        lo = int(shape.metadata.get("min", 0))
        hi = int(shape.metadata.get("max", 40))
        hi = max(hi, lo)
        r = self.rng.random()
        if r < 0.05 and lo == 0:
            return ""
        target = self.rng.randint(lo, min(hi, lo + 30))
        parts = []
        length = 0
        while length < target:
            piece = self.rng.choice(HOSTILE_PIECES if self.rng.random() < 0.5 else PLAIN_PIECES)
            parts.append(piece)
            length += len(piece)
        s = "".join(parts)
        if self.rng.random() < 0.15:
            s = " " + s + " "
        s = s[:hi]
        while len(s) < lo:
            s += "x"
        assert all(is_xml_char(c) for c in s)
        return s

    def _bounds(self, shape: Shape, default: tuple[int, int]) -> tuple[int, int]:
        lo = shape.metadata.get("min", default[0])
        hi = shape.metadata.get("max", default[1])
        return int(lo), int(hi)

    def _int(self, shape: Shape, default: tuple[int, int]) -> int:
        lo, hi = self._bounds(shape, default)
        r = self.rng.random()
        if r < 0.15:
            return lo
        if r < 0.3:
            return hi
        if r < 0.4 and lo <= 0 <= hi:
            return 0
        if r < 0.7:
            return self.rng.randint(max(lo, -1000), min(hi, 1000)) if max(lo, -1000) <= min(hi, 1000) else lo
        return self.rng.randint(lo, hi)

    def _integer(self, shape: Shape) -> int:
        return self._int(shape, INT32)

    def _long(self, shape: Shape) -> int:
        return self._int(shape, INT64)

    def _double(self, shape: Shape) -> float:
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        if lo is not None or hi is not None:
            lo = float(lo if lo is not None else -1e9)
            hi = float(hi if hi is not None else 1e9)
            return self.rng.choice([lo, hi, self.rng.uniform(lo, hi)])
        r = self.rng.random()
        if r < 0.06:
            return math.nan
        if r < 0.1:
            return math.inf
        if r < 0.14:
            return -math.inf
        return self.rng.choice(
            [0.0, -0.0, 1.5, -2.25, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.123456789,
             self.rng.uniform(-1e6, 1e6), self.rng.uniform(-1, 1) * 10 ** self.rng.randint(-20, 20)]
        )

    _float = _double

    def _boolean(self, shape: Shape) -> bool:
        return self.rng.random() < 0.5

    def _timestamp(self, shape: Shape) -> datetime:
        dt = EPOCH_MIN + timedelta(seconds=self.rng.randint(0, EPOCH_SPAN))
        r = self.rng.random()
        if self.output:
            # The wire carries milliseconds.
            if r < 0.5:
                dt = dt.replace(microsecond=self.rng.randint(0, 999) * 1000)
        elif r < 0.5:
            dt = dt.replace(microsecond=self.rng.randint(0, 999_999))
        elif r < 0.6:
            dt = dt.replace(microsecond=self.rng.randint(0, 999) * 1000)
        return dt

    def _blob(self, shape: Shape) -> bytes:
        n = self.rng.choice([0, 1, 2, 3, 5, 16, 40])
        return bytes(self.rng.randrange(256) for _ in range(n))

    def _character(self, shape: Shape) -> str:
        return self.rng.choice("a&<é😀")


# ---------------------------------------------------------------------- client variants
def client_variant(value: Any, shape: Shape | None, rng: random.Random) -> Any:
    """Re-express ``value`` the other ways botocore accepts it from a caller.

    Timestamps may be passed as naive datetimes (taken as UTC), other-zone aware
    datetimes, ISO 8601 strings or epoch numbers; blobs as ``str``. The result means the
    same request, so parsing it must give back ``value`` itself.
    """
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: client_variant(v, shape.members[k], rng) for k, v in value.items()}
    if kind == "list":
        return [client_variant(v, shape.member, rng) for v in value]
    if kind == "timestamp":
        r = rng.random()
        if r < 0.15:
            return value.replace(tzinfo=None)
        if r < 0.3:
            return value.astimezone(timezone(timedelta(hours=5, minutes=30)))
        if r < 0.45:
            return value.strftime("%Y-%m-%dT%H:%M:%S") + (f".{value.microsecond:06d}" if value.microsecond else "") + "Z"
        if r < 0.55 and value.microsecond == 0:
            return int(value.timestamp())
        return value
    if kind == "blob":
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return value
        return text if rng.random() < 0.5 else value
    return value


# ---------------------------------------------------------------------- normalisation
def normalise(value: Any, top: bool = True) -> Any:
    """Drop empty lists and empty structures below the top level (they are not sent)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            nv = normalise(v, top=False)
            if isinstance(nv, (dict, list)) and not nv:
                continue
            out[k] = nv
        return out
    if isinstance(value, list):
        items = [normalise(v, top=False) for v in value]
        # An empty element vanishes; trailing ones disappear entirely, inner ones stay as a gap.
        while items and isinstance(items[-1], (dict, list)) and not items[-1]:
            items.pop()
        return items
    return value


# ---------------------------------------------------------------------- comparison
def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Return a description of the first difference, or None when equal.

    Strict on types (``True`` is not ``1``; a double is a float), NaN equals NaN,
    datetimes must both be timezone-aware and denote the same instant.
    """
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected a dict, got {type(actual).__name__} {actual!r:.200}"
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            return f"{path}: missing keys {missing}, unexpected keys {extra}"
        for k in expected:
            d = first_difference(expected[k], actual[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: expected a list, got {type(actual).__name__} {actual!r:.200}"
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r:.300}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            d = first_difference(e, a, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(expected, datetime):
        if not isinstance(actual, datetime):
            return f"{path}: expected datetime {expected!r}, got {actual!r}"
        if actual.tzinfo is None or actual.utcoffset() is None:
            return f"{path}: expected an aware datetime, got naive {actual!r}"
        if expected != actual:
            return f"{path}: expected {expected.isoformat()}, got {actual.isoformat()}"
        return None
    if type(expected) is not type(actual):
        return f"{path}: expected {type(expected).__name__} {expected!r:.200}, got {type(actual).__name__} {actual!r:.200}"
    if isinstance(expected, float):
        if math.isnan(expected) and math.isnan(actual):
            return None
        if expected != actual:
            return f"{path}: expected {expected!r}, got {actual!r}"
        return None
    if expected != actual:
        return f"{path}: expected {expected!r:.300}, got {actual!r:.300}"
    return None


def describe(value: Any) -> str:
    """A compact repr for failure messages (bytes as base64)."""
    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list):
            return [conv(x) for x in v]
        if isinstance(v, bytes):
            return "b64:" + base64.b64encode(v).decode()
        if isinstance(v, datetime):
            return v.isoformat()
        return v
    return repr(conv(value))


# ---------------------------------------------------------------------- wire names
def input_wire_name(member_name: str, member_shape: Shape) -> str:
    """The EC2 request field name of a structure member (DESIGN.md section 3)."""
    ser = member_shape.serialization
    if "queryName" in ser:
        return ser["queryName"]
    if ser.get("name"):
        name = ser["name"]
        return name[0].upper() + name[1:]
    return member_name


def output_element_name(member_name: str, member_shape: Shape) -> str:
    """The response element name of a structure member."""
    return member_shape.serialization.get("name") or member_name


def list_item_name(list_shape: Shape) -> str:
    """The child element name of a list in an EC2 response."""
    return list_shape.member.serialization.get("name") or "item"
