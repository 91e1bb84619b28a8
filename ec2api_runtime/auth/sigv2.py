"""AWS Signature Version 2 (legacy query/form signing): parse and verify. Pure: no I/O.

The auth fields (``AWSAccessKeyId``, ``SignatureVersion=2``, ``SignatureMethod`` HmacSHA256 or
HmacSHA1, ``Timestamp`` or ``Expires``, ``Signature``) travel with the operation's own fields, in
the query string (GET) or the form body (POST). The string to sign is
``METHOD\\nhost\\npath\\n`` + every parameter except ``Signature``, sorted by name, URI-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ec2api_runtime.auth.common import (
    auth_failure,
    missing_parameter,
    parse_iso8601,
    request_expired,
    uri_encode,
)
from ec2api_runtime.errors import EC2Error

DIGESTS = {"HmacSHA256": hashlib.sha256, "HmacSHA1": hashlib.sha1}


def canonical_params(params: Sequence[tuple[str, str]]) -> str:
    """All parameters but ``Signature``, sorted by name (then value), each part URI-encoded."""
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in params if k != "Signature")
    return "&".join(f"{k}={v}" for k, v in pairs)


def string_to_sign(method: str, host: str, path: str, params: Sequence[tuple[str, str]]) -> str:
    """The SigV2 string to sign."""
    return f"{method.upper()}\n{host.lower()}\n{path or '/'}\n{canonical_params(params)}"


def sign(secret: str, sts: str, signature_method: str = "HmacSHA256") -> str:
    """Base64 SigV2 signature of a string to sign."""
    digest = hmac.new(secret.encode("utf-8"), sts.encode("utf-8"), DIGESTS[signature_method]).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class SigV2Request:
    """A SigV2-signed request; ``verify(secret)`` checks its signature."""

    access_key: str
    signature: str
    signature_method: str
    timestamp: datetime | None
    expires: datetime | None
    method: str
    host: str
    path: str
    params: tuple[tuple[str, str], ...]

    def hosts(self) -> list[str]:
        """The Host as sent, and without its port (some clients sign it without)."""
        out = [self.host]
        if ":" in self.host and not self.host.endswith("]"):
            out.append(self.host.rsplit(":", 1)[0])
        return out

    def verify(self, secret: str) -> bool:
        """True when the request's signature was made with ``secret`` (constant-time compare)."""
        qs = canonical_params(self.params)
        for host in self.hosts():
            sts = f"{self.method}\n{host.lower()}\n{self.path}\n{qs}"
            if hmac.compare_digest(sign(secret, sts, self.signature_method), self.signature):
                return True
        return False

    def check_time(self, now: datetime, max_skew: float) -> None:
        """Raise ``RequestExpired`` when ``Timestamp`` is too far from now or ``Expires`` has passed."""
        if self.timestamp is not None:
            if abs(now - self.timestamp) > timedelta(seconds=max_skew):
                raise request_expired(
                    f"Request has expired. Timestamp date is {self.timestamp.isoformat()}; the request's "
                    f"time must be within {int(max_skew // 60)} minutes of the server time."
                )
        elif self.expires is not None and now > self.expires:
            raise request_expired(f"Request has expired. Expires date is {self.expires.isoformat()}.")

    def keystone_credentials(self) -> dict:
        """The ``credentials`` object for Keystone's ``POST /v3/ec2tokens``."""
        return {
            "access": self.access_key,
            "signature": self.signature,
            "host": self.host,
            "verb": self.method,
            "path": self.path or "/",
            "params": {k: v for k, v in self.params if k != "Signature"},
            "headers": {},
            "body_hash": "",
        }


def is_sigv2(params: Sequence[tuple[str, str]]) -> bool:
    """Whether the parameters carry SigV2 (or older) authentication fields."""
    return any(k in ("AWSAccessKeyId", "SignatureVersion") for k, _ in params)


def parse_sigv2(method: str, host: str, path: str, params: Sequence[tuple[str, str]]) -> SigV2Request:
    """Parse the SigV2 fields out of the merged query + form parameters.

    Raises ``AuthFailure`` for an unsupported version or method, ``MissingParameter`` for a
    missing field, ``InvalidParameterValue`` for an unreadable ``Timestamp``/``Expires``.
    """
    d = dict(params)
    version = d.get("SignatureVersion")
    if version != "2":
        raise auth_failure(f"Signature version {version!r} is not supported; use 2 or 4.")
    sig_method = d.get("SignatureMethod", "")
    if sig_method not in DIGESTS:
        raise auth_failure(f"SignatureMethod {sig_method!r} is not supported; use HmacSHA256 or HmacSHA1.")
    for name in ("AWSAccessKeyId", "Signature"):
        if not d.get(name):
            raise missing_parameter(name)
    ts = exp = None
    if d.get("Timestamp"):
        ts = parse_iso8601(d["Timestamp"])
        if ts is None:
            raise EC2Error("InvalidParameterValue", f"Value ({d['Timestamp']}) for parameter Timestamp is invalid.")
    elif d.get("Expires"):
        exp = parse_iso8601(d["Expires"])
        if exp is None:
            raise EC2Error("InvalidParameterValue", f"Value ({d['Expires']}) for parameter Expires is invalid.")
    else:
        raise missing_parameter("Timestamp")
    return SigV2Request(
        access_key=d["AWSAccessKeyId"],
        # a '+' sent unencoded in a form decodes to ' '; base64 has no spaces
        signature=d["Signature"].replace(" ", "+"),
        signature_method=sig_method,
        timestamp=ts,
        expires=exp,
        method=method.upper(),
        host=host,
        path=path or "/",
        params=tuple(params),
    )
