"""AWS Signature Version 4: parse, canonicalise and verify a request. Pure: no I/O.

Both forms are handled: the ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
Signature=...`` header, and the presigned query (``X-Amz-Algorithm``, ``X-Amz-Credential``,
``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``).

Inputs follow what a WSGI server hands over:

* ``path`` is the request path as sent on the wire (percent-encoded, no query string);
  the canonical URI is that path with dot segments and repeated slashes removed, then
  URI-encoded once more (what botocore signs, and AWS's test suite expects).
* ``query`` is the list of *decoded* ``(name, value)`` pairs of the query string, in order,
  repeats allowed; they are re-encoded the AWS way for the canonical query string.
* ``headers`` maps header names (any case) to values; a header sent several times arrives as
  its values joined with ``,``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

from ec2api_runtime.auth.common import (
    auth_failure,
    incomplete_signature,
    lower_headers,
    parse_amz_date,
    parse_http_date,
    request_expired,
    uri_encode,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
PRESIGN_PARAMS = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature",
)


# --- canonical pieces ------------------------------------------------------------------------------

def remove_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal, also collapsing repeated slashes (as AWS services expect)."""
    if not path:
        return "/"
    out: list[str] = []
    for seg in path.split("/"):
        if not seg or seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


@lru_cache(maxsize=256)
def canonical_uri(path: str) -> str:
    """Canonical URI of a wire path: normalised, then URI-encoded (``/`` and ``~`` kept)."""
    return quote(remove_dot_segments(path or "/"), safe="/~")


def canonical_query(query: Sequence[tuple[str, str]], exclude: str | None = None) -> str:
    """Canonical query string: each name and value URI-encoded, pairs sorted by name then value."""
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in query if k != exclude)
    return "&".join(f"{k}={v}" for k, v in pairs)


def trimall(value: str) -> str:
    """Strip a header value and collapse inner runs of whitespace to one space."""
    return " ".join(value.split())


def canonical_headers(lheaders: Mapping[str, str], signed: Sequence[str]) -> str:
    """``name:value\\n`` for every signed header (names lower-case, in the order the signer listed)."""
    return "".join(f"{name}:{trimall(lheaders.get(name, ''))}\n" for name in signed)


def payload_hash(lheaders: Mapping[str, str], body: bytes) -> str:
    """The hashed payload: SHA-256 of the body, or the ``X-Amz-Content-SHA256`` the client declared.

    A declared hash must match the body (else the body could be swapped under a valid signature);
    ``UNSIGNED-PAYLOAD`` is refused with a body, since an EC2 request's parameters *are* its body.
    """
    actual = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    declared = lheaders.get("x-amz-content-sha256")
    if declared is None:
        return actual
    declared = declared.strip()
    if declared == UNSIGNED_PAYLOAD and not body:
        return declared
    if declared.lower() != actual:
        raise auth_failure("The provided 'x-amz-content-sha256' header does not match what was computed.")
    return declared


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    """The SigV4 string to sign."""
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=4096)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key (cached: it changes once a day per secret and scope)."""
    k = hmac.digest(f"AWS4{secret}".encode(), date.encode("utf-8"), "sha256")
    k = hmac.digest(k, region.encode("utf-8"), "sha256")
    k = hmac.digest(k, service.encode("utf-8"), "sha256")
    return hmac.digest(k, TERMINATOR.encode(), "sha256")


def sign(secret: str, date: str, region: str, service: str, sts: str) -> str:
    """Hex SigV4 signature of a string to sign."""
    return hmac.new(signing_key(secret, date, region, service), sts.encode("utf-8"), "sha256").hexdigest()


# --- the parsed request ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SigV4Request:
    """A SigV4-signed request, parsed and canonicalised; ``verify(secret)`` checks its signature."""

    access_key: str
    scope_date: str
    region: str
    service: str
    amz_date: str
    timestamp: datetime
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    expires: int | None
    canonical_request: str
    # what Keystone's /v3/ec2tokens needs to check the same signature
    method: str = ""
    uri: str = ""
    query: tuple[tuple[str, str], ...] = ()
    lheaders: Mapping[str, str] = field(default_factory=dict)
    body_hash: str = ""

    @property
    def scope(self) -> str:
        """The credential scope ``date/region/service/aws4_request``."""
        return f"{self.scope_date}/{self.region}/{self.service}/{TERMINATOR}"

    @property
    def string_to_sign(self) -> str:
        """The string this request's signature signs."""
        return string_to_sign(self.amz_date, self.scope, self.canonical_request)

    def expected_signature(self, secret: str) -> str:
        """The signature ``secret`` gives this request."""
        return sign(secret, self.scope_date, self.region, self.service, self.string_to_sign)

    def verify(self, secret: str) -> bool:
        """True when the request's signature was made with ``secret`` (constant-time compare)."""
        return hmac.compare_digest(self.expected_signature(secret), self.signature)

    def check_time(self, now: datetime, max_skew: float) -> None:
        """Raise ``RequestExpired`` when the request is too old, too far in the future, or expired."""
        skew = timedelta(seconds=max_skew)
        if self.presigned and self.expires is not None:
            if self.timestamp - now > skew:
                raise request_expired("Request is not yet valid.")
            try:
                expired = now > self.timestamp + timedelta(seconds=self.expires)
            except OverflowError:   # an expiry beyond the last representable time
                expired = False
            if expired:
                raise request_expired("Request has expired.")
            return
        if abs(now - self.timestamp) > skew:
            raise request_expired(
                f"Request has expired. Timestamp date is {self.amz_date}; "
                f"the request's time must be within {int(max_skew // 60)} minutes of the server time."
            )

    def keystone_credentials(self) -> dict:
        """The ``credentials`` object for Keystone's ``POST /v3/ec2tokens`` (Keystone re-checks it).

        Keystone's signer looks up ``Authorization`` and ``X-Amz-Date`` with exactly that case,
        takes the other signed headers case-insensitively, and for a presigned request expects
        every query parameter but ``X-Amz-Signature``.
        """
        lh = self.lheaders
        headers = {name: trimall(lh[name]) for name in self.signed_headers if name in lh}
        headers.pop("x-amz-date", None)
        if not self.presigned:
            headers["Authorization"] = lh.get("authorization", "")
            headers["X-Amz-Date"] = self.amz_date
        return {
            "access": self.access_key,
            "signature": self.signature,
            "host": lh.get("host", ""),
            "verb": self.method,
            "path": self.uri,
            "params": {k: v for k, v in self.query if k != "X-Amz-Signature"},
            "headers": headers,
            "body_hash": self.body_hash,
        }


def _split_credential(credential: str, where: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) < 5 or not parts[0]:
        raise incomplete_signature(
            f"{where} Credential is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
        )
    access = "/".join(parts[:-4])
    date, region, service, terminator = parts[-4:]
    if terminator != TERMINATOR:
        raise incomplete_signature(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )
    if len(date) != 8 or not date.isdigit():
        raise incomplete_signature(f"Credential should be scoped to a valid date, not '{date}'.")
    if not region or not service:
        raise incomplete_signature("Credential should be scoped to a valid region and service.")
    return access, date, region, service


def parse_authorization(value: str) -> dict[str, str]:
    """Split ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` into its parts.

    Raises ``IncompleteSignature`` naming every missing component.
    """
    rest = value[len(ALGORITHM):].strip()
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, val = item.strip().partition("=")
        if sep:
            parts[name.strip()] = val.strip()
    missing = [p for p in ("Credential", "SignedHeaders", "Signature") if not parts.get(p)]
    if missing:
        msg = " ".join(f"Authorization header requires '{m}' parameter." for m in missing)
        raise incomplete_signature(f"{msg} Authorization={value}")
    return parts


def parse_sigv4(
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    lheaders: Mapping[str, str] | None = None,
) -> SigV4Request | None:
    """Parse a SigV4 request (header or presigned form); None when it carries no SigV4 auth.

    Raises ``IncompleteSignature`` for a malformed Authorization header or presigned query,
    ``AuthFailure`` for an unsupported algorithm.
    """
    lh = lheaders if lheaders is not None else lower_headers(headers)
    authz = lh.get("authorization")
    qd = {k: v for k, v in query if k[:6] == "X-Amz-"} if query else {}
    if authz is not None:
        if not authz.startswith(ALGORITHM + " "):
            if authz.startswith("AWS4-"):
                raise auth_failure(f"Unsupported signing algorithm in Authorization header: {authz.split()[0]}")
            return None
        parts = parse_authorization(authz)
        access, sdate, region, service = _split_credential(parts["Credential"], "Authorization header")
        signed = tuple(parts["SignedHeaders"].split(";"))
        signature = parts["Signature"]
        amz = lh.get("x-amz-date")
        if amz is not None:
            ts = parse_amz_date(amz.strip())
            amz_date = amz.strip()
        elif lh.get("date") is not None:
            ts = parse_http_date(lh["date"])
            amz_date = ts.strftime("%Y%m%dT%H%M%SZ") if ts else ""
        else:
            raise incomplete_signature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                f"Authorization={authz}"
            )
        if ts is None:
            raise incomplete_signature("The X-Amz-Date or Date header is not a valid date.")
        presigned, expires, exclude = False, None, None
    elif "X-Amz-Algorithm" in qd or "X-Amz-Signature" in qd or "X-Amz-Credential" in qd:
        if qd.get("X-Amz-Algorithm", ALGORITHM) != ALGORITHM:
            raise auth_failure(f"Unsupported signing algorithm: {qd['X-Amz-Algorithm']}")
        missing = [p for p in PRESIGN_PARAMS if not qd.get(p)]
        if missing:
            names = ", ".join(f"'{m}'" for m in missing)
            raise incomplete_signature(
                f"AWS query-string parameters must include {names}. Re-examine the query-string parameters."
            )
        access, sdate, region, service = _split_credential(qd["X-Amz-Credential"], "X-Amz-Credential:")
        signed = tuple(qd["X-Amz-SignedHeaders"].split(";"))
        signature = qd["X-Amz-Signature"]
        amz_date = qd["X-Amz-Date"].strip()
        ts = parse_amz_date(amz_date)
        if ts is None:
            raise incomplete_signature("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".")
        expires = None
        if "X-Amz-Expires" in qd:
            raw = qd["X-Amz-Expires"].strip()
            if not raw.isdigit():
                raise incomplete_signature("X-Amz-Expires should be a number.")
            expires = int(raw)
            if expires > MAX_PRESIGN_EXPIRES:
                raise incomplete_signature("X-Amz-Expires must be less than a week (in seconds) that is 604800.")
        presigned, exclude = True, "X-Amz-Signature"
    else:
        return None

    if "host" not in signed:
        raise incomplete_signature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    if amz_date[:8] != sdate:
        raise auth_failure(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{sdate}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    uri = canonical_uri(path)
    bhash = payload_hash(lh, body)
    creq = "\n".join((
        method.upper(),
        uri,
        canonical_query(query, exclude),
        canonical_headers(lh, signed),
        ";".join(signed),
        bhash,
    ))
    return SigV4Request(
        access_key=access,
        scope_date=sdate,
        region=region,
        service=service,
        amz_date=amz_date,
        timestamp=ts,
        signed_headers=signed,
        signature=signature.strip().lower(),
        presigned=presigned,
        expires=expires,
        canonical_request=creq,
        method=method.upper(),
        uri=uri,
        query=tuple(query),
        lheaders=lh,
        body_hash=bhash,
    )
