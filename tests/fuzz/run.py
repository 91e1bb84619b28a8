"""Drive the fuzz cases through the real server and check every answer (see the package docstring)."""

from __future__ import annotations

import http.client
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from tests.fuzz.cases import CLASSES, Request

SLOW_SECONDS = 2.0
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Report:
    """What a run saw."""

    requests: int = 0
    by_class: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    seconds_by_class: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0
    rss_start_kb: int = 0
    rss_mid_kb: int = 0     # half-way: what the second half grew is what a leak would show
    rss_end_kb: int = 0
    peak_rss_kb: int = 0
    stalled: int = 0
    seconds: float = 0.0

    def growth_per_request_kb(self) -> float:
        """What the worker grew per request in the second half (warm by then: lazy loading is done
        mostly; a leak grows the same in both halves)."""
        return (self.rss_end_kb - self.rss_mid_kb) / max(self.requests - self.requests // 2, 1)

    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        lines = [f"{self.requests:,} requests in {self.seconds:.1f} s ({self.requests / max(self.seconds, 1e-9):,.0f}/s), "
                 f"{self.stalled} stalled connections held open",
                 "by class: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_class.items())),
                 "client-side seconds by class: " + ", ".join(
                     f"{k} {v:.1f}" for k, v in sorted(self.seconds_by_class.items())),
                 "by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_status.items())),
                 f"slowest answer {self.slowest * 1000:.0f} ms; worker RSS {self.rss_start_kb / 1024:.0f} MiB after "
                 f"warm-up, {self.rss_mid_kb / 1024:.0f} MiB half-way, {self.rss_end_kb / 1024:.0f} MiB at the end, peak {self.peak_rss_kb / 1024:.0f} MiB",
                 f"failures: {len(self.failures)}"]
        lines += ["  " + f for f in self.failures[:20]]
        return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            values[line.split(":")[0]] = int(line.split()[1])
    return values["VmRSS"], values["VmHWM"]


def _check(kind: str, method: str, status: int, body: bytes, elapsed: float, report: Report) -> None:
    report.by_status[status] += 1
    problem = None
    if status >= 500 and not (status == 503 and b"<Code>Unavailable</Code>" in body):
        problem = f"{status}"
    elif method != "HEAD":
        try:
            root = etree.fromstring(body)
            if root.tag != "Response" and not root.tag.endswith("Response"):
                problem = f"root element {root.tag}"
        except etree.XMLSyntaxError:
            problem = "not XML"
    if elapsed > SLOW_SECONDS:
        problem = f"took {elapsed:.1f} s"
    if problem:
        report.failures.append(f"{kind}: {problem}: {body[:160]!r}")


class _Client:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, headers: dict, body: bytes, chunked: bool) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                if chunked:
                    pieces = [body[i:i + 97] for i in range(0, len(body), 97)] or [b""]
                    self.conn.request(method, path, body=iter(pieces), headers=headers, encode_chunked=True)
                else:
                    self.conn.request(method, path, body=body or None, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                    self.conn = None
                return resp.status, data
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _stall(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that start a request and never finish it (headers or body)."""
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nAction=" if i % 2 else
                  b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    return socks


def run(requests: int, seed: int = 1, threads: int = 4, stalled: int = 200) -> Report:
    """Send ``requests`` generated requests (a tenth of them chunked) and check every answer."""
    state = Path(tempfile.mkdtemp(prefix="ec2api-fuzz-"))
    port = _free_port()
    log = (state / "server.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.server", str(port), str(state)], cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    report = Report()
    held: list[socket.socket] = []
    try:
        _wait(port, proc, state)
        held = _stall(port, stalled)
        report.stalled = len(held)
        lock = threading.Lock()
        counter = iter(range(requests))
        warm = max(requests // 10, 1)
        started = time.perf_counter()

        def worker(wid: int) -> None:
            r = random.Random(seed * 1000 + wid)
            client = _Client(port)
            names = sorted(CLASSES)
            for n in counter:
                kind = names[n % len(names)]
                method, path, headers, body = CLASSES[kind](r)
                chunked = method == "POST" and n % 7 == 3
                t0 = time.perf_counter()
                try:
                    status, data = client.send(method, path, headers, body, chunked)
                except Exception as exc:   # noqa: BLE001 - a dropped connection is a failure to report
                    with lock:
                        report.failures.append(f"{kind}: no answer: {type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    report.requests += 1
                    report.by_class[kind + (" (chunked)" if chunked else "")] += 1
                    report.slowest = max(report.slowest, elapsed)
                    report.seconds_by_class[kind] += elapsed
                    _check(kind, method, status, data, elapsed, report)
                    if report.requests == warm:
                        report.rss_start_kb = _rss(proc.pid)[0]
                    elif report.requests == requests // 2:
                        report.rss_mid_kb = _rss(proc.pid)[0]

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        report.seconds = time.perf_counter() - started
        report.rss_end_kb, report.peak_rss_kb = _rss(proc.pid)
        if proc.poll() is not None:
            report.failures.append(f"the server exited ({proc.returncode})")
    finally:
        for s in held:
            s.close()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if report.failures:
            report.failures.append("server log tail: " + (state / "server.log").read_text()[-1500:])
        shutil.rmtree(state, ignore_errors=True)
    return report


def _wait(port: int, proc: subprocess.Popen, state: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("fuzz server exited:\n" + (state / "server.log").read_text()[-2000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("fuzz server did not start")



__all__ = ["Report", "Request", "run"]
