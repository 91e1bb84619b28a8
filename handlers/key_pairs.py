"""Key pairs on Nova keypairs: CreateKeyPair, ImportKeyPair, DeleteKeyPair, DescribeKeyPairs.

Nova keeps the public key; ec2api keeps the EC2 id (``key-...``, mapped to the keypair's name),
for keys it generated the fingerprint AWS reports for them (it derives from the private key,
which nobody keeps), and every key's CreateTime: Nova shows ``created_at`` only on a GET of one
keypair, never in its listing, so ec2api records the time when it creates a key, and reads it once
from Nova for a key made elsewhere (one GET per such key, the first time ec2api lists it).
DescribeKeyPairs by name or id GETs those keys (at the same time), never the project's listing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from openstack import exceptions as sdk_exc

from ec2api_runtime import describe, parallel
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error, missing_parameter
from ec2api_runtime.tagging import tags_from_specs
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers._keys import NewKey, fingerprint_public, key_type_of, parse_public_key

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateKeyPairRequest,
        DeleteKeyPairRequest,
        DeleteKeyPairResult,
        DescribeKeyPairsRequest,
        DescribeKeyPairsResult,
        ImportKeyPairRequest,
        ImportKeyPairResult,
        KeyPair,
        Tag,
    )

KIND = "key"
RESOURCE_TYPE = "key-pair"


def _check_name(name: str) -> None:
    if not name or len(name) > 255 or not name.isprintable():
        raise EC2Error("InvalidParameterValue", f"Value ({name}) for parameter KeyName is invalid.")


def _exists(ctx: Any, name: str) -> bool:
    return ctx.os.compute.find_keypair(name, ignore_missing=True) is not None


def _store(ctx: Any, name: str, public_key: str, fingerprint: str,
           params: CreateKeyPairRequest | ImportKeyPairRequest) -> tuple[str, list[Tag]]:
    """Create the Nova keypair and its EC2 id and tags; nothing is left behind on failure."""
    new_tags = tags_from_specs(params.get("TagSpecifications"), RESOURCE_TYPE)
    if _exists(ctx, name):
        raise EC2Error("InvalidKeyPair.Duplicate", f"The keypair '{name}' already exists.")
    ctx.os.compute.create_keypair(name=name, public_key=public_key)
    try:
        with ctx.session() as s:
            key_id = ids.ec2_id(s, ctx.project_id, KIND, name)
            ids.set_data(s, ctx.project_id, key_id, {"fingerprint": fingerprint,
                                                     "create_time": datetime.now(UTC).isoformat()})
            if new_tags:
                tags.set_tags(s, ctx.project_id, [key_id], new_tags)
    except BaseException:
        ctx.os.compute.delete_keypair(name, ignore_missing=True)
        raise
    return key_id, new_tags


@handler("CreateKeyPair", honours=("KeyName", "KeyType", "KeyFormat", "TagSpecifications"))
def create_key_pair(ctx: RequestContext, params: CreateKeyPairRequest) -> KeyPair:
    """Generate a key pair (RSA 2048 or ED25519; PEM or PPK); Nova keeps its public half."""
    name = params["KeyName"]
    _check_name(name)
    key_type = params.get("KeyType", "rsa")
    key_format = params.get("KeyFormat", "pem")
    key = NewKey(key_type, key_format, name)
    key_id, new_tags = _store(ctx, name, key.public_openssh, key.fingerprint, params)
    result: KeyPair = {"KeyName": name, "KeyFingerprint": key.fingerprint, "KeyMaterial": key.material,
              "KeyPairId": key_id}
    if new_tags:
        result["Tags"] = new_tags
    return result


@handler("ImportKeyPair", honours=("KeyName", "PublicKeyMaterial", "TagSpecifications"))
def import_key_pair(ctx: RequestContext, params: ImportKeyPairRequest) -> ImportKeyPairResult:
    """Import a public key (OpenSSH, PEM or DER; RSA or ED25519)."""
    name = params["KeyName"]
    _check_name(name)
    if not params["PublicKeyMaterial"]:
        # What AWS answers for an empty key (the retired ec2-api's tests, run against AWS, check it).
        raise missing_parameter("PublicKeyMaterial")
    public_key = parse_public_key(params["PublicKeyMaterial"])
    fingerprint = fingerprint_public(public_key)
    key_id, new_tags = _store(ctx, name, public_key, fingerprint, params)
    result: ImportKeyPairResult = {"KeyName": name, "KeyFingerprint": fingerprint, "KeyPairId": key_id}
    if new_tags:
        result["Tags"] = new_tags
    return result


@handler("DeleteKeyPair", honours=("KeyName", "KeyPairId"))
def delete_key_pair(ctx: RequestContext, params: DeleteKeyPairRequest) -> DeleteKeyPairResult:
    """Delete by name or id; like AWS, deleting a key that does not exist succeeds."""
    name = params.get("KeyName")
    key_id = params.get("KeyPairId")
    if key_id:
        ids.require_well_formed(KIND, [key_id])
        with ctx.session() as s:
            found = ids.os_id(s, ctx.project_id, key_id)
        if found is None:
            raise EC2Error("InvalidKeyPair.NotFound", f"The key pair '{key_id}' does not exist")
        name = found
    elif not name:
        raise EC2Error("MissingParameter", "The request must contain the parameter KeyName or KeyPairId")
    ctx.os.compute.delete_keypair(name, ignore_missing=True)
    with ctx.session() as s:
        known = ids.ec2_ids(s, ctx.project_id, KIND, [name]) if key_id is None else {name: key_id}
        ids.forget(s, ctx.project_id, list(known.values()))
        return {"Return": True, "KeyPairId": known[name]}   # ec2_ids makes the id it lacks


def _key_pair_not_found(missing: list[str]) -> EC2Error:
    return EC2Error("InvalidKeyPair.NotFound", f"The key pair '{missing[0]}' does not exist")


def _keypair(ctx: Any, name: str) -> dict | None:
    """One keypair of the caller (``GET /os-keypairs/{name}``, which also shows ``created_at``), or None."""
    try:
        return bulk.get_json(ctx, "compute", "/os-keypairs/" + quote(name, safe=""))["keypair"]
    except sdk_exc.NotFoundException:
        return None


def _keypairs(ctx: Any, wanted: dict[str, list[str]]) -> list[dict]:
    """The requested keypairs, one GET each at the same time (Nova has no get-many), or the
    caller's whole listing when none was asked for."""
    names = list(wanted["KeyNames"])
    if wanted["KeyPairIds"]:
        with ctx.session() as s:
            names += list(ids.os_ids(s, ctx.project_id, wanted["KeyPairIds"]).values())
    if not (wanted["KeyNames"] or wanted["KeyPairIds"]):
        listed = bulk.get_json(ctx, "compute", "/os-keypairs")["keypairs"]
        return [entry["keypair"] for entry in listed]
    bulk.prepare(ctx, "compute")
    found = parallel.gather(*[lambda name=name: _keypair(ctx, name) for name in dict.fromkeys(names)])
    return [kp for kp in found if kp is not None]


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The EC2 views of the caller's key pairs, or of the requested ones only."""
    keypairs = _keypairs(ctx, wanted)
    names = [kp["name"] for kp in keypairs]
    with ctx.session() as s:
        id_of = ids.ec2_ids(s, ctx.project_id, KIND, names)
        tags_of = tags.tags_for(s, ctx.project_id, id_of.values())
        data_of = ids.get_data_many(s, ctx.project_id, id_of.values())
    _record_create_times(ctx, id_of, data_of, {kp["name"]: kp.get("created_at") for kp in keypairs})
    items = []
    for kp in keypairs:
        key_id = id_of[kp["name"]]
        public_key = kp.get("public_key") or ""
        fingerprint = (data_of.get(key_id) or {}).get("fingerprint") or (
            fingerprint_public(public_key) if public_key else kp.get("fingerprint"))
        item = {
            "KeyPairId": key_id,
            "KeyName": kp["name"],
            "KeyFingerprint": fingerprint,
            "KeyType": key_type_of(public_key),
            "Tags": tags_of.get(key_id, []),
            "PublicKey": public_key,
        }
        created = parse_os_time((data_of.get(key_id) or {}).get("create_time"))
        if created:
            item["CreateTime"] = created
        items.append(item)
    return items


def _public_keys_if_asked(ctx: Any, params: dict, items: list[dict]) -> list[dict]:
    if not params.get("IncludePublicKey"):
        for i in items:
            del i["PublicKey"]
    return items


DESCRIBE = describe.Describe(
    result_key="KeyPairs",
    fetch=_fetch,
    sort_key=lambda i: i["KeyName"],
    requested=(describe.Requested("KeyNames", lambda i: i["KeyName"], _key_pair_not_found),
               describe.Requested("KeyPairIds", lambda i: i["KeyPairId"], _key_pair_not_found, kind=KIND)),
    filters={
        "key-pair-id": lambda i: i["KeyPairId"],
        "fingerprint": lambda i: i["KeyFingerprint"],
        "key-name": lambda i: i["KeyName"],
    },
    extra=_public_keys_if_asked,
)


@handler("DescribeKeyPairs", honours=("KeyNames", "KeyPairIds", "Filters", "IncludePublicKey"))
def describe_key_pairs(ctx: RequestContext, params: DescribeKeyPairsRequest) -> DescribeKeyPairsResult:
    """Key pairs of the caller, by name, id and filter (a GET per key asked for, else one listing)."""
    return describe.run(ctx, params, DESCRIBE)


def _record_create_times(ctx: Any, id_of: dict[str, str], data_of: dict[str, dict],
                         known: dict[str, str | None]) -> None:
    """Keep Nova's ``created_at`` of keys ec2api has no CreateTime for, in ``data_of`` and the
    database (keys made outside ec2api, or before it recorded the time). ``known`` holds the times
    the fetch already has (a GET shows them, a listing does not); the others are read, one GET each."""
    missing = {name: key_id for name, key_id in id_of.items()
               if not (data_of.get(key_id) or {}).get("create_time")}
    if not missing:
        return
    found: dict[str, dict] = {}
    for name, key_id in missing.items():
        if known.get(name):
            created = parse_os_time(known[name])
        else:
            keypair = _keypair(ctx, name)
            if keypair is None:     # deleted since the listing
                continue
            created = parse_os_time(keypair.get("created_at"))
        if created:
            found[key_id] = {**(data_of.get(key_id) or {}), "create_time": created.isoformat()}
    if found:
        with ctx.session() as s:
            for key_id, data in found.items():
                ids.set_data(s, ctx.project_id, key_id, data)
    data_of.update(found)
