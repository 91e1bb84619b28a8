"""Glance images as the caller sees them, and the ``ami-`` ids that name them: shared by every area
that names an image (DescribeImages and the rest, RunInstances, CreateTags on an ``ami-``).

AMI ids are global in AWS, so they live in one shared scope (``SCOPE``, project ``"*"`` of the id
layer), one per Glance image; visibility stays Glance's business: an ``ami-`` id resolves only to an
image the caller's own Glance listing (or GET) shows. Listings cost a constant number of calls (three
per chunk of ids, paged by 1,000).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from ec2api_runtime import parallel
from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked
from handlers import _bulk as bulk

SCOPE = ids.SHARED_SCOPE   # one ami- id per Glance image, the same for every project
KIND = "ami"
NOT_FOUND = "InvalidAMIID.NotFound"
GLANCE_PAGE = 1000
ID_CHUNK = 100           # image ids per Glance "id=in:" query


def list_images(ctx: Any, **query: str) -> list[dict]:
    """Glance images the caller may see matching ``query``, following Glance's pages of 1,000."""
    out: list[dict] = []
    path: str | None = "/images?" + urlencode({"limit": GLANCE_PAGE, **query})
    while path:
        body = bulk.get_json(ctx, "image", path)
        out.extend(body.get("images") or [])
        nxt = body.get("next")
        path = nxt[nxt.index("/images"):] if nxt and len(body.get("images") or []) else None
    return out


def visible_images(ctx: Any, glance_ids: Iterable[str] | None = None, owner: str | None = None) -> list[dict]:
    """What the caller sees: own, public, community and shared (pending or accepted) images.

    ``glance_ids`` / ``owner`` narrow the Glance query (the answer then follows the result size).
    """
    base: dict[str, str] = {} if owner is None else {"owner": owner}
    if glance_ids is None:
        queries = [base]
    else:
        wanted = sorted(set(glance_ids))
        # Glance's "in:" operator; chunks keep URLs short.
        queries = [{**base, "id": "in:" + ",".join(wanted[i:i + ID_CHUNK])}
                   for i in range(0, len(wanted), ID_CHUNK)]
    listed: dict[str, dict] = {}
    rejected: set[str] = set()
    bulk.prepare(ctx, "image")
    for query in queries:
        # Community images of other projects are listed only when asked for by visibility; shared
        # images the caller rejected are listed by member_status=all and must be taken out again.
        # The three listings are independent: fetched at the same time.
        everything, community, rejected_here = parallel.gather(
            partial(list_images, ctx, member_status="all", **query),
            partial(list_images, ctx, visibility="community", **query),
            partial(list_images, ctx, visibility="shared", member_status="rejected", **query))
        listed.update({i["id"]: i for i in everything + community})
        rejected.update(i["id"] for i in rejected_here if i.get("owner") != ctx.project_id)
    return [i for i in listed.values() if i["id"] not in rejected and i.get("status") != "deleted"]


def get_image(ctx: Any, glance_id: str) -> dict | None:
    resp = ctx.os.image.get(f"/images/{glance_id}")
    if resp.status_code == 404:
        return None
    return checked(resp).json()


def not_found(image_id: str) -> EC2Error:
    return EC2Error(NOT_FOUND, f"The image id '[{image_id}]' does not exist")


def resolve(ctx: Any, image_id: str) -> dict:
    """The Glance image (JSON dict) behind ``ami-...``, if the caller can see it; else NotFound."""
    ids.require_well_formed(KIND, [image_id])
    with ctx.session() as s:
        glance_id = ids.os_id(s, SCOPE, image_id)
    image = get_image(ctx, glance_id) if glance_id else None
    if image is None or image.get("status") in ("deleted", "pending_delete"):
        raise not_found(image_id)
    return image


def resolve_many(ctx: Any, image_ids: Iterable[str]) -> dict[str, dict]:
    """``{ami id: Glance image}`` for ids the caller can see; NotFound names the first unseen id.

    One id costs one Glance GET; more cost one bulk listing (three calls per chunk of ids).
    """
    wanted = list(dict.fromkeys(image_ids))
    if len(wanted) <= 1:
        return {i: resolve(ctx, i) for i in wanted}
    ids.require_well_formed(KIND, wanted)
    with ctx.session() as s:
        glance_of = ids.os_ids(s, SCOPE, wanted)
    seen = {i["id"]: i for i in visible_images(ctx, glance_of.values())} if glance_of else {}
    for image_id in wanted:
        image = seen.get(glance_of.get(image_id, ""))
        if image is None or image.get("status") in ("deleted", "pending_delete"):
            raise not_found(image_id)
    return {i: seen[glance_of[i]] for i in wanted}


def glance_id_of(ctx: Any, image_id: str) -> str:
    """The Glance id behind ``ami-...`` (for other handlers: RunInstances, ...); NotFound if unseen."""
    return resolve(ctx, image_id)["id"]


def image_ids(s: Any, glance_ids: Iterable[str]) -> dict[str, str]:
    """``{glance id: ami-...}`` in the shared scope (created when missing)."""
    return ids.ec2_ids(s, SCOPE, KIND, glance_ids)
