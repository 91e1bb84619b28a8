"""OpenStack connections that act as the caller, built cheaply per request.

The caller's project-scoped token and service catalog come from authentication, so a connection needs
no Keystone call, and keystoneauth's version-discovery documents are cached process-wide: after the
first request, building a connection costs no HTTP at all.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlencode

import openstack.connection
import requests
import requests.adapters
from keystoneauth1 import plugin, session
from openstack import exceptions

# Discovery documents of every endpoint, shared by all sessions of this process.
_DISCOVERY_CACHE: dict[str, Any] = {}


class _CountingHTTP(requests.Session):
    """One HTTP connection pool for every request's OpenStack calls, counting the calls made.

    Sharing the pool keeps TCP connections to the services open between EC2 requests; the count
    and the time spent waiting (``/metrics``: ``ec2api_openstack_calls_total``,
    ``ec2api_openstack_call_seconds_total``) show what a Describe costs the cloud.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.seconds = 0.0      # wall time spent waiting on OpenStack, summed over calls
        self.log: list[tuple[str, str]] | None = None   # (method, URL) of each call while recording
        self._lock = threading.Lock()
        adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=32)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return super().request(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                self.calls += 1
                self.seconds += elapsed
                if self.log is not None:
                    method = kwargs.get("method") or (args[0] if args else "")
                    url = str(kwargs.get("url") or (args[1] if len(args) > 1 else ""))
                    if kwargs.get("params"):
                        url += ("&" if "?" in url else "?") + urlencode(kwargs["params"], doseq=True)
                    self.log.append((str(method).upper(), url))

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[tuple[str, str]]]:
        """Record the (method, URL) of every OpenStack call made inside the block (tests of cost)."""
        with self._lock:
            self.log = []
        try:
            yield self.log
        finally:
            with self._lock:
                self.log = None


HTTP = _CountingHTTP()

# Service types as the catalog may name them -> the names openstacksdk asks for.
_ALIASES = {
    "block-storage": ("block-storage", "volumev3", "volume"),
    "volumev3": ("volumev3", "block-storage", "volume"),
    "volume": ("volume", "volumev3", "block-storage"),
}

API_VERSIONS = {"compute": "2", "network": "2", "image": "2", "block_storage": "3", "identity": "3",
                "placement": "1"}


class CallerAuth(plugin.BaseAuthPlugin):
    """A keystoneauth plugin holding an already-issued token and its catalog (no Keystone calls)."""

    def __init__(self, token: str, catalog: dict[str, str], user_id: str, project_id: str) -> None:
        super().__init__()
        self._token = token
        self._catalog = catalog
        self._user_id = user_id
        self._project_id = project_id

    def get_token(self, session: Any, **kwargs: Any) -> str:
        return self._token

    def get_endpoint(self, session: Any, service_type: str | None = None, **kwargs: Any) -> str | None:
        for name in _ALIASES.get(service_type or "", (service_type,)):
            url = self._catalog.get(name or "")
            if url:
                return url
        return None

    def get_user_id(self, session: Any, **kwargs: Any) -> str:
        return self._user_id

    def get_project_id(self, session: Any, **kwargs: Any) -> str:
        return self._project_id

    def invalidate(self) -> bool:
        # The token is the caller's; nothing here can renew it.
        return False


def connection_for(caller: Any, region: str, timeout: float) -> openstack.connection.Connection:
    """An openstacksdk connection acting as ``caller`` (an ``auth.Caller``)."""
    auth = CallerAuth(caller.token, caller.catalog, caller.user_id, caller.project_id)
    sess = session.Session(auth=auth, session=HTTP, discovery_cache=_DISCOVERY_CACHE, timeout=timeout)
    overrides: dict[str, Any] = {}
    for sdk_name, version in API_VERSIONS.items():
        url = auth.get_endpoint(sess, sdk_name.replace("_", "-"))
        if url:
            overrides[f"{sdk_name}_endpoint_override"] = url
            overrides[f"{sdk_name}_api_version"] = version
    return openstack.connection.Connection(session=sess, region_name=region, **overrides)


# Versioned endpoints (``http://host:9696/v2.0/``) by (service, catalog URL). openstacksdk finds one
# by building a proxy, ~2-4 ms of CPU per service in each request's new connection; it depends only
# on the catalog URL, so it is kept for the process (bounded: catalog URLs may name projects).
_VERSIONED: dict[tuple[str, str], str] = {}
_VERSIONED_MAX = 4096


def versioned_endpoint(conn: openstack.connection.Connection, service: str) -> str:
    """The versioned endpoint of ``service`` (an openstacksdk name: compute, network, image...)."""
    auth = cast(CallerAuth, conn.session.auth)   # connection_for's: the caller's catalog
    base = auth.get_endpoint(conn.session, service.replace("_", "-"))
    url = _VERSIONED.get((service, base)) if base else None
    if url is None:
        url = getattr(conn, service).get_endpoint()
        if base:
            if len(_VERSIONED) >= _VERSIONED_MAX:
                _VERSIONED.clear()
            _VERSIONED[(service, base)] = url
    return url



def checked(resp: Any) -> Any:
    """``resp`` (a raw response of ``conn.<service>.get/post/...``) if it succeeded; else raise the
    openstacksdk exception for its status, which ``ec2api_runtime.faults`` maps to an EC2 error.

    The one way handlers turn a raw OpenStack answer into success or an error.
    """
    exceptions.raise_from_response(resp)
    return resp
