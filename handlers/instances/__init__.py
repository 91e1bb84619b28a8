"""Instances on Nova servers: launch, describe, stop, start, reboot, terminate, attributes, console.

Ids: an instance's ``i-`` id maps to its Nova server; a reservation's ``r-`` id to the Nova
reservation id of the create call that launched it (one RunInstances = one Nova create with
min/max count = one reservation). Facts Nova does not keep (client token, launch index,
DisableApiTermination, InstanceInitiatedShutdownBehavior, user data, and the last view of a
terminated instance) live in ec2api's database beside the id.

Default network rule: without a SubnetId (and without NetworkInterfaces naming one), an instance is
attached to the project's default VPC network (``ec2api_runtime.networks``).

Terminated instances stay visible: TerminateInstances keeps the instance's last view, and
DescribeInstances shows it as ``terminated`` for ``terminated_visible_seconds`` (one hour by
default), as AWS does, so ``instance_terminated`` waiters finish.

Modules: ``launch`` (RunInstances), ``describe`` (DescribeInstances, DescribeInstanceStatus),
``state`` (Stop/Start/Reboot/TerminateInstances), ``attributes`` (instance attributes and the
console), ``settings`` (metadata options, monitoring, maintenance options: stored, docs/settings.md);
``_common`` joins servers with what Neutron, Cinder and the database know of them.
"""
