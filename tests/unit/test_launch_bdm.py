"""RunInstances' BlockDeviceMappings -> Nova block_device_mapping_v2 (handlers/instances/_bdm.py), on a
fake Cinder: what is sent for plain and EBS-backed images, and what is refused before anything is made."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from openstack import exceptions as sdk_exc

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from handlers.instances._bdm import launch_mappings
from tests.unit.conftest import PROJECT, make_ctx

IMAGE = {"id": "g1", "size": 2**20, "min_disk": 0}
TYPES = ["gp2", "gp3", "io2", "standard"]


class FakeStorage:
    def __init__(self, snapshots: dict, volumes: dict | None = None) -> None:
        self._snapshots, self._volumes = snapshots, volumes or {}

    def types(self):
        return [SimpleNamespace(name=n, extra_specs={}) for n in TYPES]

    def get_snapshot(self, sid):
        if sid not in self._snapshots:
            raise sdk_exc.NotFoundException("no")
        return self._snapshots[sid]

    def get_volume(self, vid):
        if vid not in self._volumes:
            raise sdk_exc.NotFoundException("no")
        return self._volumes[vid]


def _ctx(db, snapshots=None, volumes=None):
    return make_ctx(db, os=SimpleNamespace(block_storage=FakeStorage(snapshots or {}, volumes)))


def _snap(status="available", size=2, volume_id="v1"):
    return SimpleNamespace(id="c1", status=status, size=size, volume_id=volume_id)


def test_plain_image_without_mappings_boots_locally(db):
    assert launch_mappings(_ctx(db), [], IMAGE) == (None, "/dev/sda1", False)


def test_plain_image_root_and_extra_volumes(db):
    bdm, root, from_volume = launch_mappings(_ctx(db), [
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 3, "VolumeType": "gp3"}},
        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp2", "DeleteOnTermination": False}},
        {"DeviceName": "/dev/sdg", "NoDevice": ""}], IMAGE)
    assert (root, from_volume) == ("/dev/sda1", True)
    assert bdm == [
        {"device_name": "/dev/sda1", "destination_type": "volume", "delete_on_termination": True,
         "volume_type": "gp3", "source_type": "image", "uuid": "g1", "volume_size": 3, "boot_index": 0},
        {"device_name": "/dev/sdf", "destination_type": "volume", "delete_on_termination": False,
         "volume_type": "gp2", "source_type": "blank", "volume_size": 1, "boot_index": -1}]


def test_extra_volume_keeps_the_local_root(db):
    bdm, _, from_volume = launch_mappings(_ctx(db), [{"DeviceName": "sdf", "Ebs": {"VolumeSize": 1}}], IMAGE)
    assert not from_volume
    assert bdm[0] == {"boot_index": 0, "uuid": "g1", "source_type": "image", "destination_type": "local",
                      "delete_on_termination": True}
    assert bdm[1]["device_name"] == "/dev/sdf" and bdm[1]["source_type"] == "blank"


def test_ebs_ami_is_booted_from_its_snapshots_with_overrides(db):
    image = {**IMAGE, "root_device_name": "/dev/xvda", "block_device_mapping": json.dumps([
        {"source_type": "snapshot", "destination_type": "volume", "snapshot_id": "c1", "volume_size": 2,
         "device_name": "/dev/xvda", "boot_index": 0, "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "volume", "device_name": "/dev/sdb", "volume_size": 1}])}
    ctx = _ctx(db, {"c1": _snap()})
    bdm, root, from_volume = launch_mappings(ctx, [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 4}},
                                                   {"DeviceName": "/dev/sdb", "NoDevice": ""}], image)
    assert (root, from_volume) == ("/dev/xvda", True)
    assert bdm == [{"device_name": "/dev/xvda", "destination_type": "volume", "delete_on_termination": True,
                    "source_type": "snapshot", "uuid": "c1", "volume_size": 4, "boot_index": 0}]
    with pytest.raises(EC2Error) as e:   # below the snapshot's size
        launch_mappings(ctx, [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 1}}], image)
    assert e.value.code == "InvalidParameterValue"
    with pytest.raises(EC2Error) as e:   # another project's snapshot: Cinder does not show it
        launch_mappings(_ctx(db), [], image)
    assert e.value.code == "UnsupportedOperation"


@pytest.mark.parametrize(("mapping", "code"), [
    ({"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}, "InvalidSnapshot.NotFound"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": "snap-x"}}, "InvalidSnapshotID.Malformed"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "sc1"}}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "gp2", "Iops": 100}},
     "InvalidParameterCombination"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "VolumeType": "io2"}}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {}}, "InvalidParameterValue"),
    ({"DeviceName": "/dev/sdf", "Ebs": {"DeleteOnTermination": True}}, "MissingParameter"),
    ({"DeviceName": "/dev/sda1", "NoDevice": ""}, "InvalidParameterValue"),
    ({"Ebs": {"VolumeSize": 1}}, "MissingParameter"),
])
def test_refused_before_anything_is_made(db, mapping, code):
    with pytest.raises(EC2Error) as e:
        launch_mappings(_ctx(db), [mapping], IMAGE)
    assert e.value.code == code


def test_snapshot_checks(db):
    with db.session() as s:
        snapshot_id = ids.ec2_id(s, PROJECT, "snap", "c1")
    mapping = {"DeviceName": "/dev/sdf", "Ebs": {"SnapshotId": snapshot_id}}
    bdm, _, _ = launch_mappings(_ctx(db, {"c1": _snap()}), [mapping], IMAGE)
    assert bdm[1] == {"device_name": "/dev/sdf", "destination_type": "volume", "delete_on_termination": True,
                      "source_type": "snapshot", "uuid": "c1", "volume_size": 2, "boot_index": -1}
    with pytest.raises(EC2Error) as e:
        launch_mappings(_ctx(db, {"c1": _snap(status="creating")}), [mapping], IMAGE)
    assert e.value.code == "IncorrectState"
    with pytest.raises(EC2Error) as e:
        launch_mappings(_ctx(db, {"c1": _snap()}), [{**mapping, "Ebs": {"SnapshotId": snapshot_id, "VolumeSize": 1}}],
                        IMAGE)
    assert e.value.code == "InvalidParameterValue" and snapshot_id in e.value.message
    # A type other than the snapshot's volume's own: Cinder would refuse it during the build.
    volumes = {"v1": SimpleNamespace(volume_type="__DEFAULT__")}
    with pytest.raises(EC2Error) as e:
        launch_mappings(_ctx(db, {"c1": _snap()}, volumes), [{**mapping, "Ebs": {"SnapshotId": snapshot_id,
                                                                                  "VolumeType": "gp2"}}], IMAGE)
    assert e.value.code == "InvalidParameterValue" and "BlockDeviceMappings.1.Ebs.VolumeType" in e.value.message
