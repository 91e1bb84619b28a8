"""The HTTP service under load: authenticated DescribeRegions per second, against moto's server.

Both servers get the same SigV4-signed request replayed by ``wrk`` (Debian's package, a C load
generator that costs far less CPU per request than any Python client), over loopback, for a fixed
time. ec2api runs as ``ec2api serve`` against the test cloud's Keystone; its ``/metrics`` counters
give the Keystone calls made per 1,000 requests after warm-up (the target is 0: signatures are
verified locally from the cached secret).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.bench.timing import result

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BODY = "Action=DescribeRegions&Version=2016-11-15"
DURATION = int(os.environ.get("EC2API_BENCH_SECONDS", "8"))
CONNECTIONS = 8


def _free_port() -> int:
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


def _signed(url: str, access: str, secret: str, region: str) -> dict[str, str]:
    req = AWSRequest("POST", url + "/", data=BODY,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(access, secret), "ec2", region).add_auth(req)
    return dict(req.headers)


def _wrk(url: str, headers: dict[str, str], workdir: Path) -> float:
    """Requests per second that wrk sustains with the signed request; non-2xx answers are an error."""
    script = workdir / "post.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(BODY)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "-s", str(script), url + "/"],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw error responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _metric(url: str, name: str) -> int:
    text = requests.get(url + "/metrics", timeout=5).text
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    return int(m.group(1)) if m else 0


def _requests_total(url: str) -> int:
    text = requests.get(url + "/metrics", timeout=5).text
    return sum(int(n) for n in re.findall(r"^ec2api_requests_total\{[^}]*\} (\d+)$", text, re.M))


def _ensure_wrk() -> None:
    if shutil.which("wrk") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)


def run() -> list[dict]:
    """ec2api (1 worker, 1 thread) and moto's server, same signed request, same load."""
    _ensure_wrk()
    info = json.loads((ROOT / ".cloud" / "cloud.json").read_text())
    creds = info["ec2_credentials"]["demo"]
    workdir = Path(tempfile.mkdtemp(prefix="ec2api-bench-"))
    rows = []
    procs = []
    try:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = workdir / "ec2api.log"
        env = dict(os.environ, EC2API_DATABASE_URL=f"sqlite:///{workdir / 'state.sqlite'}",
                   EC2API_LOG_LEVEL="WARNING")
        procs.append(subprocess.Popen(
            [str(BIN / "ec2api"), "serve", "--cloud-json", str(ROOT / ".cloud" / "cloud.json"), "--port", str(port),
             "--workers", "1", "--threads", "1"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT))
        _wait(url + "/healthz", procs[-1], log)
        headers = _signed(url, creds["access"], creds["secret"], info["region"])
        for _ in range(3):   # warm-up: the first request authenticates through Keystone
            assert requests.post(url + "/", data=BODY, headers=headers, timeout=30).status_code == 200
        calls_before = _metric(url, "ec2api_auth_keystone_calls_total")
        requests_before = _requests_total(url)
        ours = _wrk(url, headers, workdir)
        calls = _metric(url, "ec2api_auth_keystone_calls_total") - calls_before
        served = _requests_total(url) - requests_before

        moto_port = _free_port()
        moto_url = f"http://127.0.0.1:{moto_port}"
        moto_log = workdir / "moto.log"
        procs.append(subprocess.Popen([str(BIN / "moto_server"), "-p", str(moto_port)],
                                      stdout=moto_log.open("wb"), stderr=subprocess.STDOUT))
        _wait(moto_url + "/moto-api/", procs[-1], moto_log)
        moto_headers = _signed(moto_url, "testing", "testing", "us-east-1")
        for _ in range(3):
            assert requests.post(moto_url + "/", data=BODY, headers=moto_headers, timeout=30).status_code == 200
        theirs = _wrk(moto_url, moto_headers, workdir)

        per_1000 = 1000 * calls / max(served, 1)
        rows.append(result("authenticated DescribeRegions (1 worker)", 1000 / ours, baseline_ms=1000 / theirs,
                           target="rate >= 10x moto", passed=ours >= 10 * theirs,
                           note=f"{ours:,.0f} req/s vs moto {theirs:,.0f} req/s; wrk -c{CONNECTIONS} {DURATION}s"))
        rows.append(result("Keystone calls per 1,000 requests", per_1000, target="0", passed=calls == 0,
                           note=f"{calls} calls over {served:,} requests after warm-up"))
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    return rows
