"""Translate failures of the backends (OpenStack, Keystone, the database) into EC2 errors."""

from __future__ import annotations

import logging

from keystoneauth1 import exceptions as ksa_exc
from openstack import exceptions as sdk_exc
from sqlalchemy import exc as sa_exc

from ec2api_runtime.errors import EC2Error

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "The service is unavailable. Please try again shortly."

# OpenStack says "over quota" with different statuses and words per service: Nova 403 "Quota
# exceeded for instances: ..." and "Maximum number of ports exceeded", Neutron 409 "Quota exceeded
# for resources: ['port']", Cinder 413 "VolumeLimitExceeded: Maximum number of volumes allowed (10)
# exceeded", Glance 413 for its image quotas. The meaning, not the status, decides the EC2 error.
_QUOTA_WORDS = ("quota", "limit exceeded", "overlimit", "over limit", "maximum number of", "limitexceeded")
_QUOTA_STATUSES = (400, 403, 409, 413)


def unavailable(detail: str = "") -> EC2Error:
    """503 Unavailable: a backend could not be reached or timed out."""
    if detail:
        log.warning("backend unavailable: %s", detail)
    return EC2Error("Unavailable", UNAVAILABLE_MESSAGE, 503)


def translate(exc: BaseException, *, not_found: str | None = None,
              limit_exceeded: str = "ResourceLimitExceeded") -> EC2Error | None:
    """The EC2 error for a backend exception, or None when it is not a backend failure we know."""
    if isinstance(exc, EC2Error):
        return exc
    if isinstance(exc, (ksa_exc.ConnectFailure, ksa_exc.ConnectTimeout, ksa_exc.ConnectionError,
                        ksa_exc.DiscoveryFailure, ksa_exc.RetriableConnectionFailure)):
        return unavailable(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, (sdk_exc.NotSupported, sdk_exc.ServiceDiscoveryException, ksa_exc.EndpointNotFound,
                        ksa_exc.CatalogException)):
        # The caller's catalog lacks a service we need, or it answers no version we speak.
        return unavailable(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.TimeoutError)) and not isinstance(exc, sa_exc.IntegrityError):
        return unavailable(f"database: {exc}")
    status = _status_of(exc)
    if status is None:
        return None
    message = _message_of(exc)
    if status == 404:
        if not_found:
            return EC2Error(not_found, message or "The resource does not exist.")
        return EC2Error("InvalidParameterValue", message or "The resource does not exist.")
    if status == 413 or (status in _QUOTA_STATUSES and any(w in message.lower() for w in _QUOTA_WORDS)):
        return EC2Error(limit_exceeded, message or "You have exceeded a resource limit.")
    if status == 403:
        return EC2Error("UnauthorizedOperation", "You are not authorized to perform this operation.", 403)
    if status == 409:
        return EC2Error("IncorrectState", message or "The resource is in a state that does not allow this.")
    if status == 401:
        return EC2Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401)
    if status == 400:
        return EC2Error("InvalidParameterValue", message or "The request is not valid.")
    if status in (500, 502, 503, 504):
        return unavailable(f"HTTP {status}: {message}")
    return None


def _status_of(exc: BaseException) -> int | None:
    if isinstance(exc, sdk_exc.HttpException):
        return exc.status_code
    if isinstance(exc, sdk_exc.ResourceNotFound):
        return 404
    if isinstance(exc, ksa_exc.HttpError):
        return exc.http_status
    return None


def _message_of(exc: BaseException) -> str:
    details = getattr(exc, "details", None)
    text = details if isinstance(details, str) and details else getattr(exc, "message", "") or ""
    # OpenStack messages can carry URLs and ids of the deployment; keep them short and single-line.
    return " ".join(str(text).split())[:300]
