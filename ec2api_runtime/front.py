"""The event-loop front: read each request whole, then run the WSGI app on a thread.

Handlers are blocking code (openstacksdk, SQLAlchemy), so they run on a pool of ``threads``
threads. Reading a request is not theirs to do: a client that sends half a request and stalls
would hold a thread for as long as it likes, and a handful of such clients (four, under gunicorn's
thread worker) stopped the service. Here the event loop reads headers (uvicorn's C parser) and the
body, each under a deadline, and only a complete request reaches a thread. A stalled connection
costs a socket and a few hundred bytes.

``app`` is the ASGI callable; ``Protocol`` is uvicorn's HTTP protocol with a header deadline.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_to_bytes

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ec2api_runtime.errors import EC2Error

XML_CONTENT_TYPE = b"text/xml;charset=UTF-8"
log = logging.getLogger("ec2api.front")
DRAIN_LIMIT = 8 * 1024 * 1024   # how much of an over-limit body is read and dropped before the 413
_TOO_LARGE = EC2Error("RequestEntityTooLarge", "The request body is too large.", 413)


class Front:
    """An ASGI app that buffers the request body (bounded in size and time) and then calls the
    WSGI ``wsgi_app`` on one of ``threads`` threads."""

    def __init__(self, wsgi_app: Callable, *, threads: int, max_body: int, read_timeout: float) -> None:
        self.wsgi_app = wsgi_app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ec2api")
        self.max_body = max_body
        self.read_timeout = read_timeout

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await self._body(scope, receive, send)
        if body is None:
            return
        environ = _environ(scope, body)
        loop = asyncio.get_running_loop()
        try:
            status, headers, data = await loop.run_in_executor(self.pool, _call_wsgi, self.wsgi_app, environ)
        except Exception:   # noqa: BLE001 - the app answers every error itself; this is a last resort
            log.exception("the WSGI app failed")
            await _error(send, EC2Error("InternalError", "An internal error has occurred.", 500))
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _body(self, scope: dict, receive: Callable, send: Callable) -> bytes | None:
        """The whole body, or None after answering 413 (too large) or 408 (too slow) itself.

        A body over the limit is read on and dropped (up to ``DRAIN_LIMIT``, within the deadline)
        before the 413, so that a client still sending it reads the answer instead of a reset.
        """
        declared = next((int(v) for n, v in scope["headers"] if n == b"content-length" and v.isdigit()), None)
        too_large = declared is not None and declared > self.max_body
        if declared is not None and too_large and declared > DRAIN_LIMIT:
            await _error(send, _TOO_LARGE)
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.read_timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                await _error(send, EC2Error("RequestTimeout", "The request body did not arrive in time.", 408))
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:   # a chunked body has no Content-Length to refuse it by
                too_large = True
                chunks.clear()
            elif not too_large:
                chunks.append(chunk)
            if not message.get("more_body") or size > DRAIN_LIMIT:
                break
        if too_large:
            await _error(send, _TOO_LARGE)
            return None
        return b"".join(chunks)


def _environ(scope: dict, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI request (PEP 3333: native strings holding latin-1 bytes)."""
    server = scope.get("server") or ("127.0.0.1", 0)
    client = scope.get("client") or ("", 0)
    raw_path = scope.get("raw_path")
    path = raw_path.split(b"?", 1)[0] if raw_path else scope["path"].encode("utf-8")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "REMOTE_ADDR": str(client[0]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "CONTENT_LENGTH": str(len(body)),   # chunked bodies arrive whole, so their length is known
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue   # the body is whole: its length is the one above
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ


def _call_wsgi(app: Callable, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the WSGI app (on a pool thread) and collect its whole answer."""
    started: list = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        started[:] = [status, headers]
        return lambda data: None

    result = app(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    return (int(status[:3]), [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers], data)


async def _error(send: Callable, error: EC2Error) -> None:
    request_id = str(uuid.uuid4())
    body = error.to_xml(request_id)
    await send({"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", XML_CONTENT_TYPE), (b"x-amzn-requestid", request_id.encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Callable, send: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class Protocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, with a deadline for the request line and headers.

    uvicorn times idle keep-alive connections out but lets a connection that has started a request
    take forever to finish its headers. The deadline runs from the connection's start (or the end
    of its previous response) and is not moved by arriving bytes, so dripping a byte at a time does
    not extend it.
    """

    header_timeout: float = 60.0
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """A request uvicorn cannot parse, refused in the EC2 error envelope."""
        request_id = str(uuid.uuid4())
        body = EC2Error("InvalidRequest", f"The HTTP request is malformed: {msg}", 400).to_xml(request_id)
        self.transport.write(b"".join([
            b"HTTP/1.1 400 Bad Request\r\n", b"content-type: ", XML_CONTENT_TYPE, b"\r\n",
            b"x-amzn-requestid: ", request_id.encode(), b"\r\n",
            b"content-length: ", str(len(body)).encode(), b"\r\n", b"connection: close\r\n\r\n", body]))
        self.transport.close()

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
