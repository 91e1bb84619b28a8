"""Talking to Keystone: the service user's token, ``POST /v3/ec2tokens``, and the secret lookup.

Policy facts this module is built around (Keystone 30, default policies):

* ``POST /v3/ec2tokens`` (``identity:ec2tokens_validate``) needs ``rule:service_or_admin``:
  the token presented in ``X-Auth-Token`` must carry the ``service`` or ``admin`` role. ec2api
  uses its own service user's project-scoped token. A 401 there means either *our* token is bad
  ("The request you have made requires authentication.") or the signature is wrong; a 404 means
  the access key does not exist.
* Reading the secret, ``GET /v3/credentials/{sha256(access)}`` (``identity:get_credential``), is
  ``admin_required or (role:reader and system_scope:all) or user_id:<credential owner>``; on top of
  the policy, Keystone rejects every *delegated* token (trust-scoped, or minted from an EC2/S3
  credential -- method ``ec2credential``) with 403 "Delegated tokens cannot access credentials
  directly" (the fix for LP#2153453 / LP#2159643). So the caller's own token from ``ec2tokens``
  **cannot** read its credential on current Keystone, and a service user with just the ``service``
  role cannot either. What works: the service user holding a system-scoped ``reader`` role
  (``openstack role add --user ec2api --user-domain Default --system all reader``) -- the least
  privilege that needs no policy file -- or ``admin``, or a policy override granting
  ``identity:get_credential`` to ``role:service``. This module tries, in order: the service user's
  project-scoped token, its system-scoped token, then the caller's token (older Keystones), and
  remembers for a while which ones are refused. When none works, ``lookup_secret`` returns None and
  the authenticator falls back to one ``ec2tokens`` call per request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)

DENIED_RETRY_SECONDS = 300.0
LOOKUP_METHODS = ("service", "system", "caller")


class KeystoneUnavailable(Exception):
    """Keystone could not be reached, timed out, or answered with a server error."""


class KeystoneDenied(Exception):
    """Keystone refused the EC2 credentials: ``reason`` is ``not_found`` or ``unauthorized``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class HTTPResponse(Protocol):
    # Read-only: requests' ``text`` is a property.
    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Any: ...
    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class HTTPTransport(Protocol):
    """What the Keystone client needs from its transport (a ``requests.Session`` fits)."""

    # The keyword arguments ec2api passes (all of them ``requests.Session.request``'s).
    def request(self, method: str, url: str, *, timeout: float | None = ..., json: Any = ...,
                headers: Any = ...) -> HTTPResponse: ...


@dataclass(frozen=True)
class TokenInfo:
    """A project-scoped token, as ``ec2tokens`` returned it."""

    token: str
    user_id: str
    project_id: str
    project_name: str
    domain_id: str
    expires_at: datetime
    roles: tuple[str, ...]
    catalog: dict[str, str]


def credential_id(access: str) -> str:
    """Keystone's id of an EC2 credential: SHA-256 hex of the access key."""
    return hashlib.sha256(access.encode("utf-8")).hexdigest()


def normalize_url(url: str) -> str:
    """Keystone's v3 base URL, with or without a trailing ``/v3`` given."""
    url = url.rstrip("/")
    return url if url.endswith("/v3") else url + "/v3"


def parse_expiry(value: str) -> datetime:
    """Keystone's ``expires_at`` (``2026-11-26T11:45:52.000000Z``) -> aware UTC datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def parse_catalog(catalog: list[dict], region: str, interface: str) -> dict[str, str]:
    """Service type -> endpoint URL for one region and interface (``volumev3``/``block-storage`` aliased)."""
    out: dict[str, str] = {}
    for service in catalog or ():
        for ep in service.get("endpoints", ()):
            if ep.get("interface") != interface:
                continue
            if region and region not in (ep.get("region_id"), ep.get("region")):
                continue
            out.setdefault(service.get("type", ""), ep.get("url", ""))
    for a, b in (("volumev3", "block-storage"), ("block-storage", "volumev3")):
        if a in out and b not in out:
            out[b] = out[a]
    out.pop("", None)
    return out


def _error_message(resp: HTTPResponse) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except Exception:
        return (resp.text or "")[:200]


class KeystoneClient:
    """Thread-safe client for the few Keystone calls ec2api's authentication makes."""

    def __init__(self, config: Any, http: HTTPTransport | None = None) -> None:
        self.config = config
        self.base = normalize_url(config.keystone_url)
        if http is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            http = session
        self.http = http
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._service_tokens: dict[str, tuple[str, datetime, datetime]] = {}  # scope -> (token, issued, expiry)
        self._denied: dict[str, float] = {}  # lookup method -> monotonic time until which it is skipped

    # --- transport ---------------------------------------------------------------------------------

    def _request(self, kind: str, method: str, path: str, **kwargs: Any) -> HTTPResponse:
        import requests

        with self._lock:
            self.calls[kind] += 1
            self.calls["total"] += 1
        try:
            resp = self.http.request(method, self.base + path, timeout=self.config.timeout, **kwargs)
        except requests.RequestException as exc:
            log.warning("Keystone %s %s failed: %s", method, path, exc)
            raise KeystoneUnavailable(f"Keystone is unreachable: {type(exc).__name__}") from exc
        if resp.status_code >= 500:
            log.warning("Keystone %s %s answered %s: %s", method, path, resp.status_code, _error_message(resp))
            raise KeystoneUnavailable(f"Keystone answered {resp.status_code}")
        return resp

    # --- the service user's own tokens -------------------------------------------------------------

    def service_token(self, scope: str = "project", force: bool = False) -> str:
        """The service user's token (``project``- or ``system``-scoped), reused until near expiry.

        Raises ``KeystoneDenied`` when Keystone refuses the password or the scope.
        """
        now = datetime.now(UTC)
        cached = self._service_tokens.get(scope)
        if cached and not force and not self._near_expiry(cached, now):
            return cached[0]
        with self._token_lock:
            cached = self._service_tokens.get(scope)
            if cached and not force and not self._near_expiry(cached, now):
                return cached[0]
            if force and cached:
                self._service_tokens.pop(scope, None)
            cfg = self.config
            if scope == "system":
                scope_body: dict = {"system": {"all": True}}
            else:
                scope_body = {"project": {"name": cfg.service_project, "domain": {"name": cfg.service_project_domain}}}
            body = {"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": cfg.service_username,
                    "domain": {"name": cfg.service_user_domain},
                    "password": cfg.service_password,
                }}},
                "scope": scope_body,
            }}
            resp = self._request("service_token", "POST", "/auth/tokens?nocatalog", json=body)
            if resp.status_code != 201:
                msg = _error_message(resp)
                log.log(logging.INFO if scope == "system" else logging.ERROR,
                        "ec2api's service user could not get a %s-scoped token: %s %s", scope, resp.status_code, msg)
                raise KeystoneDenied("service_user", f"{resp.status_code} {msg}")
            token = resp.headers.get("X-Subject-Token", "")
            info = resp.json()["token"]
            entry = (token, parse_expiry(info["issued_at"]), parse_expiry(info["expires_at"]))
            self._service_tokens[scope] = entry
            return token

    def _near_expiry(self, entry: tuple[str, datetime, datetime], now: datetime) -> bool:
        _, issued, expiry = entry
        margin = min(self.config.token_margin, (expiry - issued).total_seconds() / 2)
        return (expiry - now).total_seconds() < margin

    def _drop_service_token(self, scope: str, token: str) -> None:
        with self._token_lock:
            cached = self._service_tokens.get(scope)
            if cached and cached[0] == token:
                del self._service_tokens[scope]

    # --- ec2tokens ---------------------------------------------------------------------------------

    def ec2tokens(self, credentials: dict) -> TokenInfo:
        """Have Keystone check the signature data and issue the credential owner's project token.

        Raises ``KeystoneDenied`` (``not_found``: no such access key; ``unauthorized``: bad
        signature, disabled user/project, expired timestamp) or ``KeystoneUnavailable``.
        """
        for attempt in (0, 1):
            try:
                token = self.service_token()
            except KeystoneDenied as exc:
                raise KeystoneUnavailable("ec2api's service user cannot authenticate to Keystone") from exc
            resp = self._request(
                "ec2tokens", "POST", "/ec2tokens", headers={"X-Auth-Token": token}, json={"credentials": credentials},
            )
            if resp.status_code == 200:
                return self._token_info(resp)
            msg = _error_message(resp)
            if resp.status_code == 401 and "requires authentication" in msg and attempt == 0:
                # our service token was revoked or expired early: get a new one, once
                self._drop_service_token("project", token)
                continue
            if resp.status_code == 403:
                log.error("Keystone refused ec2tokens to ec2api's service user (it needs the 'service' "
                          "or 'admin' role): %s", msg)
                raise KeystoneUnavailable("ec2api's service user may not validate EC2 credentials")
            if resp.status_code == 404:
                raise KeystoneDenied("not_found", msg)
            raise KeystoneDenied("unauthorized", f"{resp.status_code} {msg}")
        raise KeystoneUnavailable("Keystone keeps rejecting ec2api's service token")

    def _token_info(self, resp: HTTPResponse) -> TokenInfo:
        t = resp.json()["token"]
        project = t.get("project") or {}
        return TokenInfo(
            token=resp.headers.get("X-Subject-Token", ""),
            user_id=t["user"]["id"],
            project_id=project.get("id", ""),
            project_name=project.get("name", ""),
            domain_id=(project.get("domain") or {}).get("id", ""),
            expires_at=parse_expiry(t["expires_at"]),
            roles=tuple(r["name"] for r in t.get("roles", ())),
            catalog=parse_catalog(t.get("catalog", ()), self.config.region, self.config.interface),
        )

    # --- the secret --------------------------------------------------------------------------------

    def lookup_secret(self, access: str, project_id: str, caller_token: str) -> str | None:
        """The credential's secret, read with the first token Keystone lets read it; None if none can.

        Raises ``KeystoneUnavailable``.
        """
        path = f"/credentials/{credential_id(access)}"
        now = time.monotonic()
        tried = False
        for method in LOOKUP_METHODS:
            if self._denied.get(method, 0.0) > now:
                continue
            tried = True
            for attempt in (0, 1):
                try:
                    token = caller_token if method == "caller" else self.service_token(
                        "system" if method == "system" else "project", force=attempt == 1)
                except KeystoneDenied:
                    self._deny(method, now)
                    break
                resp = self._request("credential_get", "GET", path, headers={"X-Auth-Token": token})
                if resp.status_code == 401 and method != "caller" and attempt == 0:
                    continue
                if resp.status_code == 200:
                    return self._secret_from(resp, access, project_id)
                if resp.status_code == 404:
                    return None
                log.info("reading EC2 credential secrets with the %s token is refused (%s): %s",
                         method, resp.status_code, _error_message(resp))
                self._deny(method, now)
                break
        if tried:
            log.warning("no token may read EC2 credential secrets: every request will cost a Keystone "
                        "ec2tokens call. Grant ec2api's service user the system-scoped reader role.")
        return None

    def _deny(self, method: str, now: float) -> None:
        self._denied[method] = now + DENIED_RETRY_SECONDS

    def lookup_methods(self) -> list[str]:
        """The lookup methods not currently known to be refused."""
        now = time.monotonic()
        return [m for m in LOOKUP_METHODS if self._denied.get(m, 0.0) <= now]

    @staticmethod
    def _secret_from(resp: HTTPResponse, access: str, project_id: str) -> str | None:
        cred = resp.json().get("credential", {})
        blob = cred.get("blob")
        if isinstance(blob, str):
            try:
                blob = json.loads(blob)
            except ValueError:
                return None
        if cred.get("type") != "ec2" or not isinstance(blob, dict) or blob.get("access") != access:
            return None
        owner_project = cred.get("project_id") or blob.get("project_id") or blob.get("tenant_id")
        if project_id and owner_project and owner_project != project_id:
            return None
        secret = blob.get("secret")
        return secret if isinstance(secret, str) and secret else None
