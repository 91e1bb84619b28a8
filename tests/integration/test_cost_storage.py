"""Cost follows the result for volumes and snapshots: a one-id Describe fetches that id, never the
project; a whole-project Describe makes the same number of calls for 1 volume as for many."""

from __future__ import annotations

import time

import pytest

from ec2api_runtime import openstack
from tests.integration._kit import NS, paths

pytestmark = pytest.mark.cloud
MANY = 30   # volumes (and snapshots) made for the N side of the comparison


def _zone(call) -> str:
    return call(Action="DescribeAvailabilityZones").findtext(".//e:zoneName", namespaces=NS)


def _wait(call, action, key, value, path, state):
    for _ in range(120):
        if call(Action=action, **{f"{key}.1": value}).findtext(path, namespaces=NS) == state:
            return
        time.sleep(0.5)
    raise AssertionError(f"{value} never reached {state}")


@pytest.fixture(scope="module")
def storage(call):
    """MANY volumes, the first with a snapshot; all deleted at the end."""
    zone = _zone(call)
    volumes = [call(Action="CreateVolume", AvailabilityZone=zone, Size="1").findtext("e:volumeId", namespaces=NS)
               for _ in range(MANY)]
    snapshot = None
    try:
        for v in volumes:
            _wait(call, "DescribeVolumes", "VolumeId", v, ".//e:volumeSet/e:item/e:status", "available")
        snapshot = call(Action="CreateSnapshot", VolumeId=volumes[0]).findtext("e:snapshotId", namespaces=NS)
        _wait(call, "DescribeSnapshots", "SnapshotId", snapshot, ".//e:snapshotSet/e:item/e:status", "completed")
        yield volumes, snapshot
    finally:
        if snapshot:
            call(Action="DeleteSnapshot", SnapshotId=snapshot)
            time.sleep(2)
        for v in volumes:
            for _ in range(30):
                try:
                    call(Action="DeleteVolume", VolumeId=v)
                    break
                except AssertionError:   # the snapshot is still being deleted
                    time.sleep(1)


def _count(call, **fields) -> list[str]:
    with openstack.HTTP.recording() as log:
        call(**fields)
    return paths(log)


def test_one_id_describes_fetch_that_id_only(call, storage):
    volumes, snapshot = storage
    for action, key, value, listing in (("DescribeVolumes", "VolumeId", volumes[0], "/volumes/detail"),
                                        ("DescribeVolumeStatus", "VolumeId", volumes[0], "/volumes/detail"),
                                        ("DescribeSnapshots", "SnapshotId", snapshot, "/snapshots/detail")):
        calls = _count(call, Action=action, **{f"{key}.1": value})
        assert not [c for c in calls if listing in c or c.endswith("/volumes") or c.endswith("/snapshots")], calls
        assert len(calls) == 1, (action, calls)   # one GET of that volume / snapshot (nothing is attached)
    calls = _count(call, Action="DescribeVolumeAttribute", VolumeId=volumes[0], Attribute="autoEnableIO")
    assert len(calls) == 1, calls


def test_whole_project_describes_are_constant(call, storage):
    volumes, _ = storage
    for action, name in (("DescribeVolumes", "volume-id"), ("DescribeVolumeStatus", "volume-status.status"),
                         ("DescribeSnapshots", "volume-id"), ("DescribeVolumesModifications", "volume-id")):
        value = "ok" if name == "volume-status.status" else volumes[0]
        at_many = _count(call, Action=action)
        filtered_to_one = _count(call, Action=action, **{"Filter.1.Name": name, "Filter.1.Value.1": value})
        # one listing, plus the attached servers of the project (by id when at most 20, else one listing)
        assert len(at_many) == len(filtered_to_one) <= 22, (action, at_many, filtered_to_one)
        assert sum("/volumes/detail" in c or "/snapshots/detail" in c for c in at_many) <= 1, at_many
