"""The Describe pipeline (ec2api_runtime.describe.run) on a spec with a recording fetch."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ec2api_runtime import describe
from ec2api_runtime.errors import EC2Error

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
