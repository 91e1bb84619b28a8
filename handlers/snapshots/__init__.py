"""Snapshots on Cinder: CreateSnapshot, CreateSnapshots, CopySnapshot, DeleteSnapshot, DescribeSnapshots,
Describe/Modify/ResetSnapshotAttribute.

Rules (what an AWS user sees, and why):

* **State** from Cinder's status (``handlers._storage.snapshot_state``): creating -> pending,
  available -> completed, error -> error; ``Progress`` is Cinder's.
* **Owners.** A Cinder snapshot belongs to one project and cannot be shared with another, so
  DescribeSnapshots shows the caller's own snapshots only: ``OwnerIds`` of ``self`` or the caller's
  account id (or none) list them, any other owner lists nothing; ``RestorableByUserIds`` likewise.
  ModifySnapshotAttribute refuses to add a ``createVolumePermission`` (a clear error, not a
  permission that does nothing); DescribeSnapshotAttribute answers the truthful empty list.
* **Copies** stay within this cloud (``SourceRegion`` must be this region): a volume is made from
  the source snapshot, then a snapshot of that volume. Cinder keeps a snapshot inside its volume,
  so that volume (the copy's *holder*) stays, hidden from DescribeVolumes, until the copy is
  deleted; the copy shows ``VolumeId`` ``vol-ffffffff``, as AWS shows copies.
* **In use.** A snapshot named by an image's block device mapping (an EBS-backed AMI of the
  caller's) is not deleted: ``InvalidSnapshot.InUse``.

Modules: ``describe`` (DescribeSnapshots, DescribeSnapshotAttribute), ``lifecycle`` (Create,
CreateSnapshots, Copy, Delete, Modify/ResetSnapshotAttribute); ``_view`` is the EC2 view.
"""
