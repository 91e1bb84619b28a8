"""The Describe pipeline (ec2api_runtime.describe.run) on a spec with a recording fetch."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.errors import EC2Error
from tests.unit.conftest import make_ctx

VOLUMES = [{"VolumeId": f"vol-{n:017x}", "Size": n, "Tags": [{"Key": "n", "Value": str(n)}] if n % 2 else []}
           for n in range(1, 8)]


def _spec(fetched: list) -> describe.Describe:
    def fetch(ctx, params, wanted):
        fetched.append(wanted)
        return [dict(v, Tags=list(v["Tags"])) for v in VOLUMES]

    return describe.Describe(
        result_key="Volumes", fetch=fetch, sort_key=lambda v: v["VolumeId"],
        filters={"size": lambda v: v["Size"]},
        requested=(describe.Requested("VolumeIds", lambda v: v["VolumeId"],
                                      lambda missing: EC2Error("InvalidVolume.NotFound", missing[0]),
                                      kind="vol", with_max_results="volumeSet"),))


def _ctx():
    return SimpleNamespace(operation="DescribeVolumes", pagination_secret=b"k" * 32)


def test_bad_input_is_refused_before_anything_is_fetched():
    fetched: list = []
    for params, code in [({"VolumeIds": ["nope"]}, "InvalidVolumeID.Malformed"),
                         ({"VolumeIds": [VOLUMES[0]["VolumeId"]], "MaxResults": 5}, "InvalidParameterCombination"),
                         ({"Filters": [{"Name": "no-such-filter", "Values": ["x"]}]}, "InvalidParameterValue"),
                         ({"Filters": [{"Values": ["x"]}]}, "InvalidParameterValue")]:
        with pytest.raises(EC2Error) as e:
            describe.run(_ctx(), params, _spec(fetched))
        assert e.value.code.startswith(code.split(".")[0]), (params, e.value.code)
    assert fetched == []


def test_requested_ids_reach_fetch_and_a_missing_one_fails_the_call():
    fetched: list = []
    wanted = [VOLUMES[2]["VolumeId"], VOLUMES[0]["VolumeId"]]
    out = describe.run(_ctx(), {"VolumeIds": wanted}, _spec(fetched))
    assert fetched == [{"VolumeIds": wanted}]
    assert [v["VolumeId"] for v in out["Volumes"]] == sorted(wanted)
    with pytest.raises(EC2Error) as e:
        describe.run(_ctx(), {"VolumeIds": ["vol-" + "f" * 17]}, _spec([]))
    assert e.value.code == "InvalidVolume.NotFound"


def test_filters_tags_and_pages():
    out = describe.run(_ctx(), {"Filters": [{"Name": "tag:n", "Values": ["1", "3", "5"]}]}, _spec([]))
    assert [v["Size"] for v in out["Volumes"]] == [1, 3, 5]
    first = describe.run(_ctx(), {"MaxResults": 5}, _spec([]))
    assert len(first["Volumes"]) == 5 and "Tags" not in first["Volumes"][1]   # empty Tags dropped
    rest = describe.run(_ctx(), {"MaxResults": 5, "NextToken": first["NextToken"]}, _spec([]))
    assert [v["Size"] for v in rest["Volumes"]] == [6, 7] and "NextToken" not in rest


def _narrowing_spec(fetched: list, store: list) -> describe.Describe:
    def fetch(ctx, params, wanted):
        fetched.append(dict(wanted))
        asked = wanted["VolumeIds"]
        return [dict(v, Tags=list(v["Tags"])) for v in store if not asked or v["VolumeId"] in asked]

    return describe.Describe(
        result_key="Volumes", fetch=fetch, sort_key=lambda v: v["VolumeId"],
        filters={"size": lambda v: v["Size"], "volume-id": lambda v: v["VolumeId"]},
        requested=(describe.Requested("VolumeIds", lambda v: v["VolumeId"],
                                      lambda missing: EC2Error("InvalidVolume.NotFound", missing[0]), kind="vol"),),
        narrow=describe.Narrow("VolumeIds", "volume", id_filter="volume-id", most=3))


@pytest.fixture
def tagged(db):
    ctx = make_ctx(db, operation="DescribeVolumes")
    store = []
    with db.session() as s:
        for n in range(1, 8):
            vid = ids.ec2_id(s, ctx.project_id, "vol", f"os-{n}")
            tag = [{"Key": "Name", "Value": f"v{n}"}, {"Key": "env", "Value": "a" if n <= 2 else "b"}]
            tags.set_tags(s, ctx.project_id, [vid], tag)
            store.append({"VolumeId": vid, "Size": n, "Tags": tag})
    return ctx, store


def test_tag_filters_narrow_the_fetch_to_the_tagged_ids(tagged):
    ctx, store = tagged
    fetched: list = []
    out = describe.run(ctx, {"Filters": [{"Name": "tag:env", "Values": ["a"]}]}, _narrowing_spec(fetched, store))
    assert fetched == [{"VolumeIds": sorted(v["VolumeId"] for v in store[:2])}]   # a GET each, no listing
    assert sorted(v["Size"] for v in out["Volumes"]) == [1, 2]
    # Filters AND: tag-key and a wildcard value narrow too; the other filters apply to what came back.
    fetched.clear()
    out = describe.run(ctx, {"Filters": [{"Name": "tag-key", "Values": ["Name"]},
                                         {"Name": "tag:Name", "Values": ["v5", "v?7"]},
                                         {"Name": "size", "Values": ["5"]}]}, _narrowing_spec(fetched, store))
    assert fetched == [{"VolumeIds": [store[4]["VolumeId"]]}] and [v["Size"] for v in out["Volumes"]] == [5]


def test_narrowing_finds_nothing_without_fetching_and_a_gone_candidate_is_no_error(tagged):
    ctx, store = tagged
    fetched: list = []
    out = describe.run(ctx, {"Filters": [{"Name": "tag:env", "Values": ["nowhere"]}]}, _narrowing_spec(fetched, store))
    assert out["Volumes"] == [] and fetched == []
    # A tagged volume OpenStack no longer has: not found by the fetch, simply absent from the answer.
    out = describe.run(ctx, {"Filters": [{"Name": "tag:env", "Values": ["a"]}]}, _narrowing_spec(fetched, store[1:]))
    assert [v["Size"] for v in out["Volumes"]] == [2]


def test_what_does_not_narrow_lists_the_project(tagged):
    ctx, store = tagged
    for filters in ([{"Name": "size", "Values": ["1"]}],                      # not the database's
                    [{"Name": "tag:env", "Values": ["b"]}],                   # 5 candidates > most=3
                    [{"Name": "volume-id", "Values": ["vol-*"]}]):            # a wildcard id
        fetched: list = []
        describe.run(ctx, {"Filters": filters}, _narrowing_spec(fetched, store))
        assert fetched == [{"VolumeIds": []}], filters
    fetched = []
    describe.run(ctx, {"Filters": [{"Name": "volume-id", "Values": [store[0]["VolumeId"]]}]},
                 _narrowing_spec(fetched, store))
    assert fetched == [{"VolumeIds": [store[0]["VolumeId"]]}]


def test_exact_values_leave_wildcard_filters_to_the_in_memory_step():
    filters = [{"Name": "image-id", "Values": ["ami-1", "ami-1"]}, {"Name": "image-id", "Values": ["ami-*"]},
               {"Name": "imageId", "Values": ["ami-2"]}, {"Name": "image-id", "Values": []},
               {"Name": "instance-type", "Values": ["t3.nano"]}]
    assert describe.exact_values(filters, "image-id", "imageId") == [["ami-1"], ["ami-2"]]
    assert describe.exact_values(filters, "key-name") == []
