"""Generated hostile requests, one class per way the service was once stopped or crashed.

Every generator takes a ``random.Random`` and returns ``(method, path, headers, body)``; bodies are
form-encoded bytes. The operations are ones whose handlers run without OpenStack (regions, tags)
so that hostile values reach the filter engine and pagination, and others whose parsers are deep.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from urllib.parse import quote

Request = tuple[str, str, dict[str, str], bytes]
AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=good/20261202/RegionOne/ec2/aws4_request",
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
DESCRIBES = ["DescribeRegions", "DescribeTags", "DescribeImages", "DescribeInstances", "DescribeVolumes",
             "DescribeKeyPairs", "DescribeAvailabilityZones", "DescribeInstanceTypes"]
DEEP = ["RunInstances", "AuthorizeSecurityGroupIngress", "CreateLaunchTemplate", "ModifySecurityGroupRules",
        "CreateTags", "DescribeSpotPriceHistory", "RequestSpotFleet"]
FILTER_NAMES = {"DescribeRegions": "region-name", "DescribeTags": "key", "DescribeImages": "name",
                "DescribeInstances": "tag:Name", "DescribeVolumes": "status", "DescribeKeyPairs": "key-name",
                "DescribeAvailabilityZones": "zone-name", "DescribeInstanceTypes": "instance-type"}


def _form(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs).encode()


def _post(action: str, pairs: list[tuple[str, str]]) -> Request:
    return "POST", "/", dict(AUTH), _form([("Action", action), ("Version", "2016-11-15"), *pairs])


def huge_index(r: random.Random) -> Request:
    index = r.choice(["1001", "1000000", "1" + "0" * 30, "9" * r.randint(10, 5000), "0", "01", "-1", "1e3"])
    return _post(r.choice(DESCRIBES), [(f"Filter.{index}.Name", "x")])


def gapped(r: random.Random) -> Request:
    k = r.randint(2, 1000)
    if r.random() < 0.5:
        action = r.choice(DESCRIBES)
        return _post(action, [(f"Filter.{k}.Name", FILTER_NAMES[action]), (f"Filter.{k}.Value.1", "x")])
    action = r.choice(DEEP)
    field = {"RunInstances": "BlockDeviceMapping.{k}.Ebs.VolumeSize", "CreateTags": "Tag.{k}.Key",
             "AuthorizeSecurityGroupIngress": "IpPermissions.{k}.IpRanges.{k}.CidrIp",
             "ModifySecurityGroupRules": "SecurityGroupRule.{k}.SecurityGroupRuleId",
             "CreateLaunchTemplate": "LaunchTemplateData.NetworkInterface.{k}.DeviceIndex",
             "DescribeSpotPriceHistory": "Filter.{k}.Name", "RequestSpotFleet":
             "SpotFleetRequestConfig.LaunchSpecifications.{k}.ImageId"}[action].format(k=k)
    return _post(action, [(field, "1")])


def long_digits(r: random.Random) -> Request:
    digits = "9" * r.choice([11, 20, 22, 100, 4301, 5000])
    field = r.choice(["MaxResults", "MinCount", "MaxCount"])
    return _post(r.choice(["DescribeInstances", "RunInstances", "DescribeTags"]), [(field, digits)])


def date_overflow(r: random.Random) -> Request:
    value = r.choice(["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999999Z",
                      "10000-01-01T00:00:00Z", "2026-13-45T25:61:61Z", "9" * 200])
    return _post("DescribeSpotPriceHistory", [(r.choice(["StartTime", "EndTime"]), value)])


def glob_bomb(r: random.Random) -> Request:
    action = r.choice(["DescribeRegions", "DescribeTags", "DescribeAvailabilityZones"])
    pattern = r.choice(["*" * r.randint(10, 60) + "Z", "*a" * r.randint(10, 300) + "Z", "?" * 500, "\\" * 900])
    return _post(action, [("Filter.1.Name", FILTER_NAMES[action]), ("Filter.1.Value.1", pattern)])


def long_values(r: random.Random) -> Request:
    value = r.choice("ab*?\\%") * r.choice([1025, 10_000, 10_000, 100_000])
    action = r.choice(DESCRIBES + ["CreateTags", "ImportKeyPair"])
    return _post(action, [(r.choice(["Filter.1.Value.1", "KeyName", "Tag.1.Key", "NextToken"]), value)])


def many_filters(r: random.Random) -> Request:
    action = r.choice(["DescribeRegions", "DescribeTags"])
    pairs = []
    # Mostly near the limits; one in twenty is a request of ~80,000 fields (about 1 MiB).
    huge = r.random() < 0.05
    for i in range(1, (400 if huge else r.choice([10, 51, 201])) + 1):
        pairs.append((f"Filter.{i}.Name", FILTER_NAMES[action]))
        for j in range(1, (201 if huge else r.choice([1, 3])) + 1):
            pairs.append((f"Filter.{i}.Value.{j}", f"v{j}*"))
    return _post(action, pairs)


def forged_token(r: random.Random) -> Request:
    payload = r.choice([["DescribeTags", {"a": 1}], ["DescribeTags"], "x", ["DescribeTags", ["a", "b"]], [1, 2]])
    raw = bytes(r.getrandbits(8) for _ in range(16)) + json.dumps(payload).encode()
    token = r.choice([base64.urlsafe_b64encode(raw).decode().rstrip("="), "%%%", "A" * 5000, ""])
    return _post("DescribeTags", [("NextToken", token), ("MaxResults", "5")])


def odd_method_or_path(r: random.Random) -> Request:
    method = r.choice(["PUT", "DELETE", "PATCH", "OPTIONS", "GET", "POST", "TRACE"])
    path = r.choice(["/", "/x", "//", "/%00", "/a/../b", "/" + "a" * 2000, "/healthz/x", "/?Action=DescribeRegions"])
    return method, path, dict(AUTH), b"" if method in ("GET", "OPTIONS", "TRACE") else b"Action=DescribeRegions"


def garbage(r: random.Random) -> Request:
    parts = ["Filter", "Name", "Value", "1", "2", "0", "x", "", "Tag", "Key", "InstanceId", "MaxResults"]
    pairs = [(".".join(r.choice(parts) for _ in range(r.randint(1, 4))),
              "".join(chr(r.randint(1, 0x2FFF)) for _ in range(r.randint(0, 12)))) for _ in range(r.randint(0, 8))]
    return _post(r.choice(DESCRIBES + DEEP + ["NoSuchAction", ""]), pairs)


CLASSES: dict[str, Callable[[random.Random], Request]] = {
    "huge-index": huge_index, "gapped-index": gapped, "long-digits": long_digits, "date-overflow": date_overflow,
    "glob-bomb": glob_bomb, "long-values": long_values, "many-filters": many_filters, "forged-token": forged_token,
    "odd-method-or-path": odd_method_or_path, "garbage": garbage,
}
