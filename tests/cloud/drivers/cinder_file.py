"""A Cinder volume driver of the test cloud: volumes and snapshots as sparse files.

Loaded by cinder-volume through ``volume_driver = cinder_file.FileVolumeDriver`` with this
directory on its PYTHONPATH (tests/cloud/cloud.py does both).  The machines the test cloud
runs on have no device-mapper (so no LVM) and no NFS; a plain file per volume is what every
data path here needs: image -> volume writes the image's bytes into the file, volume -> image
uploads them, snapshot -> volume copies.  Nova attaches through a ``local`` connection (the
file's path), which Nova's fake compute driver records without opening it.

Only raw images are written or uploaded as they are: there is no qemu-img on these machines
to convert other formats, and writing qcow2 bytes into a raw disk would be a lie.
"""

from __future__ import annotations

import errno
import os

from cinder import exception, objects
from cinder.common import constants
from cinder.volume import configuration, driver, volume_utils
from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

file_opts = [
    cfg.StrOpt("file_volumes_dir", default="$state_path/file-volumes",
               help="Directory holding one sparse file per volume and per snapshot."),
]
cfg.CONF.register_opts(file_opts, group=configuration.SHARED_CONF_GROUP)

GiB = 1024 ** 3
CHUNK = 1024 * 1024
RAW_FORMATS = ("raw", "ami")  # an AMI disk is a raw disk


def _write_sparse(out, chunk: bytes) -> None:
    """Write a chunk, leaving a hole where it is all zeros (images are mostly empty here)."""
    if chunk.count(0) == len(chunk):
        out.seek(len(chunk), os.SEEK_CUR)
    else:
        out.write(chunk)


def _copy_sparse(src: str, dst: str, size: int) -> None:
    """Copy src's data extents into a new file dst of `size` bytes (at least src's size)."""
    with open(src, "rb") as s, open(dst, "wb") as d:
        fd = s.fileno()
        end = os.fstat(fd).st_size
        pos = 0
        while pos < end:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:  # only a hole is left
                    break
                raise
            hole = os.lseek(fd, data, os.SEEK_HOLE)
            off = data
            while off < hole:
                n = os.copy_file_range(fd, d.fileno(), min(hole - off, 64 * CHUNK), off, off)
                if n == 0:
                    break
                off += n
            pos = hole
        d.truncate(max(size, end))


class FileVolumeDriver(driver.VolumeDriver):
    """Volumes and snapshots as sparse files in ``file_volumes_dir``."""

    VERSION = "1.0.0"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.configuration.append_config_values(file_opts)
        self.backend_name = self.configuration.safe_get("volume_backend_name") or "file"

    # -- paths ------------------------------------------------------------------------------

    @property
    def _dir(self) -> str:
        return self.configuration.file_volumes_dir

    def local_path(self, volume) -> str:
        return os.path.join(self._dir, volume["name"])

    def _snapshot_path(self, snapshot) -> str:
        return os.path.join(self._dir, snapshot["name"])

    # -- set-up and stats -------------------------------------------------------------------

    def do_setup(self, context):
        os.makedirs(self._dir, exist_ok=True)

    def check_for_setup_error(self):
        if not os.access(self._dir, os.W_OK):
            raise exception.VolumeBackendAPIException(data=f"{self._dir} is not writable")

    def _update_volume_stats(self):
        # Sparse files cost only what is written: capacity is not what limits a test cloud.
        self._stats = {
            "volume_backend_name": self.backend_name,
            "vendor_name": "ec2api test cloud",
            "driver_version": self.VERSION,
            "storage_protocol": constants.FILE,
            "total_capacity_gb": "infinite",
            "free_capacity_gb": "infinite",
            "reserved_percentage": 0,
            "thin_provisioning_support": True,
            "thick_provisioning_support": False,
            "multiattach": True,
            "online_extend_support": True,
            "sparse_copy_volume": True,
        }

    # -- volumes and snapshots --------------------------------------------------------------

    def create_volume(self, volume):
        with open(self.local_path(volume), "wb") as f:
            f.truncate(volume.size * GiB)

    def delete_volume(self, volume):
        try:
            os.unlink(self.local_path(volume))
        except FileNotFoundError:
            pass

    def extend_volume(self, volume, new_size):
        os.truncate(self.local_path(volume), new_size * GiB)

    def create_snapshot(self, snapshot):
        _copy_sparse(self.local_path(snapshot.volume), self._snapshot_path(snapshot), 0)

    def delete_snapshot(self, snapshot):
        try:
            os.unlink(self._snapshot_path(snapshot))
        except FileNotFoundError:
            pass

    def create_volume_from_snapshot(self, volume, snapshot):
        _copy_sparse(self._snapshot_path(snapshot), self.local_path(volume), volume.size * GiB)

    def create_cloned_volume(self, volume, src_vref):
        _copy_sparse(self.local_path(src_vref), self.local_path(volume), volume.size * GiB)

    def revert_to_snapshot(self, context, volume, snapshot):
        _copy_sparse(self._snapshot_path(snapshot), self.local_path(volume), volume.size * GiB)

    def retype(self, context, volume, new_type, diff, host):
        # Every type on this backend is the same kind of file: nothing to move.
        return True, None

    # -- images -----------------------------------------------------------------------------

    def _write_image(self, context, volume, image_service, image_id, image_meta=None):
        meta = image_meta or image_service.show(context, image_id)
        fmt = meta.get("disk_format")
        if fmt not in RAW_FORMATS:
            raise exception.ImageUnacceptable(
                image_id=image_id, reason=f"disk format {fmt!r}: this backend writes raw images only")
        path = self.local_path(volume)
        limit = volume.size * GiB
        written = 0
        with open(path, "wb") as out:
            for chunk in image_service.download(context, image_id):
                written += len(chunk)
                if written > limit:
                    raise exception.ImageTooBig(image_id=image_id,
                                                reason=f"more than the volume's {volume.size} GiB")
                _write_sparse(out, chunk)
            out.truncate(limit)
        LOG.info("wrote %d bytes of image %s into volume %s", written, image_id, volume.id)

    def clone_image(self, context, volume, image_location, image_meta, image_service):
        # Cinder's generic path downloads to a temporary file and inspects it with qemu-img,
        # which these machines lack; writing the bytes here is the same result for raw images.
        self._write_image(context, volume, image_service, image_meta["id"], image_meta)
        return None, True

    def copy_image_to_volume(self, context, volume, image_service, image_id, disable_sparse=False):
        self._write_image(context, volume, image_service, image_id)

    def copy_image_to_encrypted_volume(self, context, volume, image_service, image_id,
                                       disable_sparse=False):
        raise NotImplementedError("the test cloud has no volume encryption")

    def copy_volume_to_image(self, context, volume, image_service, image_meta):
        if image_meta.get("disk_format") not in RAW_FORMATS or \
                image_meta.get("container_format") == "compressed":
            raise exception.ImageUnacceptable(
                image_id=image_meta["id"],
                reason=f"disk format {image_meta.get('disk_format')!r}: this backend uploads raw only")
        # Cinder's own upload path (raw to raw: the file as it is, no conversion).
        volume_utils.upload_volume(context, image_service, dict(image_meta, disk_format="raw"),
                                   self.local_path(volume), volume, run_as_root=False)

    # -- attachments ------------------------------------------------------------------------

    def ensure_export(self, context, volume):
        pass

    def create_export(self, context, volume, connector):
        pass

    def remove_export(self, context, volume):
        pass

    def initialize_connection(self, volume, connector, **kwargs):
        # Some of Cinder's paths still pass a dict rather than a Volume object.
        if isinstance(volume, objects.Volume):
            meta = volume.admin_metadata
        else:
            meta = {m["key"]: m["value"] for m in volume.get("volume_admin_metadata", [])}
        mode = meta.get("attached_mode") or ("ro" if meta.get("readonly") == "True" else "rw")
        return {"driver_volume_type": "local",
                "data": {"device_path": self.local_path(volume), "access_mode": mode}}

    def terminate_connection(self, volume, connector, **kwargs):
        pass
