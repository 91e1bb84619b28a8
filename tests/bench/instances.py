"""DescribeInstances with 1, 100 and 500 instances: time per call and OpenStack calls per request.

ec2api runs against the test cloud (Nova's fake driver boots without a hypervisor); moto's server
holds the same number of instances as the baseline. Both are timed with the same raw signed HTTP
request (the client's XML parsing is not counted). From ec2api's /metrics: the HTTP calls it makes
to OpenStack per DescribeInstances (must not grow with the instances) and its worker's CPU per call
(what ec2api itself costs, apart from waiting for OpenStack).

Growing the cloud is the slow part: Nova's resource tracker reads every instance's allocations from
Placement on each new claim, so booting N instances on the one fake compute host costs ~N²/2
Placement calls (500 instances: ~25-35 minutes on 2 cores). ``EC2API_BENCH_INSTANCES=1,100`` picks
other sizes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import boto3
import openstack.config
import openstack.connection
import requests
from botocore.config import Config as BotoConfig

from tests.bench import servers
from tests.bench.timing import result

SIZES = tuple(int(n) for n in os.environ.get("EC2API_BENCH_INSTANCES", "1,100,500").split(","))
# EC2API_BENCH_KEEP=1 leaves the instances running afterwards; a later run adopts them (they carry
# TAG) and measures the sizes from there on, instead of booting them again.
KEEP = os.environ.get("EC2API_BENCH_KEEP") == "1"
TAG = {"Key": "ec2api-bench", "Value": "instances"}
PROJECT = os.environ.get("EC2API_BENCH_PROJECT", "demo")   # the test cloud's demo or alt
BODY = "Action=DescribeInstances&Version=2016-11-15"
REPEAT = 5
BATCH = 100


def _client(url: str, access: str, secret: str, region: str):
    return boto3.client("ec2", endpoint_url=url, region_name=region, aws_access_key_id=access,
                        aws_secret_access_key=secret,
                        config=BotoConfig(retries={"max_attempts": 2}, read_timeout=300))


def _grow(ec2, image_id: str, target: int, running: set[str]) -> None:
    """Launch instances until ``target`` are running: every batch first (one reservation each), then
    wait once, so Nova builds them in parallel."""
    new: list[str] = []
    while len(running) + len(new) < target:
        count = min(BATCH, target - len(running) - len(new))
        out = ec2.run_instances(ImageId=image_id, InstanceType="t3.nano", MinCount=count, MaxCount=count,
                                TagSpecifications=[{"ResourceType": "instance", "Tags": [TAG]}])
        new += [i["InstanceId"] for i in out["Instances"]]
    _wait_running(ec2, new)
    running.update(new)


def _wait_running(ec2, instance_ids: list[str]) -> None:
    for i in range(0, len(instance_ids), 100):
        ec2.get_waiter("instance_running").wait(InstanceIds=instance_ids[i:i + 100],
                                                WaiterConfig={"Delay": 5, "MaxAttempts": 720})


def _time(url: str, headers: dict[str, str], expect: int, repeat: int = REPEAT) -> list[float]:
    """Milliseconds of each of ``repeat`` DescribeInstances calls (the answer must list ``expect``)."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        resp = requests.post(url + "/", data=BODY, headers=headers, timeout=300)
        runs.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, resp.text[:500]
        found = resp.content.count(b"<instanceState>")
        assert found == expect, f"expected {expect} instances, found {found}"
    return runs


def _time_ec2api(url: str, headers: dict[str, str], expect: int) -> tuple[float, float, float]:
    """Median total ms, median CPU ms of the ec2api worker, OpenStack calls per DescribeInstances.

    The worker's CPU (all threads) is what ec2api itself costs: parsing, joining, serialising.
    The rest of the wall time is waiting on OpenStack, whose listings overlap.
    """
    totals, cpu, calls = [], [], []
    for _ in range(REPEAT):
        calls_before = servers.metric(url, "ec2api_openstack_calls_total")
        cpu_before = servers.metric(url, "process_cpu_seconds_total")
        (total,) = _time(url, headers, expect, repeat=1)
        cpu.append((servers.metric(url, "process_cpu_seconds_total") - cpu_before) * 1000)
        calls.append(servers.metric(url, "ec2api_openstack_calls_total") - calls_before)
        totals.append(total)
    return statistics.median(totals), statistics.median(cpu), statistics.median(calls)


# What Terraform sends to refresh one aws_instance (besides DescribeTags, which is database only).
REFRESH = ["Action=DescribeInstances&Version=2016-11-15&InstanceId.1={i}",
           *[f"Action=DescribeInstanceAttribute&Version=2016-11-15&InstanceId={{i}}&Attribute={a}"
             for a in ("disableApiTermination", "instanceInitiatedShutdownBehavior", "userData", "disableApiStop")],
           "Action=DescribeVolumes&Version=2016-11-15&Filter.1.Name=attachment.instance-id&Filter.1.Value.1={i}",
           "Action=DescribeImages&Version=2016-11-15&ImageId.1={ami}"]


def _refresh(url: str, info: dict, instance_id: str, image_id: str) -> tuple[float, float]:
    """(ms, OpenStack calls) of one Terraform-style refresh of ``instance_id``."""
    creds = info["ec2_credentials"][PROJECT]
    bodies = [b.format(i=instance_id, ami=image_id) for b in REFRESH]
    signed = [servers.signed(url, b, creds["access"], creds["secret"], info["region"]) for b in bodies]
    calls_before = servers.metric(url, "ec2api_openstack_calls_total")
    start = time.perf_counter()
    for body, headers in zip(bodies, signed, strict=True):
        resp = requests.post(url + "/", data=body, headers=headers, timeout=300)
        assert resp.status_code == 200, resp.text[:500]
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, servers.metric(url, "ec2api_openstack_calls_total") - calls_before


_ONE_INSTANCE_REFRESH: list[float] = []


def _refresh_rows(url: str, info: dict, instance_ids: list[str], image_id: str, size: int,
                  listing_ms: float, nova_ms: float) -> list[dict]:
    """One instance's refresh at this size (vs at the smallest size), and all ``size`` of them (vs
    the full-listing path they replaced: a DescribeInstances listing of the project per
    DescribeInstances and a Nova listing per DescribeInstanceAttribute)."""
    _refresh(url, info, instance_ids[0], image_id)   # warm
    runs = [_refresh(url, info, instance_ids[0], image_id) for _ in range(REPEAT)]
    one = statistics.median(ms for ms, _ in runs)
    calls = statistics.median(c for _, c in runs)
    _ONE_INSTANCE_REFRESH.append(one)
    base = _ONE_INSTANCE_REFRESH[0]
    rows = [result(f"refresh of one instance (7 calls), {size} instances", one, baseline_ms=base,
                   target="<= 1.5x at 1 instance", passed=one <= 1.5 * base,
                   note=f"{calls:g} OpenStack calls")]
    start = time.perf_counter()
    for instance_id in instance_ids[:size]:
        _refresh(url, info, instance_id, image_id)
    whole = (time.perf_counter() - start) * 1000
    before = size * (listing_ms + 4 * nova_ms)   # what the same calls cost on the listing path
    rows.append(result(f"refresh of all {size} instances", whole, baseline_ms=before,
                       target="<= 1/20 of the listing path", passed=whole <= before / 20,
                       note=f"listing path: {size} x ({listing_ms:.0f} ms DescribeInstances + 4 x {nova_ms:.0f} "
                            "ms Nova listing), from this run's timings"))
    return rows


def _pushed_down_row(ec2, url: str, info: dict, instance_id: str, size: int, listing_ms: float) -> dict:
    """DescribeInstances filtered by one instance's private address (what a look-up by address
    sends): Nova's ``ip`` filter answers it, so it costs one instance, vs the whole listing."""
    creds = info["ec2_credentials"][PROJECT]
    address = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0][
        "PrivateIpAddress"]
    body = f"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=private-ip-address&Filter.1.Value.1={address}"
    headers = servers.signed(url, body, creds["access"], creds["secret"], info["region"])
    runs = []
    for _ in range(REPEAT + 1):
        start = time.perf_counter()
        resp = requests.post(url + "/", data=body, headers=headers, timeout=300)
        runs.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200 and resp.content.count(b"<instanceState>") == 1, resp.text[:500]
    ms = statistics.median(runs[1:])
    return result(f"DescribeInstances private-ip-address=<one>, {size} instances", ms, baseline_ms=listing_ms,
                  target="<= the whole listing", passed=ms <= listing_ms,
                  note="pushed down into Nova's ip filter; baseline: the unfiltered listing")


def _nova_listing_ms(info: dict) -> float:
    """Median ms of the one listing no Nova-backed DescribeInstances can avoid: ``/servers/detail``
    as the same user (its token fetched once, outside the timing)."""
    clouds = str(Path(info["state_dir"]) / "clouds.yaml")
    region = openstack.config.OpenStackConfig(config_files=[clouds]).get_one(cloud=PROJECT)
    conn = openstack.connection.Connection(config=region)
    conn.authorize()
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        resp = conn.compute.get("/servers/detail", microversion="2.73")
        runs.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200, resp.text[:300]
    return statistics.median(runs)


def run() -> list[dict]:
    info = servers.cloud_info()
    creds = info["ec2_credentials"][PROJECT]
    region = info["region"]
    workdir = Path(tempfile.mkdtemp(prefix="ec2api-bench-"))
    rows = []
    launched: set[str] = set()
    try:
        # The state lives beside the cloud's, so that instances kept by one run keep their ids and
        # tags (TAG marks them as the benchmark's) for the next. Instances terminated by an earlier
        # run would stay listed for an hour (as on AWS): not here, where the count is the variable.
        state = Path(info["state_dir"]) / "bench-ec2api.sqlite"
        with servers.ec2api(workdir, threads=4, database=state,
                            env={"EC2API_TERMINATED_VISIBLE_SECONDS": "0"}) as url, \
                servers.moto(workdir) as moto_url:
            ec2 = _client(url, creds["access"], creds["secret"], region)
            try:
                rows = _measure(ec2, url, moto_url, info, launched)
            finally:
                ids = sorted(launched)
                if KEEP:
                    print(f"  keeping {len(ids)} instances (EC2API_BENCH_KEEP=1)", flush=True)
                for i in range(0, 0 if KEEP else len(ids), 100):
                    ec2.terminate_instances(InstanceIds=ids[i:i + 100])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _measure(ec2, url: str, moto_url: str, info: dict, launched: set[str]) -> list[dict]:
    creds = info["ec2_credentials"][PROJECT]
    region = info["region"]
    rows = []
    image_id = ec2.describe_images(Filters=[{"Name": "name", "Values": [info["image"]["name"]]}])["Images"][0][
        "ImageId"]
    already = [i for r in ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running", "stopped", "shutting-down",
                                                            "stopping"]}])["Reservations"]
        for i in r["Instances"]]
    foreign = [i["InstanceId"] for i in already if TAG not in i.get("Tags", [])]
    if foreign:
        raise RuntimeError(f"the {PROJECT} project has {len(foreign)} instances this benchmark did not start; "
                           "terminate them first")
    launched.update(i["InstanceId"] for i in already)
    if launched:
        print(f"  adopting {len(launched)} instances of an earlier run", flush=True)
        _wait_running(ec2, sorted(launched))
    moto_ec2 = _client(moto_url, "testing", "testing", "us-east-1")
    moto_image = moto_ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    moto_count = 0
    calls_per_request = {}
    for size in SIZES:
        if size < len(launched):
            print(f"  skipping {size} instances: {len(launched)} are already running", flush=True)
            continue
        started = time.monotonic()
        _grow(ec2, image_id, size, launched)
        print(f"  {size} instances running ({time.monotonic() - started:.0f} s to boot them)", flush=True)
        moto_ec2.run_instances(ImageId=moto_image, InstanceType="t3.nano", MinCount=size - moto_count,
                               MaxCount=size - moto_count)
        moto_count = size
        # Signed now: growing may take longer than a signature's 15 minutes.
        headers = servers.signed(url, BODY, creds["access"], creds["secret"], region)
        moto_headers = servers.signed(moto_url, BODY, "testing", "testing", "us-east-1")
        requests.post(url + "/", data=BODY, headers=headers, timeout=300)   # warm (ids, tokens)
        ours, cpu, calls = _time_ec2api(url, headers, size)
        calls_per_request[size] = calls
        theirs = statistics.median(_time(moto_url, moto_headers, size))
        nova = _nova_listing_ms(info)
        rows.append(result(f"DescribeInstances, {size} instances", ours, baseline_ms=theirs,
                           target="faster than moto", passed=ours < theirs,
                           note=f"{calls:g} OpenStack calls per request; Nova's own /servers/detail: {nova:.0f} ms"))
        # What ec2api itself costs, without the time OpenStack takes to answer.
        rows.append(result(f"  ec2api CPU per call, {size} instances", cpu, baseline_ms=theirs,
                           target="< moto's time", passed=cpu < theirs))
        print(f"  {size}: ec2api {ours:.1f} ms (CPU {cpu:.1f} ms, {calls:g} OpenStack calls), moto {theirs:.1f} ms",
              flush=True)
        rows.append(_pushed_down_row(ec2, url, info, sorted(launched)[0], size, ours))
        rows += _refresh_rows(url, info, sorted(launched), image_id, size, ours, nova)
    if not calls_per_request:
        return rows
    flat = len(set(calls_per_request.values())) == 1
    rows.append(result("OpenStack calls per DescribeInstances", max(calls_per_request.values()),
                       target="constant in N", passed=flat,
                       note=", ".join(f"{n}: {c:g}" for n, c in calls_per_request.items())
                       + " (value column: calls)"))
    return rows
