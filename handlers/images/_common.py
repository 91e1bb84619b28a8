"""What several image operations need: EC2 views of Glance images with their ids, tags and owners,
ec2api's launch-permission records, and the owner check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ec2api_runtime.db import accounts, ids, tags
from ec2api_runtime.errors import EC2Error
from handlers._glance import SCOPE, image_ids
from handlers._storage import ec2_type_name
from handlers.images._view import SOURCE_PROPERTY, glance_bdms, image_dict


def require_owner(ctx: Any, image: dict, image_id: str) -> None:
    if image.get("owner") != ctx.project_id:
        raise EC2Error("AuthFailure", f"Not authorized for image:{image_id}")


def present(ctx: Any, images: list[dict]) -> list[dict]:
    """EC2 Images for Glance images: one transaction for every id, tag and account they need."""
    snapshots = sorted({b["snapshot_id"] for i in images for b in glance_bdms(i) if b.get("snapshot_id")})
    instances = sorted({i["instance_uuid"] for i in images
                        if i.get("instance_uuid") and i.get("owner") == ctx.project_id})
    related = {i[p] for i in images for p in ("kernel_id", "ramdisk_id", SOURCE_PROPERTY) if i.get(p)}
    with ctx.session() as s:
        ami = image_ids(s, [i["id"] for i in images] + sorted(related))
        snap = ids.ec2_ids(s, ctx.project_id, "snap", snapshots) if snapshots else {}
        inst = ids.ec2_ids(s, ctx.project_id, "i", instances) if instances else {}
        tags_of = tags.tags_for(s, ctx.project_id, [ami[i["id"]] for i in images])
        owners = {o: accounts.account_id(s, o) for o in sorted({i.get("owner") or "" for i in images})}
    extra = {**ami, **inst}
    return [image_dict(i, image_id=ami[i["id"]], owner_account=owners[i.get("owner") or ""],
                       image_tags=tags_of[ami[i["id"]]], snapshot_ids=snap, extra_ids=extra,
                       region=ctx.region, volume_type=lambda t: ec2_type_name(ctx.config, t))
            for i in images]


def launch_records(ctx: Any, image_ids_: Iterable[str]) -> dict[str, set[str]]:
    with ctx.session() as s:
        data = ids.get_data_many(s, SCOPE, image_ids_)
    return {k: set(v.get("launch_accounts") or []) for k, v in data.items()}
