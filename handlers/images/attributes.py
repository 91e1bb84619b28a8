"""DescribeImageAttribute, ModifyImageAttribute, ResetImageAttribute: launch permissions and the
description (see the package's docstring for how launch permissions map to Glance)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from ec2api_runtime.db import accounts, ids
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.honours import ANY
from ec2api_runtime.openstack import checked
from handlers._glance import NOT_FOUND, SCOPE, resolve
from handlers.images._common import launch_records, present, require_owner
from handlers.images._view import image_dict, is_public

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        DescribeImageAttributeRequest,
        ImageAttribute,
        ModifyImageAttributeRequest,
        ResetImageAttributeRequest,
    )


def _members(ctx: Any, glance_id: str) -> list[dict]:
    resp = ctx.os.image.get(f"/images/{glance_id}/members")
    if resp.status_code in (403, 404):     # Glance: only shared images have members
        return []
    return checked(resp).json().get("members") or []


def _accounts_of(ctx: Any, projects: Iterable[str]) -> list[str]:
    with ctx.session() as s:
        return sorted(accounts.account_id(s, p) for p in projects)


def _launch_permissions(ctx: Any, image: dict, image_id: str) -> list[dict]:
    out: list[dict] = []
    if is_public(image):
        out.append({"Group": "all"})
    if image.get("visibility") == "shared":
        granted = _accounts_of(ctx, [m["member_id"] for m in _members(ctx, image["id"])
                                     if m.get("status") != "rejected"])
    else:
        granted = sorted(launch_records(ctx, [image_id]).get(image_id, set()))
    out.extend({"UserId": a} for a in granted)
    return out


# ModifyImageAttribute's Attribute is a free string in the model; AWS matches it without regard to
# case (amazon.aws sends ``Description`` and ``LaunchPermission``).
_MODIFIABLE = {a.lower(): a for a in ("description", "launchPermission", "productCodes", "imdsSupport")}


@handler("DescribeImageAttribute", not_found=NOT_FOUND, honours=("ImageId", "Attribute"))
def describe_image_attribute(ctx: RequestContext, params: DescribeImageAttributeRequest) -> ImageAttribute:
    """One attribute of an image; only its owner may read its launch permissions."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    sent: str = params["Attribute"]
    attribute = sent[:1].lower() + sent[1:]   # Description = description (corrections.json)
    out: dict[str, Any] = {"ImageId": image_id}
    if attribute == "description":
        out["Description"] = {"Value": image["description"]} if image.get("description") else {}
    elif attribute == "launchPermission":
        require_owner(ctx, image, image_id)
        out["LaunchPermissions"] = _launch_permissions(ctx, image, image_id)
    elif attribute in ("kernel", "ramdisk", "blockDeviceMapping"):
        item = present(ctx, [image])[0]
        if attribute == "blockDeviceMapping":
            out["BlockDeviceMappings"] = item["BlockDeviceMappings"]
        else:
            key = "KernelId" if attribute == "kernel" else "RamdiskId"
            out[key] = {"Value": item[key]} if item.get(key) else {}
    elif attribute == "productCodes":
        out["ProductCodes"] = []
    elif attribute == "bootMode":
        boot = image_dict(image, image_id=image_id, owner_account="", image_tags=[], snapshot_ids={},
                          extra_ids={}, region=ctx.region).get("BootMode")
        out["BootMode"] = {"Value": boot} if boot else {}
    elif attribute == "deregistrationProtection":
        out["DeregistrationProtection"] = {"Value": "disabled"}
    else:   # sriovNetSupport, tpmSupport, uefiData, lastLaunchedTime, imdsSupport: not set here
        key = attribute[0].upper() + attribute[1:]
        out[key] = {}
    # Its key is the attribute asked for, so the dict is built untyped; the strict serializer of
    # the tests checks the keys.
    return cast("ImageAttribute", out)


def _user_projects(ctx: Any, user_ids: Iterable[str]) -> dict[str, str]:
    """``{account id: project}`` for launch permission grants; AWS's error for unknown accounts."""
    out: dict[str, str] = {}
    with ctx.session() as s:
        for u in user_ids:
            project = accounts.project_id(s, u) if isinstance(u, str) else None
            if project is None:
                raise EC2Error("InvalidAMIAttributeItemValue",
                               f"Invalid attribute item value \"{u}\" for userId item type.")
            out[u] = project
    return out


def _permission_changes(params: ModifyImageAttributeRequest) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(add, remove) launch permissions from either spelling ModifyImageAttribute accepts."""
    lp = params.get("LaunchPermission") or {}
    # Plain mappings: a legacy UserGroups value may be any string (refused below unless "all").
    add: list[Mapping[str, Any]] = list(lp.get("Add") or [])
    remove: list[Mapping[str, Any]] = list(lp.get("Remove") or [])
    legacy: list[Mapping[str, Any]] = [{"UserId": u} for u in params.get("UserIds") or []]
    legacy += [{"Group": g} for g in params.get("UserGroups") or []]
    if legacy:
        op = params.get("OperationType")
        if op not in ("add", "remove"):
            raise missing_parameter("OperationType")
        (add if op == "add" else remove).extend(legacy)
    for p in add + remove:
        if not p.get("UserId") and p.get("Group") != "all":
            raise EC2Error("InvalidParameterValue", "A launch permission needs a UserId or Group 'all'.")
    return add, remove


def _set_launch_permissions(ctx: Any, image: dict, image_id: str, public: bool, granted: dict[str, str]) -> None:
    """Bring Glance to ``public`` + members ``granted`` ({account: project}); record the grants.

    Glance calls come first; the record is written only once they succeeded.
    """
    glance_id = image["id"]
    current = image.get("visibility")
    if public:
        target = "public" if current == "public" else "community"
    else:
        target = "shared" if granted else "private"
    if target == "shared" or current == "shared":
        if current != "shared":
            _patch(ctx, glance_id, [{"op": "replace", "path": "/visibility", "value": "shared"}])
        have = {m["member_id"] for m in _members(ctx, glance_id)}
        # A public image keeps its Glance members (ignored while public): they are the grants again
        # once it stops being public.
        want = set(granted.values()) if target in ("shared", "community", "public") else set()
        for project in sorted(want - have):
            checked(ctx.os.image.post(f"/images/{glance_id}/members", json={"member": project}))
        for project in sorted(have - want):
            resp = ctx.os.image.delete(f"/images/{glance_id}/members/{project}")
            if resp.status_code != 404:
                checked(resp)
        current = "shared"
    if target != current:
        _patch(ctx, glance_id, [{"op": "replace", "path": "/visibility", "value": target}])
    with ctx.session() as s:
        ids.set_data(s, SCOPE, image_id, {"launch_accounts": sorted(granted)} if granted else {})


def _patch(ctx: Any, glance_id: str, ops: list[dict]) -> dict:
    resp = ctx.os.image.patch(f"/images/{glance_id}", json=ops,
                              headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    return checked(resp).json()


@handler("ModifyImageAttribute", not_found=NOT_FOUND,
         honours=("ImageId", "Attribute", "Description", "Value", "OperationType", "UserIds", "UserGroups"),
         partly={"LaunchPermission": {"Add": {"UserId": ANY, "Group": ANY},
                                      "Remove": {"UserId": ANY, "Group": ANY}}})
def modify_image_attribute(ctx: RequestContext, params: ModifyImageAttributeRequest) -> None:
    """Launch permissions (accounts, ``all``) and the description; only the owner may."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    require_owner(ctx, image, image_id)
    attribute = params.get("Attribute")
    if attribute is not None:
        if attribute.lower() not in _MODIFIABLE:
            raise EC2Error("InvalidParameterValue", f"Value ({attribute}) for parameter attribute is invalid.")
        attribute = _MODIFIABLE[attribute.lower()]
    # ProductCodes, OrganizationArns, ImdsSupport as members are refused by the runtime (not
    # declared); these are the same facts named through Attribute.
    if attribute == "productCodes":
        raise EC2Error("UnsupportedOperation", "Product codes are not supported.")
    if attribute == "imdsSupport":
        raise EC2Error("UnsupportedOperation", "imdsSupport cannot be changed here.")
    description = (params.get("Description") or {}).get("Value")
    if attribute == "description" and description is None:
        description = params.get("Value")
    add, remove = _permission_changes(params)
    if description is None and not add and not remove:
        raise EC2Error("MissingParameter", "No attribute to modify was given.")
    if add or remove:
        projects = _user_projects(ctx, [p["UserId"] for p in add + remove if p.get("UserId")])
        projects = {a: p for a, p in projects.items() if p != ctx.project_id}   # owners need no grant
        granted = _current_grants(ctx, image, image_id)
        public = is_public(image)
        for p in remove:
            if p.get("Group") == "all":
                public = False
            elif p["UserId"] in projects:
                granted.pop(p["UserId"], None)
        for p in add:
            if p.get("Group") == "all":
                public = True
            elif p["UserId"] in projects:
                granted[p["UserId"]] = projects[p["UserId"]]
        _set_launch_permissions(ctx, image, image_id, public, granted)
    if description is not None:
        op = "replace" if "description" in image else "add"
        _patch(ctx, image["id"], [{"op": op, "path": "/description", "value": description}])


def _current_grants(ctx: Any, image: dict, image_id: str) -> dict[str, str]:
    """``{account: project}`` the image is granted to now (Glance members, or ec2api's record)."""
    if image.get("visibility") == "shared":
        projects = [m["member_id"] for m in _members(ctx, image["id"])]
        with ctx.session() as s:
            return {accounts.account_id(s, p): p for p in projects}
    accts = sorted(launch_records(ctx, [image_id]).get(image_id, set()))
    with ctx.session() as s:
        pairs = {a: accounts.project_id(s, a) for a in accts}
    return {a: p for a, p in pairs.items() if p}


# Attribute: launchPermission is the only value the model allows.
@handler("ResetImageAttribute", not_found=NOT_FOUND, honours=("ImageId", "Attribute"))
def reset_image_attribute(ctx: RequestContext, params: ResetImageAttributeRequest) -> None:
    """launchPermission: private, no members."""
    image_id = params["ImageId"]
    image = resolve(ctx, image_id)
    require_owner(ctx, image, image_id)
    _set_launch_permissions(ctx, image, image_id, False, {})
