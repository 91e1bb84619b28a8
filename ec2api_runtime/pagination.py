"""Pagination: opaque, tamper-evident ``NextToken`` values anchored on a stable sort key.

A token names the last key returned (not an offset), so items created or deleted between pages do
not shift what the next page holds. It is signed with HMAC so a client cannot forge a position.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ec2api_runtime.errors import EC2Error
from generated.ec2.metadata import PAGINATORS

DEFAULT_BOUNDS = (5, 1000)


def _invalid_token() -> EC2Error:
    return EC2Error("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")


def encode_token(secret: bytes, operation: str, last_key: Any) -> str:
    """A signed token for the page after ``last_key``."""
    payload = json.dumps([operation, last_key], separators=(",", ":")).encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")


def decode_token(secret: bytes, operation: str, token: str) -> Any:
    """The last key encoded in ``token``; ``InvalidPaginationToken`` when forged or for another operation."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raise _invalid_token() from None
    mac, payload = raw[:16], raw[16:]
    if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()[:16]):
        raise _invalid_token()
    # Signed by us, but perhaps by an older release with another key shape: check the structure.
    try:
        decoded = json.loads(payload)
    except ValueError:
        raise _invalid_token() from None
    if not (isinstance(decoded, list) and len(decoded) == 2 and decoded[0] == operation
            and _is_key(decoded[1])):
        raise _invalid_token()
    return decoded[1]


def _is_key(value: Any) -> bool:
    """Whether a decoded value can be a sort key: a string or number, or a flat list of them."""
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def bounds(operation: str) -> tuple[int, int]:
    """The model's ``MaxResults`` bounds for ``operation`` (EC2's usual 5..1000 where it names none)."""
    p = PAGINATORS.get(operation) or {}
    low, high = p.get("limit_min"), p.get("limit_max")
    return (low if low is not None else DEFAULT_BOUNDS[0], high if high is not None else DEFAULT_BOUNDS[1])


def paginate(secret: bytes, operation: str, items: Sequence[Any], key: Callable[[Any], Any],
             max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """One page of ``items`` (sorted here by ``key``) and the token for the next page, if any."""
    if max_results is not None:
        low, high = bounds(operation)
        if not low <= max_results <= high:
            raise EC2Error("InvalidParameterValue",
                           f"Value ({max_results}) for parameter MaxResults is invalid. "
                           f"Expecting a value between {low} and {high}.")
    ordered = sorted(items, key=key)
    if next_token:
        last = decode_token(secret, operation, next_token)
        last = tuple(last) if isinstance(last, list) else last
        try:
            ordered = [i for i in ordered if _as_key(key(i)) > last]
        except TypeError:   # a key of another shape (a token of an older release)
            raise _invalid_token() from None
    if max_results is None or len(ordered) <= max_results:
        return ordered, None
    page = ordered[:max_results]
    return page, encode_token(secret, operation, key(page[-1]))


def _as_key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def page(ctx: Any, params: Mapping[str, Any], operation: str, result_key: str, items: Sequence[Any],
         key: Callable[[Any], Any]) -> Any:
    """A Describe result holding one page of ``items`` under ``result_key``, and ``NextToken`` if more.

    ``MaxResults`` and ``NextToken`` come from the request's ``params``. The result is the operation's
    result TypedDict, but its key is an argument: statically it is ``Any`` (the strict serializer of
    the tests checks its keys).
    """
    chunk, token = paginate(ctx.pagination_secret, operation, items, key, params.get("MaxResults"),
                            params.get("NextToken"))
    result: dict[str, Any] = {result_key: chunk}
    if token:
        result["NextToken"] = token
    return result
