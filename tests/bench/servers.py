"""Servers the service benchmarks run against: ``ec2api serve`` on the test cloud, and moto's server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CLOUD_JSON = Path(os.environ.get("EC2API_CLOUD_DIR", ROOT / ".cloud")) / "cloud.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start:\n{log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def cloud_info() -> dict:
    return json.loads(CLOUD_JSON.read_text())


@contextmanager
def ec2api(workdir: Path, *, workers: int = 1, threads: int = 1, database: Path | None = None,
           env: dict[str, str] | None = None) -> Iterator[str]:
    """``ec2api serve`` against the test cloud, with a fresh SQLite state (or ``database``) and
    ``env`` added to its environment; yields its URL."""
    port = free_port()
    log = workdir / f"ec2api-{port}.log"
    db = database or workdir / f"state-{port}.sqlite"
    env = dict(os.environ, EC2API_DATABASE_URL=f"sqlite:///{db}", EC2API_LOG_LEVEL="WARNING", **(env or {}))
    proc = subprocess.Popen(
        [str(BIN / "ec2api"), "serve", "--cloud-json", str(CLOUD_JSON), "--port", str(port),
         "--workers", str(workers), "--threads", str(threads)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url + "/healthz", proc, log)
        yield url
    finally:
        _stop(proc)


@contextmanager
def moto(workdir: Path) -> Iterator[str]:
    """moto's server (the baseline); yields its URL."""
    port = free_port()
    log = workdir / f"moto-{port}.log"
    proc = subprocess.Popen([str(BIN / "moto_server"), "-p", str(port)], stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url + "/moto-api/", proc, log)
        yield url
    finally:
        _stop(proc)


def signed(url: str, body: str, access: str, secret: str, region: str) -> dict[str, str]:
    """Headers of a SigV4-signed POST of ``body`` to ``url``."""
    req = AWSRequest("POST", url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(access, secret), "ec2", region).add_auth(req)
    return dict(req.headers)


def metric(url: str, name: str) -> float:
    """A counter from ec2api's /metrics (summed over its labels)."""
    total = 0.0
    for line in requests.get(url + "/metrics", timeout=5).text.splitlines():
        key, _, value = line.rpartition(" ")
        if key == name or key.startswith(name + "{"):
            total += float(value)
    return total


def ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
