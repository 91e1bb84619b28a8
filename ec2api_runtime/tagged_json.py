"""Tagged JSON: values that come back as they went in, for everything ec2api stores as JSON.

Idempotency records keep results (datetimes, bytes, decimals); an instance's record keeps its last
view when it is terminated. Plain JSON would turn a datetime into a string nobody turns back, so
types JSON lacks are tagged: ``{"$t": "datetime", "v": "2026-11-26T07:00:00+00:00"}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from typing import Any

# JSON with types tagged so that they come back as they went in: {"$t": "datetime", "v": "..."}.
# A real dict that has a "$t" key is wrapped as {"$t": "dict", "v": {...}}.
_TAG = "$t"


def dumps(value: Any) -> str:
    """JSON text of ``value``, keeping datetimes, dates, bytes, decimals, tuples and sets."""
    return json.dumps(encode(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> Any:
    """The value that ``dumps`` wrote."""
    return decode(json.loads(text))


def encode(v: Any) -> Any:
    """``v`` as a JSON-able value (for a JSON column, or ``json.dumps``), its types tagged."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else {_TAG: "float", "v": repr(v)}
    if isinstance(v, dict):
        d = {str(k): encode(x) for k, x in v.items()}
        return {_TAG: "dict", "v": d} if _TAG in d else d
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, tuple):
        return {_TAG: "tuple", "v": [encode(x) for x in v]}
    if isinstance(v, set | frozenset):
        return {_TAG: "set", "v": sorted((encode(x) for x in v), key=repr)}
    if isinstance(v, dt.datetime):
        return {_TAG: "datetime", "v": v.isoformat()}
    if isinstance(v, dt.date):
        return {_TAG: "date", "v": v.isoformat()}
    if isinstance(v, bytes | bytearray | memoryview):
        return {_TAG: "bytes", "v": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, decimal.Decimal):
        return {_TAG: "decimal", "v": str(v)}
    raise TypeError(f"cannot encode a {type(v).__name__} as tagged JSON")


def decode(v: Any) -> Any:
    """The value that ``encode`` made; also reads the ``{"$dt": iso}`` datetimes that terminated
    instances' stored views used before this encoder was the only one (they live an hour)."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    tag = v.get(_TAG)
    if tag is None and len(v) == 1 and "$dt" in v:
        return dt.datetime.fromisoformat(v["$dt"])
    if tag is None:
        return {k: decode(x) for k, x in v.items()}
    inner = v["v"]
    if tag == "dict":
        return {k: decode(x) for k, x in inner.items()}
    if tag == "tuple":
        return tuple(decode(x) for x in inner)
    if tag == "set":
        return {decode(x) for x in inner}
    if tag == "datetime":
        return dt.datetime.fromisoformat(inner)
    if tag == "date":
        return dt.date.fromisoformat(inner)
    if tag == "bytes":
        return base64.b64decode(inner)
    if tag == "decimal":
        return decimal.Decimal(inner)
    if tag == "float":
        return float(inner)
    raise ValueError(f"unknown tag {tag!r} in tagged JSON")
