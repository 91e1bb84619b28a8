"""Serving the WSGI app from ``ec2api serve``: uvicorn's event loop in front of a thread pool
(``front.py``), in each of N worker processes.

Why: the event loop reads every request whole (headers and body, each under a deadline) before a
thread runs it, so a client that sends half a request and stalls costs a socket, not a thread.
Under gunicorn's thread worker, four such connections held all four threads and the service
stopped answering. Waitress works the same way but its pure-Python loop halved the service
benchmark's throughput; uvicorn's C parser kept it (README, "Running the service").

For ``workers > 1`` this module forks that many workers, each serving the same listening socket
(the kernel spreads connections among them), and restarts one that dies.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import sys
import time
from typing import Any

from ec2api_runtime.config import Config

log = logging.getLogger("ec2api.server")

BACKLOG = 2048
GRACEFUL_SECONDS = 10       # how long workers may finish their requests when the service stops
RESPAWN_DELAY = 1.0         # a worker that dies young is restarted after this pause, not in a loop


def run(config: Config) -> None:
    """Serve until stopped (SIGTERM or SIGINT)."""
    _raise_open_files_limit(config.max_connections * max(config.workers, 1) + 256)
    sock = listen(config.host, config.port)
    if config.workers <= 1:
        serve(config, sock)
    else:
        _Supervisor(config, sock).run()


def listen(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def serve(config: Config, sock: socket.socket, wsgi_app: Any = None) -> None:
    """One worker: build the app (its own database pool and caches) and serve ``sock``.

    ``wsgi_app`` replaces the configured app (the fuzz tier serves one with a stub authenticator).
    """
    import uvicorn

    from ec2api_runtime import logs
    from ec2api_runtime.app import MAX_BODY, create_app
    from ec2api_runtime.front import Front, Protocol

    logs.configure(config.log_level)
    front = Front(wsgi_app or create_app(config), threads=config.threads, max_body=MAX_BODY,
                  read_timeout=config.read_timeout)
    protocol = type("Protocol", (Protocol,), {"header_timeout": float(config.read_timeout)})
    server = uvicorn.Server(uvicorn.Config(
        front, http=protocol, interface="asgi3", lifespan="off", loop="uvloop",
        access_log=False, log_config=None, server_header=False, date_header=True,
        timeout_keep_alive=config.read_timeout, limit_concurrency=config.max_connections,
        backlog=BACKLOG, timeout_graceful_shutdown=GRACEFUL_SECONDS,
    ))
    log.info("worker %d serving on %s:%s (%d threads)", os.getpid(), config.host, config.port, config.threads)
    server.run(sockets=[sock])


def _raise_open_files_limit(wanted: int) -> None:
    """Each connection is a file descriptor: raise the soft limit toward the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class _Supervisor:
    """Fork ``workers`` processes serving one socket; restart those that die; stop them all."""

    def __init__(self, config: Config, sock: socket.socket) -> None:
        self.config = config
        self.sock = sock
        self.children: dict[int, float] = {}   # pid -> start time
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for _ in range(self.config.workers):
            self._spawn()
        while not self.stopping:
            self._reap(respawn=True)
            time.sleep(0.2)
        for pid in self.children:
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_SECONDS
        while self.children and time.monotonic() < deadline:
            self._reap(respawn=False)
            time.sleep(0.1)
        for pid in self.children:
            _kill(pid, signal.SIGKILL)

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:   # the worker
            signal.signal(signal.SIGINT, signal.SIG_IGN)   # the supervisor decides when to stop
            code = 0
            try:
                serve(self.config, self.sock)
            except SystemExit:
                pass
            except BaseException:   # noqa: BLE001 - logged; the supervisor restarts the worker
                log.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _reap(self, respawn: bool) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            if started is None or not respawn or self.stopping:
                continue
            log.warning("worker %d exited (status %d); starting another", pid, status)
            if time.monotonic() - started < RESPAWN_DELAY:
                time.sleep(RESPAWN_DELAY)
            self._spawn()

    def _stop(self, _signum: int, _frame: Any) -> None:
        self.stopping = True


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
