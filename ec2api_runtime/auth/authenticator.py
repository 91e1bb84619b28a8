"""The authenticator: signature checks, Keystone round trips only when needed, and the cache."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from ec2api_runtime.auth import sigv2, sigv4
from ec2api_runtime.auth.common import auth_failure, lower_headers, utcnow
from ec2api_runtime.auth.keystone import (
    HTTPTransport,
    KeystoneClient,
    KeystoneDenied,
    KeystoneUnavailable,
    TokenInfo,
)
from ec2api_runtime.errors import EC2Error

log = logging.getLogger(__name__)

N_STRIPES = 64
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class Caller:
    """Who sent an authenticated request, and the Keystone token to act as them."""

    access_key: str
    user_id: str
    project_id: str
    project_name: str
    domain_id: str  # the project's domain
    token: str  # the caller's project-scoped Keystone token (X-Auth-Token)
    expires_at: datetime  # token expiry (UTC)
    roles: tuple[str, ...]
    catalog: dict[str, str]  # service type -> endpoint URL in the configured region and interface


@dataclass
class AuthConfig:
    """Settings of the authenticator (Keystone location, ec2api's service user, cache bounds)."""

    keystone_url: str  # e.g. http://127.0.0.1:5000/v3 (with or without /v3)
    service_username: str
    service_password: str
    service_project: str
    service_user_domain: str = "Default"
    service_project_domain: str = "Default"
    region: str = "RegionOne"
    credential_ttl: float = 300.0  # seconds a cached secret is trusted before Keystone is asked again
    token_margin: float = 300.0  # refresh the caller's token this long before it expires
    max_skew: float = 900.0  # RequestExpired beyond this many seconds of clock difference
    timeout: float = 10.0  # per Keystone HTTP call
    interface: str = "public"  # catalog interface of Caller.catalog
    negative_ttl: float = 5.0  # seconds an unknown access key is answered AuthFailure without asking Keystone


@dataclass(frozen=True)
class _Entry:
    secret: str | None
    caller: Caller
    fetched_at: float  # clock() when Keystone last vouched for the credential
    margin: float  # token_margin, capped at half the token's lifetime


@dataclass
class _Stats:
    cache_hits: int = 0
    local_rejects: int = 0
    negative_hits: int = 0
    keystone_auths: int = 0
    keystone_rejects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


SignedRequest = sigv4.SigV4Request | sigv2.SigV2Request


def parse_request(
    method: str,
    host: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> SignedRequest:
    """Find and parse the request's signature (SigV4 header, SigV4 presigned query, or SigV2).

    Raises ``AuthFailure`` when there is none or it is unsupported, ``IncompleteSignature`` /
    ``MissingParameter`` when it is malformed.
    """
    lh = lower_headers(headers)
    signed = sigv4.parse_sigv4(method, path, query, headers, body, lh)
    if signed is not None:
        return signed
    params = list(query)
    if body and "x-www-form-urlencoded" in lh.get("content-type", "application/x-www-form-urlencoded"):
        try:
            params += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            pass
    if sigv2.is_sigv2(params):
        return sigv2.parse_sigv2(method, lh.get("host", host), path, params)
    if "authorization" in lh:
        raise auth_failure("Unsupported Authorization header: use AWS Signature Version 4.")
    raise auth_failure("The request carries no AWS authentication (Signature Version 4 or 2).")


SERVICE = "ec2"   # the service name of the SigV4 credential scope


class Authenticator:
    """Authenticates EC2 API requests against Keystone EC2 credentials; thread-safe.

    The first request from an access key is checked by Keystone (``POST /v3/ec2tokens``), which
    returns the owner's project-scoped token; the credential's secret is then read from Keystone
    and cached with that token. Later requests are verified locally (HMAC) and reuse the token:
    no Keystone call until the token nears expiry or the cached secret is older than
    ``credential_ttl`` (which bounds how long a deleted credential keeps working).
    """

    def __init__(
        self,
        config: AuthConfig,
        http: HTTPTransport | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.keystone = KeystoneClient(config, http)
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._negative: dict[str, float] = {}
        self._write_lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(N_STRIPES)]
        self._stats = _Stats()

    # --- public ------------------------------------------------------------------------------------

    def _check_scope(self, signed: SignedRequest, expected: str) -> None:
        """A SigV4 signature must be scoped to this service's region and to ``expected`` (``ec2``,
        or ``sts`` for an STS request): one made for another region or service is not a signature
        for this request."""
        region = getattr(signed, "region", None)
        service = getattr(signed, "service", None)
        if region is None and service is None:
            return   # SigV2 carries no scope
        if service != expected:
            raise auth_failure(f"Credential should be scoped to correct service: '{expected}', not '{service}'.")
        if region != self.config.region:
            raise auth_failure(f"Credential should be scoped to a valid region: '{self.config.region}', "
                               f"not '{region}'.")

    def authenticate(
        self,
        method: str,
        host: str,
        path: str,
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
        now: datetime | None = None,
        service: str = SERVICE,
    ) -> Caller:
        """Authenticate one request; return its Caller or raise ``EC2Error``.

        ``path`` is the wire (percent-encoded) path, ``query`` the decoded query pairs, ``body``
        the raw body. Errors: ``AuthFailure`` 401, ``RequestExpired`` 400, ``IncompleteSignature`` /
        ``MissingParameter`` 400, ``Unavailable`` 503 when Keystone cannot be reached in time.
        """
        if now is None:
            now = utcnow()
        elif now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        signed = parse_request(method, host, path, query, headers, body)
        self._check_scope(signed, service)
        signed.check_time(now, self.config.max_skew)
        access = signed.access_key

        entry = self._cache.get(access)
        if entry is not None and entry.secret is not None and self._fresh(entry, now):
            if signed.verify(entry.secret):
                self._stats.bump("cache_hits")
                return entry.caller
            self._stats.bump("local_rejects")
            raise auth_failure()
        until = self._negative.get(access)
        if until is not None:
            if until > self._clock():
                self._stats.bump("negative_hits")
                raise auth_failure()
            self._negative.pop(access, None)

        with self._stripes[hash(access) % N_STRIPES]:
            # another thread may have refreshed the entry while this one waited
            entry = self._cache.get(access)
            if entry is not None and entry.secret is not None and self._fresh(entry, now):
                if signed.verify(entry.secret):
                    self._stats.bump("cache_hits")
                    return entry.caller
                self._stats.bump("local_rejects")
                raise auth_failure()
            return self._ask_keystone(signed, now)

    def stats(self) -> dict:
        """Counters: ``keystone_calls`` (all HTTP calls to Keystone), ``cache_hits`` and more."""
        calls = dict(self.keystone.calls)
        s = self._stats
        return {
            "keystone_calls": calls.get("total", 0),
            "keystone_calls_by_kind": {k: v for k, v in calls.items() if k != "total"},
            "cache_hits": s.cache_hits,
            "local_rejects": s.local_rejects,
            "negative_hits": s.negative_hits,
            "keystone_auths": s.keystone_auths,
            "keystone_rejects": s.keystone_rejects,
            "cached_keys": len(self._cache),
            "secret_lookup_methods": self.keystone.lookup_methods(),
        }

    def forget(self, access_key: str) -> None:
        """Drop what is cached about an access key (e.g. after deleting its credential)."""
        with self._write_lock:
            self._cache.pop(access_key, None)
            self._negative.pop(access_key, None)

    # --- internals ---------------------------------------------------------------------------------

    def _fresh(self, entry: _Entry, now: datetime) -> bool:
        if self._clock() - entry.fetched_at >= self.config.credential_ttl:
            return False
        return (entry.caller.expires_at - now).total_seconds() > entry.margin

    def _ask_keystone(self, signed: SignedRequest, now: datetime) -> Caller:
        access = signed.access_key
        try:
            info = self.keystone.ec2tokens(signed.keystone_credentials())
        except KeystoneDenied as exc:
            self._stats.bump("keystone_rejects")
            with self._write_lock:
                self._cache.pop(access, None)
                if exc.reason == "not_found":
                    self._set_negative(access)
            log.info("Keystone rejected EC2 access key %s: %s", access, exc.message)
            raise auth_failure() from None
        except KeystoneUnavailable as exc:
            raise EC2Error("Unavailable", f"The authentication service is unavailable: {exc}", 503) from None
        self._stats.bump("keystone_auths")
        caller = self._caller(access, info)
        try:
            secret = self.keystone.lookup_secret(access, info.project_id, info.token)
        except KeystoneUnavailable:
            secret = None  # the request itself was verified by Keystone; serve it, cache nothing
        if secret is not None and not signed.verify(secret):
            # Keystone accepted a signature we would not (e.g. it retried without the Host port):
            # keep the secret, later requests are judged locally.
            log.info("Keystone accepted a request from %s that fails local verification", access)
        lifetime = (info.expires_at - now).total_seconds()
        entry = _Entry(secret, caller, self._clock(), min(self.config.token_margin, max(lifetime, 0.0) / 2))
        with self._write_lock:
            self._cache.pop(access, None)
            if len(self._cache) >= MAX_ENTRIES:
                self._cache.pop(next(iter(self._cache)))
            self._cache[access] = entry
        return caller

    def _set_negative(self, access: str) -> None:
        if len(self._negative) >= MAX_ENTRIES:
            self._negative.pop(next(iter(self._negative)))
        self._negative[access] = self._clock() + self.config.negative_ttl

    @staticmethod
    def _caller(access: str, info: TokenInfo) -> Caller:
        return Caller(
            access_key=access,
            user_id=info.user_id,
            project_id=info.project_id,
            project_name=info.project_name,
            domain_id=info.domain_id,
            token=info.token,
            expires_at=info.expires_at,
            roles=info.roles,
            catalog=info.catalog,
        )
