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
import subprocess
import tempfile
from pathlib import Path

import requests

from tests.bench import servers
from tests.bench.timing import result

BODY = "Action=DescribeRegions&Version=2016-11-15"
DURATION = int(os.environ.get("EC2API_BENCH_SECONDS", "8"))
CONNECTIONS = 8


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


def run() -> list[dict]:
    """ec2api (1 worker, 1 thread) and moto's server, same signed request, same load."""
    servers.ensure_wrk()
    info = servers.cloud_info()
    creds = info["ec2_credentials"]["demo"]
    workdir = Path(tempfile.mkdtemp(prefix="ec2api-bench-"))
    try:
        with servers.ec2api(workdir) as url:
            headers = servers.signed(url, BODY, creds["access"], creds["secret"], info["region"])
            for _ in range(3):   # warm-up: the first request authenticates through Keystone
                assert requests.post(url + "/", data=BODY, headers=headers, timeout=30).status_code == 200
            calls_before = servers.metric(url, "ec2api_auth_keystone_calls_total")
            served_before = servers.metric(url, "ec2api_requests_total")
            ours = _wrk(url, headers, workdir)
            calls = servers.metric(url, "ec2api_auth_keystone_calls_total") - calls_before
            served = servers.metric(url, "ec2api_requests_total") - served_before
        with servers.moto(workdir) as moto_url:
            moto_headers = servers.signed(moto_url, BODY, "testing", "testing", "us-east-1")
            for _ in range(3):
                assert requests.post(moto_url + "/", data=BODY, headers=moto_headers, timeout=30).status_code == 200
            theirs = _wrk(moto_url, moto_headers, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    per_1000 = 1000 * calls / max(served, 1)
    return [
        result("authenticated DescribeRegions (1 worker)", 1000 / ours, baseline_ms=1000 / theirs,
               target="rate >= 10x moto", passed=ours >= 10 * theirs,
               note=f"{ours:,.0f} req/s vs moto {theirs:,.0f} req/s; wrk -c{CONNECTIONS} {DURATION}s"),
        result("Keystone calls per 1,000 requests", per_1000, target="0", passed=calls == 0,
               note=f"{calls} calls over {served:,} requests after warm-up (value column: calls)"),
    ]
