"""A Nova compute driver of the test cloud: the fake driver, with snapshots that hold data.

Nova's fake driver answers ``snapshot()`` without uploading anything, so the Glance image
of CreateImage stays ``queued`` for ever; a real hypervisor uploads the instance's root disk.
This driver does what the libvirt driver does: it moves the task through
``image_pending_upload`` and ``image_uploading`` and uploads the root disk through Nova's
image API with the libvirt driver's metadata, so the image becomes ``active``.  A fake
instance has no disk of its own: its root disk is the image it booted from (its bytes
downloaded from Glance), or, when that image is gone, a small empty disk.

Loaded as ``compute_driver = nova_fake_snapshots.FakeSnapshotDriver`` by nova-compute run
through ``nova_compute.py`` (beside this file), which puts this directory on ``nova.virt``'s
path: Nova imports compute drivers from ``nova.virt`` only.
"""

from __future__ import annotations

import os
import tempfile

import nova.conf
from nova import exception
from nova.compute import task_states
from nova.compute import utils as compute_utils
from nova.image import glance
from nova.virt import fake
from oslo_log import log as logging

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)

STAND_IN_DISK = 1024 * 1024  # the root disk of an instance whose image was deleted


class FakeSnapshotDriver(fake.FakeDriverWithoutFakeNodes):
    """FakeDriverWithoutFakeNodes whose snapshot() uploads the root disk to Glance."""

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._image_api = glance.API()

    def _root_disk(self, context, instance, path: str) -> str:
        """Write the fake instance's root disk to path; return its disk format."""
        if instance.image_ref:
            try:
                self._image_api.download(context, instance.image_ref, dest_path=path)
                meta = instance.image_meta
                return meta.disk_format if meta.obj_attr_is_set("disk_format") else "raw"
            except exception.ImageNotFound:
                LOG.info("image %s is gone: snapshotting an empty disk", instance.image_ref,
                         instance=instance)
        with open(path, "wb") as f:
            f.truncate(STAND_IN_DISK)
        return "raw"

    def snapshot(self, context, instance, image_id, update_task_state):
        if instance.uuid not in self.instances:
            raise exception.InstanceNotRunning(instance_id=instance.uuid)
        snapshot = self._image_api.get(context, image_id)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        tmpdir = os.path.join(CONF.instances_path, "snapshots")
        os.makedirs(tmpdir, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tmpdir) as tmp:
            path = os.path.join(tmp, "disk")
            disk_format = self._root_disk(context, instance, path)
            # The libvirt driver's snapshot metadata (LibvirtDriver._create_snapshot_metadata).
            meta = instance.image_meta
            properties = {"image_location": "snapshot", "image_state": "available",
                          "owner_id": instance.project_id}
            if instance.kernel_id:
                properties["kernel_id"] = instance.kernel_id
            if instance.ramdisk_id:
                properties["ramdisk_id"] = instance.ramdisk_id
            if instance.os_type:
                properties["os_type"] = instance.os_type
            metadata = {"status": "active", "name": snapshot["name"], "properties": properties,
                        "disk_format": disk_format,
                        "container_format": meta.container_format
                        if meta.obj_attr_is_set("container_format") else "bare"}
            update_task_state(task_state=task_states.IMAGE_UPLOADING,
                              expected_state=task_states.IMAGE_PENDING_UPLOAD)
            with open(path, "rb") as image_file, compute_utils.disk_ops_semaphore:
                self._image_api.update(context, image_id, metadata, image_file)
        LOG.info("Snapshot image upload complete", instance=instance)
