"""What the integration tests share besides fixtures: waiter speeds, error codes, and reading the
OpenStack calls a request made (``openstack.HTTP.recording()``)."""

from __future__ import annotations

import re
import time

FAST = {"Delay": 2, "MaxAttempts": 90}   # waiter config: poll every 2 s, up to 3 minutes
NS = {"e": "http://ec2.amazonaws.com/doc/2016-11-15/"}


def code_of(excinfo) -> str:
    """The EC2 error code of a ``pytest.raises(ClientError)``."""
    return excinfo.value.response["Error"]["Code"]


def paths(log) -> list[str]:
    """The calls as ``METHOD path?query`` without host and version prefix, e.g. ``GET /servers/x``."""
    return [f"{m} {re.sub(r'^https?://[^/]+(/v[0-9.]+)?(/[0-9a-f]{32})?', '', u)}" for m, u in log]


def wait_running(call, instance_id: str) -> None:
    """Until DescribeInstances through ``call`` (the in-process fixture) shows the instance running."""
    for _ in range(120):
        state = call(Action="DescribeInstances", **{"InstanceId.1": instance_id}).findtext(
            ".//e:instanceState/e:name", namespaces=NS)
        if state == "running":
            return
        time.sleep(1)
    raise AssertionError(f"{instance_id} did not start")
