"""Codec benchmarks: the generated EC2 wire layer against botocore doing the mirror-image work.

(a) ``serialize`` a DescribeInstances result of 1,000 realistic OpenStack-backed instances,
    baseline botocore's EC2 parser reading that same XML (target: ours <= 1/10 of botocore's).
(b) ``parse`` (and validate) a realistic RunInstances form, baseline botocore validating and
    serialising the same params (target: ratio <= 1).
(c) cold ``from generated.ec2 import OPERATIONS`` plus the first ``serialize`` call, in fresh
    interpreters with warm .pyc files (target: <= 300 ms).

Each case first checks that the two sides agree (botocore's parse of our XML equals the input;
our parse of botocore's form equals the params), then times.
"""

from __future__ import annotations

import base64
import functools
import json
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator

from tests.bench.timing import median_ms, result, time_runs

ROOT = Path(__file__).resolve().parents[2]
REQUEST_ID = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"


@functools.cache
def _ec2_model():
    return botocore.session.get_session().get_service_model("ec2")


def _operations():
    from generated.ec2 import OPERATIONS

    return OPERATIONS


# ---------------------------------------------------------------------------------------------
# (a) DescribeInstances: our serialise vs botocore's parse

_AZS = ("nova", "az-1", "az-2")
_FLAVOURS = ("m1.small", "m1.medium", "m1.large", "t3.micro", "c5.xlarge")
_TAG_VALUES = ("web & db <tier>", "Zürich — 東京 ☁", "ops > dev", "naïve café", "plain")


def _ts(base: datetime, seconds: int) -> datetime:
    # Whole milliseconds: the wire carries milliseconds, so the round trip is exact.
    return base + timedelta(seconds=seconds, milliseconds=seconds % 1000)


def _instance(i: int, owner_id: str, base: datetime) -> dict:
    """One OpenStack-backed instance with every member such a server would have."""
    iid = f"i-{i:017x}"
    net = i % 250 + 1
    private_ip = f"10.{i // 62500 % 256}.{i // 250 % 250}.{net}"
    public_ip = f"203.0.{i // 250 % 256}.{net}"
    private_dns = f"ip-{private_ip.replace('.', '-')}.ec2.internal"
    public_dns = f"ec2-{public_ip.replace('.', '-')}.compute.openstack.example.org"
    subnet_id, vpc_id = f"subnet-{i % 7:08x}", f"vpc-{i % 3:08x}"
    az = _AZS[i % len(_AZS)]
    launched = _ts(base, i * 37)
    groups = [{"GroupId": f"sg-{g:08x}", "GroupName": name}
              for g, name in ((1, "default"), (2 + i % 5, f"web-{i % 5}"))]
    association = {"IpOwnerId": owner_id, "PublicDnsName": public_dns, "PublicIp": public_ip}
    secondary_ip = f"10.{i // 62500 % 256}.{(i // 250 + 100) % 256}.{net}"
    eni = {
        "Association": dict(association),
        "Attachment": {"AttachTime": launched, "AttachmentId": f"eni-attach-{i:08x}",
                       "DeleteOnTermination": True, "DeviceIndex": 0, "Status": "attached",
                       "NetworkCardIndex": 0},
        "Description": "Primary network interface",
        "Groups": [dict(g) for g in groups],
        "Ipv6Addresses": [{"Ipv6Address": f"2001:db8:{i % 65536:x}::{net:x}", "IsPrimaryIpv6": True}],
        "MacAddress": f"fa:16:3e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
        "NetworkInterfaceId": f"eni-{i:08x}",
        "OwnerId": owner_id,
        "PrivateDnsName": private_dns,
        "PrivateIpAddress": private_ip,
        "PrivateIpAddresses": [
            {"Association": dict(association), "Primary": True, "PrivateDnsName": private_dns,
             "PrivateIpAddress": private_ip},
            {"Primary": False, "PrivateDnsName": f"ip-{secondary_ip.replace('.', '-')}.ec2.internal",
             "PrivateIpAddress": secondary_ip},
        ],
        "SourceDestCheck": True,
        "Status": "in-use",
        "SubnetId": subnet_id,
        "VpcId": vpc_id,
        "InterfaceType": "interface",
    }
    bdms = [
        {"DeviceName": dev,
         "Ebs": {"AttachTime": _ts(launched, k), "DeleteOnTermination": k == 0, "Status": "attached",
                 "VolumeId": f"vol-{i * 4 + k:017x}", "VolumeOwnerId": owner_id}}
        for k, dev in enumerate(("/dev/vda", "/dev/vdb", "/dev/vdc")[: 1 + i % 3])
    ]
    tags = [
        {"Key": "Name", "Value": f"server-{i:04d}"},
        {"Key": "project", "Value": _TAG_VALUES[i % len(_TAG_VALUES)]},
        {"Key": "owner", "Value": f"équipe-{i % 11}@example.org"},
        {"Key": "aws:cloudformation:stack-name", "Value": f"stack<{i % 13}>&co"},
    ]
    return {
        "Architecture": "x86_64" if i % 9 else "arm64",
        "BlockDeviceMappings": bdms,
        "ClientToken": f"token-{i:08d}",
        "EbsOptimized": False,
        "EnaSupport": True,
        "Hypervisor": "xen",
        "IamInstanceProfile": {"Arn": f"arn:aws:iam::{owner_id}:instance-profile/app-{i % 4}",
                               "Id": f"AIPA{i:016d}"},
        "NetworkInterfaces": [eni],
        "RootDeviceName": "/dev/vda",
        "RootDeviceType": "ebs",
        "SecurityGroups": groups,
        "SourceDestCheck": True,
        "StateReason": {"Code": "Client.UserInitiatedShutdown",
                        "Message": "Client.UserInitiatedShutdown: User initiated shutdown"}
        if i % 10 == 0 else {"Code": "pending", "Message": "pending"},
        "Tags": tags,
        "VirtualizationType": "hvm",
        "CpuOptions": {"CoreCount": 1 + i % 4, "ThreadsPerCore": 1},
        "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
        "HibernationOptions": {"Configured": False},
        "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                            "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                            "InstanceMetadataTags": "enabled"},
        "EnclaveOptions": {"Enabled": False},
        "BootMode": "uefi-preferred",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "UsageOperationUpdateTime": launched,
        "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": True,
                                  "EnableResourceNameDnsAAAARecord": False},
        "Ipv6Address": eni["Ipv6Addresses"][0]["Ipv6Address"],
        "MaintenanceOptions": {"AutoRecovery": "default", "RebootMigration": "default"},
        "CurrentInstanceBootMode": "uefi",
        "NetworkPerformanceOptions": {"BandwidthWeighting": "default"},
        "InstanceId": iid,
        "ImageId": f"ami-{i % 17:08x}",
        "State": {"Code": 80, "Name": "stopped"} if i % 10 == 0 else {"Code": 16, "Name": "running"},
        "PrivateDnsName": private_dns,
        "PublicDnsName": public_dns,
        "StateTransitionReason": "User initiated (2024-05-01 12:00:00 GMT)" if i % 10 == 0 else "",
        "KeyName": f"key-{i % 6}",
        "AmiLaunchIndex": i % 10,
        "ProductCodes": [],
        "InstanceType": _FLAVOURS[i % len(_FLAVOURS)],
        "LaunchTime": launched,
        "Placement": {"GroupName": "", "Tenancy": "default", "AvailabilityZone": az},
        "KernelId": f"aki-{i % 3:08x}",
        "RamdiskId": f"ari-{i % 3:08x}",
        "Monitoring": {"State": "disabled"},
        "SubnetId": subnet_id,
        "VpcId": vpc_id,
        "PrivateIpAddress": private_ip,
        "PublicIpAddress": public_ip,
    }


def describe_instances_result(instances: int = 1000, reservations: int = 100) -> dict:
    """A DescribeInstances result: ``instances`` servers spread over ``reservations`` reservations."""
    base = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    reservations = max(1, min(reservations, instances))
    out = []
    i = 0
    for r in range(reservations):
        owner_id = f"{123456789000 + r % 5:012d}"
        count = instances // reservations + (1 if r < instances % reservations else 0)
        members = [_instance(i + k, owner_id, base) for k in range(count)]
        i += count
        out.append({"ReservationId": f"r-{r:017x}", "OwnerId": owner_id,
                    "Groups": [], "Instances": members})
    return {"Reservations": out}


def check_describe_instances(result_dict: dict) -> tuple[bytes, Any, Any]:
    """Serialise, check botocore reads back exactly the input; return (body, parse fn, shape)."""
    op = _operations()["DescribeInstances"]
    body = op.serialize(result_dict, REQUEST_ID)
    output_shape = _ec2_model().operation_model("DescribeInstances").output_shape
    parser = create_parser("ec2")
    parsed = parser.parse({"body": body, "headers": {}, "status_code": 200}, output_shape)
    meta = parsed.pop("ResponseMetadata", {})
    assert meta.get("RequestId") == REQUEST_ID, meta
    if parsed != result_dict:
        raise AssertionError("botocore's parse of our DescribeInstances XML differs from the input: "
                             + _first_difference(result_dict, parsed))
    return body, parser, output_shape


def bench_describe_instances(instances: int = 1000, reservations: int = 100, repeat: int = 7,
                             baseline_repeat: int = 5) -> dict:
    op = _operations()["DescribeInstances"]
    data = describe_instances_result(instances, reservations)
    body, parser, output_shape = check_describe_instances(data)
    ours = median_ms(time_runs(lambda: op.serialize(data, REQUEST_ID), repeat=repeat))
    response = {"body": body, "headers": {}, "status_code": 200}
    theirs = median_ms(time_runs(lambda: parser.parse(response, output_shape), repeat=baseline_repeat))
    return result(f"(a) DescribeInstances serialise, {instances} inst", ours, baseline_ms=theirs,
                  target="ratio <= 0.100", passed=ours <= theirs / 10,
                  note=f"{len(body) / 1e6:.2f} MB XML; baseline botocore parse")


# ---------------------------------------------------------------------------------------------
# (b) RunInstances: our parse+validate vs botocore's validate+serialise

USER_DATA = """#cloud-config
package_update: true
packages: [nginx, python3]
write_files:
  - path: /etc/motd
    content: "Managed by ec2api — ünïcode & <markup> ok"
runcmd:
  - systemctl enable --now nginx
"""


def run_instances_params() -> dict:
    """RunInstances params as a boto3 user would pass them (UserData already base64, as boto3 sends it)."""
    tags = [{"Key": "Name", "Value": "web-01"}, {"Key": "project", "Value": "Zürich & <co>"},
            {"Key": "owner", "Value": "ops@example.org"}]
    return {
        "ImageId": "ami-0a1b2c3d",
        "InstanceType": "m1.small",
        "KeyName": "deploy-key",
        "MinCount": 1,
        "MaxCount": 3,
        "SecurityGroupIds": ["sg-00000001", "sg-00000002", "sg-00000003"],
        "SubnetId": "subnet-0000000a",
        "UserData": base64.b64encode(USER_DATA.encode("utf-8")).decode("ascii"),
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/vda",
             "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "DeleteOnTermination": True, "Encrypted": False}},
            {"DeviceName": "/dev/vdb",
             "Ebs": {"VolumeSize": 100, "VolumeType": "gp3", "Iops": 3000, "Throughput": 125,
                     "DeleteOnTermination": False, "SnapshotId": "snap-0123456789abcdef0"}},
        ],
        "TagSpecifications": [
            {"ResourceType": "instance", "Tags": tags},
            {"ResourceType": "volume", "Tags": tags[:2]},
        ],
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                            "HttpEndpoint": "enabled", "InstanceMetadataTags": "enabled"},
        "ClientToken": "3f2c1d9e-5b7a-4c8e-9f10-abcdef012345",
        "Placement": {"AvailabilityZone": "nova", "Tenancy": "default"},
        "Monitoring": {"Enabled": False},
        "IamInstanceProfile": {"Name": "app-profile"},
        "InstanceInitiatedShutdownBehavior": "stop",
        "DisableApiTermination": False,
        "EbsOptimized": False,
        "PrivateIpAddress": "10.0.0.10",
        "CpuOptions": {"CoreCount": 2, "ThreadsPerCore": 1},
        "HibernationOptions": {"Configured": False},
        "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": True},
    }


def run_instances_form(params: dict) -> dict[str, str]:
    """The decoded form fields botocore sends for ``params`` (without Action and Version)."""
    op_model = _ec2_model().operation_model("RunInstances")
    request = create_serializer("ec2", include_validation=True).serialize_to_request(params, op_model)
    body = AWSRequest(method="POST", url="https://ec2.example.com/", data=request["body"]).prepare().body
    body = body if isinstance(body, str) else body.decode("ascii")
    form = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=True))
    assert form.pop("Action") == "RunInstances"
    form.pop("Version")
    return form


def check_run_instances(params: dict) -> dict[str, str]:
    form = run_instances_form(params)
    parsed = _operations()["RunInstances"].parse(form)
    if parsed != params:
        raise AssertionError("our parse of botocore's RunInstances form differs from the params: "
                             + _first_difference(params, parsed))
    return form


def bench_run_instances(repeat: int = 2000, warmup: int = 200) -> dict:
    op = _operations()["RunInstances"]
    params = run_instances_params()
    form = check_run_instances(params)
    op_model = _ec2_model().operation_model("RunInstances")
    validator = ParamValidator()
    serializer = create_serializer("ec2", include_validation=False)

    def botocore_side():
        report = validator.validate(params, op_model.input_shape)
        assert not report.has_errors()
        serializer.serialize_to_request(params, op_model)

    loops = 20  # time batches so each timed run is well above the clock's resolution
    runs = max(1, repeat // loops)

    def batch(fn):
        def go():
            for _ in range(loops):
                fn()
        return go

    ours = median_ms(time_runs(batch(lambda: op.parse(form)), repeat=runs, warmup=max(1, warmup // loops))) / loops
    theirs = median_ms(time_runs(batch(botocore_side), repeat=runs, warmup=max(1, warmup // loops))) / loops
    return result("(b) RunInstances parse+validate", ours, baseline_ms=theirs, target="ratio <= 1.000",
                  passed=ours <= theirs, note=f"{len(form)} form fields; baseline botocore validate+serialise")


# ---------------------------------------------------------------------------------------------
# (c) cold import of the registry + first call

_COLD_SNIPPET = """
import json, sys, time
from datetime import datetime, timezone
result = {"Reservations": [{"ReservationId": "r-0", "OwnerId": "123456789012", "Instances": [
    {"InstanceId": "i-0", "ImageId": "ami-0", "State": {"Code": 16, "Name": "running"},
     "LaunchTime": datetime(2024, 5, 1, tzinfo=timezone.utc), "Tags": [{"Key": "Name", "Value": "a&b"}]}]}]}
t0 = time.perf_counter()
from generated.ec2 import OPERATIONS
body = OPERATIONS["DescribeInstances"].serialize(result, "req-1")
t1 = time.perf_counter()
assert body.startswith(b"<?xml") or b"DescribeInstancesResponse" in body
print(json.dumps({"ms": (t1 - t0) * 1000.0, "modules": len(sys.modules)}))
"""


def cold_import_once() -> dict:
    proc = subprocess.run([sys.executable, "-c", _COLD_SNIPPET], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"cold-import subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_cold_import(repeat: int = 7) -> dict:
    cold_import_once()  # writes/refreshes the .pyc files
    samples = [cold_import_once() for _ in range(max(1, repeat))]
    ms = statistics.median(s["ms"] for s in samples)
    return result("(c) cold import + first serialise", ms, target="<= 300 ms", passed=ms <= 300.0,
                  note=f"median of {len(samples)} fresh interpreters; {samples[0]['modules']} modules loaded")


# ---------------------------------------------------------------------------------------------

def _first_difference(expected: Any, actual: Any, path: str = "") -> str:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if key not in actual:
                return f"{path}.{key}: missing"
            if key not in expected:
                return f"{path}.{key}: unexpected {actual[key]!r:.80}"
            if expected[key] != actual[key]:
                return _first_difference(expected[key], actual[key], f"{path}.{key}")
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items expected, got {len(actual)}"
        for n, (e, a) in enumerate(zip(expected, actual, strict=True)):
            if e != a:
                return _first_difference(e, a, f"{path}[{n}]")
    return f"{path}: expected {expected!r:.80}, got {actual!r:.80}"


def run() -> list[dict]:
    return [bench_describe_instances(), bench_run_instances(), bench_cold_import()]
