"""Volumes on Cinder: Create/Delete/Attach/Detach/ModifyVolume, DescribeVolumes, DescribeVolumeStatus,
DescribeVolumesModifications, Describe/ModifyVolumeAttribute, EnableVolumeIO.

Modules: ``describe`` (DescribeVolumes), ``lifecycle`` (CreateVolume, DeleteVolume), ``attach``
(AttachVolume, DetachVolume), ``status`` (DescribeVolumeStatus, Describe/ModifyVolumeAttribute,
EnableVolumeIO), ``modify`` (ModifyVolume, DescribeVolumesModifications); ``_view`` is the EC2 view
of a Cinder volume. Volume types and states: ``handlers._storage``.
"""
