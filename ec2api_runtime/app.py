"""The Falcon WSGI application: the EC2 query protocol on ``/``, a health check on ``/healthz``.

Request flow (data flows one way):
fields (query + form body) -> auth -> Action -> generated parse/validate -> members the handler does
not honour refused -> DryRun -> idempotency -> handler -> generated serialize.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import falcon

from ec2api_runtime import faults, idempotent, openstack, sts
from ec2api_runtime.config import Config
from ec2api_runtime.context import RequestContext
from ec2api_runtime.dispatch import HANDLERS, load_handlers
from ec2api_runtime.errors import EC2Error, cut, invalid_action
from ec2api_runtime.logs import request_id_var
from ec2api_runtime.refusals import REFUSED
from generated.ec2 import OPERATIONS

log = logging.getLogger("ec2api.request")

# Fields that carry the protocol or the signature, not the operation's parameters.
PROTOCOL_FIELDS = frozenset({
    "Action", "Version",
    "AWSAccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "Timestamp", "Expires",
    "SecurityToken", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token",
})
XML_CONTENT_TYPE = "text/xml;charset=UTF-8"
MAX_BODY = 1024 * 1024   # EC2 requests are small; a larger body is refused before parsing


class Service:
    """What every request needs: configuration, state, the authenticator and the handlers."""

    def __init__(self, config: Config, db: Any, authenticator: Any) -> None:
        self.config = config
        self.db = db
        self.auth = authenticator
        self.handlers = HANDLERS
        self.requests: Counter[int] = Counter()   # by HTTP status, for /metrics


class EC2Resource:
    """``GET /`` and ``POST /``: the EC2 query protocol."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._handle(req, resp, b"")

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        # Falcon would answer OPTIONS itself (an empty 200); EC2 knows GET and POST only.
        raise falcon.HTTPMethodNotAllowed(["GET", "POST"])

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        length = req.content_length
        if length is None and "chunked" in (req.get_header("Transfer-Encoding") or "").lower():
            # Under a WSGI server that undoes the chunking but sets no length (ec2api's own front
            # sets one): the body ends where the input ends.
            body = req.stream.read(MAX_BODY + 1)
        elif (length or 0) > MAX_BODY:
            body = None   # refused below without reading it
        else:
            body = req.bounded_stream.read()
        if body is None or len(body) > MAX_BODY:
            self._error(resp, EC2Error("RequestEntityTooLarge", "The request body is too large.", 413),
                        str(uuid.uuid4()))
            return
        self._handle(req, resp, body)

    def _handle(self, req: falcon.Request, resp: falcon.Response, body: bytes) -> None:
        request_id = str(uuid.uuid4())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        action = "-"
        for_sts = False
        try:
            query = _pairs(req.query_string)
            form = _pairs(body.decode("utf-8")) if body and _is_form(req.content_type) else []
            fields = _merge(query, form)
            action = fields.get("Action", "-")
            for_sts = sts.is_sts(fields)
            caller = self.service.auth.authenticate(
                req.method, req.get_header("Host") or "", req.path, query,
                {k.lower(): v for k, v in req.headers.items()}, body,
                **({"service": sts.SERVICE} if for_sts else {}))
            if for_sts:
                ctx = RequestContext(request_id, action, caller, self.service.config, self.service.db)
                params = {k: v for k, v in fields.items() if k not in PROTOCOL_FIELDS}
                result_body = sts.answer(fields.get("Action") or "", params, request_id, ctx.account_id,
                                         caller.user_id)
            else:
                result_body = self._dispatch(request_id, fields, caller)
            resp.status = falcon.HTTP_200
            resp.content_type = XML_CONTENT_TYPE
            resp.set_header("x-amzn-RequestId", request_id)
            resp.data = result_body
        except EC2Error as exc:
            self._error(resp, exc, request_id)
            if for_sts:   # STS clients parse STS's envelope
                resp.data = sts.error_xml(exc, request_id)
        except UnicodeDecodeError:
            self._error(resp, EC2Error("MalformedQueryString", "The request is not valid UTF-8."), request_id)
        except Exception as exc:   # noqa: BLE001 - the last line of defence: never a traceback on the wire
            mapped = faults.translate(exc)
            if mapped is None:
                log.exception("internal error in %s", action)
                mapped = EC2Error("InternalError", "An internal error has occurred.", 500)
            self._error(resp, mapped, request_id)
        finally:
            self.service.requests[resp.status_code] += 1
            log.info("%s %s -> %s (%.1f ms)", req.method, action, resp.status,
                     (time.perf_counter() - started) * 1000)
            request_id_var.reset(token)

    def _dispatch(self, request_id: str, fields: dict[str, str], caller: Any) -> bytes:
        action = fields.get("Action")
        if not action:
            raise EC2Error("MissingAction", "The request must contain the parameter Action")
        op = OPERATIONS.get(action)
        if op is None:
            raise invalid_action(action)
        params = op.parse({k: v for k, v in fields.items() if k not in PROTOCOL_FIELDS})
        handler = self.service.handlers.get(action)
        if handler is None:
            refusal = REFUSED.get(action)
            if refusal is not None:   # deliberately refused: the reason, not the generic answer
                raise refusal.error()
            raise EC2Error("UnsupportedOperation", f"The operation {action} is not supported by this service.")
        # Before DryRun: a request this cloud would not carry out whole would not have succeeded.
        handler.refuse_unhonoured(params)
        if params.get("DryRun"):
            raise EC2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        ctx = RequestContext(request_id, action, caller, self.service.config, self.service.db)
        try:
            if op.idempotency_token and params.get(op.idempotency_token):
                result = idempotent.run(ctx, op, params, handler.fn)
            else:
                result = handler.fn(ctx, params)
        except EC2Error:
            raise
        except Exception as exc:
            mapped = faults.translate(exc, not_found=handler.not_found, limit_exceeded=handler.limit_exceeded)
            if mapped is None:
                raise
            if mapped.code == "AuthFailure":
                # OpenStack refused the cached token (revoked?): authenticate afresh next time.
                self.service.auth.forget(caller.access_key)
            raise mapped from exc
        return op.serialize(result or {}, request_id)

    @staticmethod
    def _error(resp: falcon.Response, exc: EC2Error, request_id: str) -> None:
        resp.status = exc.status
        resp.content_type = XML_CONTENT_TYPE
        resp.set_header("x-amzn-RequestId", request_id)
        resp.data = exc.to_xml(request_id)


class HealthResource:
    """``GET /healthz``: 200 while the process serves; ``?deep=1`` also checks the database."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = "text/plain"
        if req.get_param_as_bool("deep"):
            try:
                self.service.db.ping()
            except Exception as exc:   # noqa: BLE001
                log.warning("health check: database unreachable: %s", exc)
                resp.status = falcon.HTTP_503
                resp.text = "database unavailable\n"
                return
        resp.text = "ok\n"


class MetricsResource:
    """``GET /metrics``: this worker's counters in Prometheus' text format (no credentials needed).

    Counts only: requests by status; the authenticator's Keystone calls and cache hits, which show
    that a steady stream of requests costs Keystone nothing; OpenStack calls and the seconds spent
    waiting on them, which show what a request costs the cloud; and the worker's CPU seconds, which
    show what it costs ec2api itself.
    """

    def __init__(self, service: Service) -> None:
        self.service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        lines = [f'ec2api_requests_total{{status="{status}"}} {count}'
                 for status, count in sorted(self.service.requests.items())]
        stats = self.service.auth.stats() if hasattr(self.service.auth, "stats") else {}
        for name in ("keystone_calls", "cache_hits", "local_rejects", "keystone_auths", "keystone_rejects"):
            if name in stats:
                lines.append(f"ec2api_auth_{name}_total {stats[name]}")
        lines.append(f"ec2api_openstack_calls_total {openstack.HTTP.calls}")
        lines.append(f"ec2api_openstack_call_seconds_total {openstack.HTTP.seconds:.6f}")
        # Prometheus' standard process metric: CPU of this worker, all threads, user + system.
        lines.append(f"process_cpu_seconds_total {time.process_time():.6f}")
        resp.content_type = "text/plain; version=0.0.4"
        resp.text = "\n".join(lines) + "\n"


def _http_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, params: dict) -> None:
    """Falcon's own refusals (no such path, a method other than GET/POST, a malformed header) in
    the EC2 error envelope, as every other answer of the service is."""
    status = exc.status_code
    if status == 404:
        error = EC2Error("NotFound", f"There is nothing at {cut(req.path, 200)}: EC2 requests go to /.", 404)
    elif status == 405:
        error = EC2Error("MethodNotAllowed", f"The method {req.method[:20]} is not allowed here: use GET or POST.",
                         405)
    else:
        error = EC2Error("InvalidRequest", cut(exc.title or "The request is not valid.", 200), status)
    EC2Resource._error(resp, error, str(uuid.uuid4()))
    if status == 405:
        # A 405 must name the methods allowed; OPTIONS is not one (it answers 405 itself).
        allow = dict(exc.headers or {}).get("Allow", "GET, POST")
        resp.set_header("Allow", ", ".join(m.strip() for m in allow.split(",") if m.strip() != "OPTIONS"))


def _pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True) if text else []


def _is_form(content_type: str | None) -> bool:
    # boto and the CLI send "application/x-www-form-urlencoded; charset=utf-8"; old tools may send none.
    return content_type is None or content_type.startswith("application/x-www-form-urlencoded")


def _merge(*sources: list[tuple[str, str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pairs in sources:
        for key, value in pairs:
            if key in fields:
                raise EC2Error("InvalidParameterValue", f"The parameter {key} was given more than once.")
            fields[key] = value
    return fields


def create_app(config: Config, *, db: Any = None, authenticator: Any = None) -> falcon.App:
    """The WSGI application. ``db`` and ``authenticator`` default to the configured real ones."""
    load_handlers()
    if db is None:
        from ec2api_runtime.db import Database

        db = Database(config.database_url)
    if authenticator is None:
        from ec2api_runtime.auth import AuthConfig, Authenticator

        authenticator = Authenticator(AuthConfig(
            keystone_url=config.keystone_url,
            service_username=config.service_username,
            service_password=config.service_password,
            service_project=config.service_project,
            service_user_domain=config.service_user_domain,
            service_project_domain=config.service_project_domain,
            region=config.region,
            credential_ttl=config.credential_ttl,
            token_margin=config.token_margin,
            timeout=config.keystone_timeout,
            interface=config.interface,
        ))
    service = Service(config, db, authenticator)
    app = falcon.App()
    app.add_error_handler(falcon.HTTPError, _http_error)
    app.add_route("/", EC2Resource(service))
    app.add_route("/healthz", HealthResource(service))
    app.add_route("/metrics", MetricsResource(service))
    return app
