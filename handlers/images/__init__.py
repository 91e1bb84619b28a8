"""Images on Glance: DescribeImages, Describe/Modify/ResetImageAttribute, CreateImage, RegisterImage,
DeregisterImage, CopyImage, Enable/DisableImageDeprecation.

Rules (what an AWS user sees, and why):

* **Ids.** AMI ids are global in AWS: a shared or public image has the same ``ami-`` id for every
  account. So image ids live in one shared scope (``SCOPE``, project ``"*"`` of the id layer), one id
  per Glance image, whoever looks. Visibility stays Glance's business: an ``ami-`` id resolves only
  to an image the caller's own Glance listing (or GET) shows. Tags on an image are per project, as
  for every other resource (``ec2api_runtime.db.tags`` accepts ids of the shared scope).
* **Which images.** DescribeImages shows what Glance lists for the caller: their own images, public
  and community images, and images shared with them (Glance ``member_status=all``: *pending* as well
  as accepted memberships; not *rejected* ones). AWS has no acceptance step: a launch permission
  takes effect at once. ec2api acts as the caller and cannot accept on the consumer's behalf, so it
  does not hide pending shares: a member can GET and boot a shared image whatever its member status
  (Glance's member status only filters *listings*), and ec2api lists them explicitly.
* **Launch permissions.** ``Group=all`` is Glance visibility ``community`` (launchable and listable
  by every project, and settable by project members; ``public`` needs an admin). Removing it leaves
  ``shared`` (if accounts were granted) or ``private``. A ``UserId`` grant is a Glance member for that
  account's project (the image becomes ``shared``). Glance keeps members only on shared images, so
  ec2api also records the granted accounts with the image's id (item data): that record answers
  DescribeImageAttribute for a public image and ``ExecutableUsers=<other account>``. Grants made in
  Glance directly show in DescribeImageAttribute but not in ``ExecutableUsers=<other account>``.
  ResetImageAttribute makes the image private and removes its members.
* **State.** Glance ``active`` -> available; ``queued``/``saving``/``uploading``/``importing`` ->
  pending; ``killed`` -> failed; ``deactivated`` -> disabled; ``deleted``/``pending_delete`` ->
  deregistered.
* **Root device.** Every image is ``ebs``: every Nova server can be stopped and started with its
  disk kept, which is what AWS users rely on ``ebs`` for. Volume-backed images (Nova's snapshots of
  boot-from-volume servers, and RegisterImage from a snapshot) carry Glance's ``block_device_mapping``
  property; their mappings show the Cinder snapshots as ``snap-`` ids of the caller's project.
* **Deregistering** deletes the Glance image and every project's tags on it; the ``ami-`` id stays
  mapped (Glance ids are never reused), so instances launched from it still name it. For
  ``deregistered_visible_seconds`` (one hour by default) afterwards, DescribeImages by that id
  answers an empty list, as AWS does for a while (``ec2_ami state: absent`` relies on it); later,
  and for ids never seen, ``InvalidAMIID.NotFound``.
* **Tags on creation**: CreateImage takes ``image`` and ``snapshot`` specifications, as AWS does.
  Snapshot tags go on the Cinder snapshots Nova made for the image (a volume-backed instance's
  volumes, shown as ``snap-`` ids in the image's mappings). An image-backed instance's image holds
  its disk in Glance and has no snapshots, so there is nothing for them to tag.
* **Constants**: VirtualizationType ``hvm``; Hypervisor ``xen`` (the model allows only ``ovm``/``xen``
  for images); Architecture from Glance's ``architecture`` property (default x86_64); ImageLocation
  ``<owner account>/<name>``, as AWS shows it for EBS-backed images.
* **Copies** are synchronous (download from Glance, upload to Glance: the copy is ``available`` when
  CopyImage answers); volume-backed images are copied as metadata (they hold no data).

Every Describe lists Glance images in a constant number of calls (two listings, paged by 1,000).

* **Deprecation** (Enable/DisableImageDeprecation) is a Glance property, shown as ``DeprecationTime``;
  other owners' images past it are listed only with ``IncludeDeprecated`` (docs/settings.md).

Modules: ``describe`` (DescribeImages), ``attributes`` (Describe/Modify/ResetImageAttribute),
``register`` (CreateImage, RegisterImage, CopyImage, DeregisterImage), ``deprecation``; ``_view`` maps a Glance image
to an EC2 ``Image`` (pure), ``_common`` holds what several of them share; ``handlers._glance``
resolves ``ami-`` ids for every area.
"""
