"""Helpers shared by the signature modules: errors with AWS's wording, header and time handling."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from ec2api_runtime.errors import EC2Error

AUTH_FAILURE_MESSAGE = "AWS was not able to validate the provided access credentials"


def auth_failure(message: str = AUTH_FAILURE_MESSAGE) -> EC2Error:
    """Unknown access key, bad signature, unsupported or missing authentication (401)."""
    return EC2Error("AuthFailure", message, 401)


def request_expired(message: str = "Request has expired.") -> EC2Error:
    """The request's timestamp is too far from now, or its validity has ended (400)."""
    return EC2Error("RequestExpired", message, 400)


def incomplete_signature(message: str) -> EC2Error:
    """A malformed Authorization header or presigned query (400)."""
    return EC2Error("IncompleteSignature", message, 400)


def missing_parameter(name: str) -> EC2Error:
    """A required authentication parameter is absent (400)."""
    return EC2Error("MissingParameter", f"The request must contain the parameter {name}", 400)


_UNRESERVED = re.compile(r"[A-Za-z0-9\-_.~]*")


def uri_encode(value: str) -> str:
    """AWS URI encoding of a query name or value: UTF-8, everything but ``A-Za-z0-9-_.~`` as ``%XX``."""
    return value if _UNRESERVED.fullmatch(value) else quote(value, safe="-_.~")


def lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; repeated names (differing only in case) joined with ``,``."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key in out:
            out[key] = f"{out[key]},{value}"
        else:
            out[key] = value
    return out


def parse_amz_date(value: str) -> datetime | None:
    """``YYYYMMDDTHHMMSSZ`` -> aware UTC datetime, or None when malformed."""
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not (value[:8] + value[9:15]).isdigit():
        return None
    try:
        return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]),
                        int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC)
    except ValueError:
        return None


def parse_http_date(value: str) -> datetime | None:
    """An RFC 7231 ``Date`` header -> aware UTC datetime, or None when malformed."""
    # Every date a client sends is parsed defensively: ``Fri, 31 Dec 9999 23:59:59 -2359`` lies
    # beyond the last representable UTC time, and any failure here means "not a valid date".
    try:
        parsed = parsedate_to_datetime(value)
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_iso8601(value: str) -> datetime | None:
    """An ISO 8601 timestamp (SigV2 ``Timestamp``/``Expires``) -> aware UTC datetime, or None."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):   # 9999-12-31T23:59:59-23:59 overflows on conversion
        return None


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)
