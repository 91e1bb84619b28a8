"""Describes of the networking and storage areas at 1 and N objects: time and OpenStack calls.

For each kind (VPCs with their subnets and route tables, security groups and their rules, elastic
IPs, volumes), the project first holds 1 object of the benchmark and then N (``EC2API_BENCH_RESOURCES``,
default 50 VPCs and 100 of the others). Measured at both sizes, through ec2api's HTTP service on the
test cloud:

- a one-id Describe (what Terraform's refresh sends): its time must stay within 1.5x of its time at
  1 object, and its OpenStack calls the same (cost follows the result, not the project);
- the whole listing: its OpenStack calls must not grow with N (each collection listed once).

Baselines are the same requests at 1 object, in the same run. The objects carry a tag and are
deleted at the end; other objects of the project (tests running at the same time) only add to the
listings' rows, not to their calls.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import requests
from botocore.config import Config as BotoConfig

from tests.bench import servers
from tests.bench.timing import result

PROJECT = os.environ.get("EC2API_BENCH_PROJECT", "alt")
_SIZES = dict(part.split("=") for part in os.environ.get(
    "EC2API_BENCH_RESOURCES", "vpc=50,sg=100,eip=100,volume=100").split(","))
REPEAT = 7


def _make_vpc(ec2, tag: dict) -> dict[str, str]:
    n = _make_vpc.count = getattr(_make_vpc, "count", 0) + 1
    vpc = ec2.create_vpc(CidrBlock=f"10.{n % 250}.0.0/16",
                         TagSpecifications=[{"ResourceType": "vpc", "Tags": [tag]}])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n % 250}.1.0/24")["Subnet"]["SubnetId"]
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    return {"vpc": vpc, "subnet": subnet, "rtb": table["RouteTableId"]}


def _drop_vpc(ec2, made: dict[str, str]) -> None:
    ec2.delete_subnet(SubnetId=made["subnet"])
    ec2.delete_vpc(VpcId=made["vpc"])


def _make_sg(ec2, tag: dict) -> dict[str, str]:
    group = ec2.create_security_group(GroupName=f"bench-{uuid.uuid4().hex[:10]}", Description="bench",
                                      TagSpecifications=[{"ResourceType": "security-group", "Tags": [tag]}])
    rules = ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    return {"sg": group["GroupId"], "sgr": rules["SecurityGroupRules"][0]["SecurityGroupRuleId"]}


def _drop_sg(ec2, made: dict[str, str]) -> None:
    ec2.delete_security_group(GroupId=made["sg"])


def _make_eip(ec2, tag: dict) -> dict[str, str]:
    return {"eip": ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": [tag]}])["AllocationId"]}


def _drop_eip(ec2, made: dict[str, str]) -> None:
    ec2.release_address(AllocationId=made["eip"])


def _make_volume(ec2, tag: dict) -> dict[str, str]:
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    return {"vol": ec2.create_volume(AvailabilityZone=zone, Size=1, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [tag]}])["VolumeId"]}


def _drop_volume(ec2, made: dict[str, str]) -> None:
    ec2.get_waiter("volume_available").wait(VolumeIds=[made["vol"]], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    ec2.delete_volume(VolumeId=made["vol"])


# kind: (make, drop, [(label, action, {param: key of the made object} or None for the whole listing)])
KINDS: dict[str, tuple[Callable, Callable, list[tuple[str, str, dict[str, str] | None]]]] = {
    "vpc": (_make_vpc, _drop_vpc, [
        ("DescribeVpcs", "DescribeVpcs", {"VpcId.1": "vpc"}),
        ("DescribeSubnets", "DescribeSubnets", {"SubnetId.1": "subnet"}),
        ("DescribeRouteTables", "DescribeRouteTables", {"RouteTableId.1": "rtb"})]),
    "sg": (_make_sg, _drop_sg, [
        ("DescribeSecurityGroups", "DescribeSecurityGroups", {"GroupId.1": "sg"}),
        ("DescribeSecurityGroupRules", "DescribeSecurityGroupRules", {"SecurityGroupRuleId.1": "sgr"})]),
    "eip": (_make_eip, _drop_eip, [("DescribeAddresses", "DescribeAddresses", {"AllocationId.1": "eip"})]),
    "volume": (_make_volume, _drop_volume, [("DescribeVolumes", "DescribeVolumes", {"VolumeId.1": "vol"})]),
}


def _measure(url: str, creds: dict, region: str, body: str) -> tuple[float, float]:
    """(median ms, median OpenStack calls) of ``body`` sent REPEAT times after one warm-up."""
    headers = servers.signed(url, body, creds["access"], creds["secret"], region)
    runs, calls = [], []
    for n in range(REPEAT + 1):
        before = servers.metric(url, "ec2api_openstack_calls_total")
        start = time.perf_counter()
        resp = requests.post(url + "/", data=body, headers=headers, timeout=300)
        elapsed = (time.perf_counter() - start) * 1000
        assert resp.status_code == 200, resp.text[:500]
        if n:
            runs.append(elapsed)
            calls.append(servers.metric(url, "ec2api_openstack_calls_total") - before)
    return statistics.median(runs), statistics.median(calls)


def _kind_rows(ec2, url: str, creds: dict, region: str, kind: str, size: int) -> list[dict]:
    make, drop, requests_ = KINDS[kind]
    tag = {"Key": "ec2api-bench", "Value": f"resources-{uuid.uuid4().hex[:8]}"}
    made: list[dict[str, str]] = []
    rows: list[dict] = []
    try:
        at: dict[int, dict[str, tuple[float, float]]] = {}
        for target in (1, size):
            started = time.monotonic()
            while len(made) < target:
                made.append(make(ec2, tag))
            print(f"  {kind}: {target} made ({time.monotonic() - started:.0f} s)", flush=True)
            first = made[0]
            at[target] = {}
            for label, action, by_id in requests_:
                one = "&".join(f"{k}={first[v]}" for k, v in (by_id or {}).items())
                at[target][label + " one"] = _measure(url, creds, region, f"Action={action}&Version=2016-11-15&{one}")
                at[target][label + " all"] = _measure(url, creds, region, f"Action={action}&Version=2016-11-15")
        for label, _, _ in requests_:
            (ms1, calls1), (msn, callsn) = at[1][label + " one"], at[size][label + " one"]
            rows.append(result(f"{label}(one id), {size} objects", msn, baseline_ms=ms1,
                               target="<= 1.5x at 1 object", passed=msn <= 1.5 * ms1 and callsn == calls1,
                               note=f"OpenStack calls {calls1:g} at 1, {callsn:g} at {size}"))
            (ms1, calls1), (msn, callsn) = at[1][label + " all"], at[size][label + " all"]
            rows.append(result(f"{label}(all), {size} objects", msn, baseline_ms=ms1,
                               target="calls constant in N", passed=callsn == calls1,
                               note=f"OpenStack calls {calls1:g} at 1, {callsn:g} at {size}"))
    finally:
        for m in reversed(made):
            try:
                drop(ec2, m)
            except Exception as exc:   # noqa: BLE001 - report and go on deleting the rest
                print(f"  could not delete {m}: {exc}", flush=True)
    return rows


def run() -> list[dict]:
    info = servers.cloud_info()
    creds = info["ec2_credentials"][PROJECT]
    region = info["region"]
    workdir = Path(tempfile.mkdtemp(prefix="ec2api-bench-res-"))
    rows: list[dict] = []
    try:
        with servers.ec2api(workdir, threads=4) as url:
            ec2 = boto3.client("ec2", endpoint_url=url, region_name=region, aws_access_key_id=creds["access"],
                               aws_secret_access_key=creds["secret"],
                               config=BotoConfig(retries={"max_attempts": 2}, read_timeout=300))
            for kind, size in _SIZES.items():
                rows += _kind_rows(ec2, url, creds, region, kind, int(size))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows
