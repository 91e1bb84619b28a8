"""The cost rule for DescribeImages / DescribeInstanceTypes: a constant number of OpenStack calls,
however many images or flavors there are (handlers run against a fake cloud and a real SQLite db)."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import pytest

from ec2api_runtime.db import Database
from handlers import instance_types
from handlers.images.describe import describe_images
from tests.unit.conftest import make_ctx

PROJECT = "p" * 32


class FakeResponse:
    def __init__(self, body: dict, status: int = 200) -> None:
        self._body, self.status_code, self.headers = body, status, {}

    def json(self) -> dict:
        return self._body


class FakeGlance:
    """Answers GET /images like Glance for a caller owning every image; counts requests."""

    def __init__(self, n: int) -> None:
        self.calls: list[str] = []
        self.images = [{"id": f"00000000-0000-0000-0000-{i:012d}", "name": f"img-{i}", "status": "active",
                        "visibility": "private", "owner": PROJECT, "created_at": "2026-11-26T07:00:00Z",
                        "size": 1024, "container_format": "bare", "disk_format": "raw"} for i in range(n)]

    def get(self, url: str, **kwargs) -> FakeResponse:
        assert url.startswith("http://glance.test:9292/v2/images?"), url
        self.calls.append(url)
        query = parse_qs(urlparse(url).query)
        if query.get("visibility") in (["community"], ["shared"]):
            return FakeResponse({"images": []})
        return FakeResponse({"images": self.images})

    def connection(self) -> SimpleNamespace:
        """What handlers use of an openstacksdk connection: its session (GETs, catalog) and the
        image proxy (only to find the versioned endpoint)."""
        auth = SimpleNamespace(get_endpoint=lambda sess, service: {"image": "http://glance.test:9292"}.get(service))
        session = SimpleNamespace(auth=auth, get=self.get)
        return SimpleNamespace(session=session,
                               image=SimpleNamespace(get_endpoint=lambda: "http://glance.test:9292/v2/"))


def _ctx(db: Database, os: object) -> SimpleNamespace:
    return make_ctx(db, os=os, operation="DescribeImages", project_id=PROJECT)


@pytest.mark.parametrize("n", [1, 300])
def test_describe_images_makes_three_glance_calls(db: Database, n: int) -> None:
    glance = FakeGlance(n)
    ctx = _ctx(db, glance.connection())
    out = describe_images(ctx, {"Filters": [{"Name": "name", "Values": ["img-*"]}]})
    assert len(out["Images"]) == n
    assert len(glance.calls) == 3
    glance.calls.clear()
    some = [i["ImageId"] for i in out["Images"][:5]]
    out = describe_images(ctx, {"ImageIds": some})
    assert sorted(i["ImageId"] for i in out["Images"]) == sorted(some)
    assert len(glance.calls) == 3
    assert all(parse_qs(urlparse(c).query)["id"][0].startswith("in:") for c in glance.calls)


@pytest.mark.parametrize("n", [1, 13])
def test_describe_instance_types_makes_one_nova_call(n: int) -> None:
    names = sorted(instance_types.EC2_INSTANCE_TYPES)[:n]
    calls = []

    def flavors(**kwargs):
        calls.append(kwargs)
        return [SimpleNamespace(name=name, vcpus=2, ram=1024, ephemeral=0) for name in [*names, "m1.tiny"]]

    ctx = SimpleNamespace(os=SimpleNamespace(compute=SimpleNamespace(flavors=flavors)), pagination_secret=b"k",
                          operation="DescribeInstanceTypes")
    out = instance_types.describe_instance_types(ctx, {})
    assert sorted(t["InstanceType"] for t in out["InstanceTypes"]) == names   # m1.tiny is no EC2 type
    assert len(calls) == 1
