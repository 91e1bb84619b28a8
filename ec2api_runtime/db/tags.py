"""Tags on any EC2 id of a project, with AWS's rules (CreateTags, DeleteTags, DescribeTags).

A resource can be tagged once it has an EC2 id in the project (``ids.ec2_id`` creates one lazily for
OpenStack-native objects), so tags never leak across projects and go away with ``ids.forget``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, false, func, or_, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ec2api_runtime.db import ids
from ec2api_runtime.db.models import TAG_KEY_LEN, TAG_VALUE_LEN, Item, Tag
from ec2api_runtime.errors import EC2Error

MAX_TAGS_PER_RESOURCE = 50
_UPSERT_ROWS = 500      # 5 parameters a row: well within SQLite's 32,766 variables per statement


@dataclass(frozen=True)
class TagRow:
    """One row of DescribeTags."""

    resource_id: str
    resource_type: str
    key: str
    value: str


def validate_tags(tags: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{key: value}`` from AWS-style ``[{"Key", "Value"}]``; AWS's errors for bad ones."""
    out: dict[str, str] = {}
    for tag in tags:
        key = tag.get("Key")
        if key is None:
            raise EC2Error("InvalidParameterValue", "Tag keys must be specified (the Key parameter is missing).")
        value = tag.get("Value")
        value = "" if value is None else value
        if not isinstance(key, str) or not isinstance(value, str):
            raise EC2Error("InvalidParameterValue", "Tag keys and values must be strings.")
        if not key:
            raise EC2Error("InvalidParameterValue", "Tag key cannot be empty.")
        if len(key) > TAG_KEY_LEN:
            raise EC2Error("InvalidParameterValue",
                           f"Tag key exceeds the maximum length of {TAG_KEY_LEN} characters: {key[:32]}...")
        if len(value) > TAG_VALUE_LEN:
            raise EC2Error("InvalidParameterValue",
                           f"Tag value exceeds the maximum length of {TAG_VALUE_LEN} characters.")
        if key.lower().startswith("aws:"):
            raise EC2Error("InvalidParameterValue",
                           "Tag keys starting with 'aws:' are reserved for internal use")
        out[key] = value      # a repeated key: the last value wins, as in AWS
    return out


def _check_resources(s: Session, project_id: str, resource_ids: Sequence[str], lock: bool = False) -> dict[str, str]:
    """``{resource_id: kind}``; ``InvalidID`` for a malformed id, ``Invalid<Kind>ID.NotFound`` for one
    unknown in the project (ids of ``ids.SHARED_SCOPE`` count as known: any project may tag them, its
    tags its own). ``lock``: lock the resources' item rows until the transaction ends."""
    kinds: dict[str, str] = {}
    for rid in resource_ids:
        kind = ids.kind_of(rid)
        if kind is None:
            raise EC2Error("InvalidID", f"The ID '{rid}' is not valid")
        kinds[rid] = kind
    wanted = sorted(kinds)
    known: set[str] = set()
    for i in range(0, len(wanted), ids.CHUNK):
        q = select(Item.ec2_id).where(Item.project_id.in_((project_id, ids.SHARED_SCOPE)),
                                      Item.ec2_id.in_(wanted[i:i + ids.CHUNK]))
        if lock:
            q = q.with_for_update()     # no-op on SQLite, whose transactions already hold the write lock
        known.update(s.scalars(q))
    for rid, kind in kinds.items():
        if rid not in known:
            raise ids.not_found(kind, rid)
    return kinds


def set_tags(s: Session, project_id: str, resource_ids: Sequence[str], tags: Sequence[Mapping[str, Any]]) -> None:
    """CreateTags: add or overwrite ``tags`` on every resource (at most 50 tags per resource)."""
    wanted = validate_tags(tags)
    # Locking the resources' item rows serialises concurrent CreateTags on a resource, so that two
    # of them cannot together pass the 50-tag limit.
    kinds = _check_resources(s, project_id, list(dict.fromkeys(resource_ids)), lock=True)
    if not wanted or not kinds:
        return
    # Enforce the limit on the resulting set: existing keys plus the new ones.
    existing: dict[str, set[str]] = {rid: set() for rid in kinds}
    rids = sorted(kinds)
    for i in range(0, len(rids), ids.CHUNK):
        q = select(Tag.resource_id, Tag.key).where(Tag.project_id == project_id,
                                                   Tag.resource_id.in_(rids[i:i + ids.CHUNK]))
        for rid, key in s.execute(q):
            existing[rid].add(key)
    for rid, keys in existing.items():
        if len(keys | wanted.keys()) > MAX_TAGS_PER_RESOURCE:
            raise EC2Error("TagLimitExceeded",
                           f"The maximum number of Tags for a resource has been reached ({rid}: "
                           f"{MAX_TAGS_PER_RESOURCE}).")
    rows = [{"project_id": project_id, "resource_id": rid, "kind": kind, "key": k, "value": v}
            for rid, kind in sorted(kinds.items()) for k, v in sorted(wanted.items())]
    for i in range(0, len(rows), _UPSERT_ROWS):
        s.execute(_upsert(s, rows[i:i + _UPSERT_ROWS]))


def _upsert(s: Session, rows: list[dict[str, str]]) -> Any:
    """One INSERT ... ON CONFLICT/DUPLICATE KEY UPDATE value for all rows (race-free overwrite)."""
    name = s.get_bind().dialect.name
    if name in ("mysql", "mariadb"):
        stmt = mysql_insert(Tag).values(rows)
        return stmt.on_duplicate_key_update(value=stmt.inserted.value)
    # PostgreSQL's and SQLite's INSERTs spell it alike but are different classes: one branch each.
    keys = ["project_id", "resource_id", "key"]
    if name == "postgresql":
        pg = pg_insert(Tag).values(rows)
        return pg.on_conflict_do_update(index_elements=keys, set_={"value": pg.excluded.value})
    lite = sqlite_insert(Tag).values(rows)
    return lite.on_conflict_do_update(index_elements=keys, set_={"value": lite.excluded.value})


def delete_tags(s: Session, project_id: str, resource_ids: Sequence[str],
                tags: Sequence[Mapping[str, Any]] | None = None) -> None:
    """DeleteTags with AWS's semantics.

    ``tags`` None (or empty): delete every tag of the resources. ``{"Key": k}``: delete key ``k``
    whatever its value. ``{"Key": k, "Value": v}``: delete only if the value is ``v`` (``""``
    included: only an empty value matches).
    """
    rids = list(dict.fromkeys(resource_ids))
    _check_resources(s, project_id, rids)
    if not rids:
        return
    base = and_(Tag.project_id == project_id, Tag.resource_id.in_(rids))   # DeleteTags takes <= 1000 ids
    if not tags:
        s.execute(delete(Tag).where(base))
        return
    conds: list[ColumnElement[bool]] = []
    for tag in tags:
        key = tag.get("Key")
        if not isinstance(key, str) or not key:
            raise EC2Error("InvalidParameterValue", "Tag key cannot be empty.")
        if key.lower().startswith("aws:"):
            raise EC2Error("InvalidParameterValue",
                           "Tag keys starting with 'aws:' are reserved for internal use")
        if "Value" in tag and tag["Value"] is not None:
            conds.append(and_(Tag.key == key, Tag.value == tag["Value"]))
        else:
            conds.append(Tag.key == key)
    s.execute(delete(Tag).where(base, or_(*conds)))


def purge(s: Session, resource_ids: Iterable[str]) -> None:
    """Delete every project's tags on resources gone for everyone (a deregistered shared image),
    keeping their ids: instances launched from a deregistered image still name it."""
    rids = sorted(set(resource_ids))
    for i in range(0, len(rids), ids.CHUNK):
        s.execute(delete(Tag).where(Tag.resource_id.in_(rids[i:i + ids.CHUNK])))


def tags_for(s: Session, project_id: str, resource_ids: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """``{resource_id: [{"Key", "Value"}, ...]}`` sorted by key, for every id asked (``[]`` when untagged)."""
    rids = list(dict.fromkeys(resource_ids))
    out: dict[str, list[dict[str, str]]] = {rid: [] for rid in rids}
    for i in range(0, len(rids), ids.CHUNK):
        q = (select(Tag.resource_id, Tag.key, Tag.value)
             .where(Tag.project_id == project_id, Tag.resource_id.in_(rids[i:i + ids.CHUNK]))
             .order_by(Tag.resource_id, Tag.key))
        for rid, key, value in s.execute(q):
            out[rid].append({"Key": key, "Value": value})
    return out


def list_tags(s: Session, project_id: str, *, resource_ids: Iterable[str] | None = None,
              resource_types: Iterable[str] | None = None, keys: Iterable[str] | None = None,
              values: Iterable[str] | None = None, after: tuple[str, str] | None = None,
              limit: int | None = None) -> list[TagRow]:
    """DescribeTags: the project's tags ordered by (resource_id, key), filtered in SQL.

    Each filter is a list of alternatives (OR); filters combine with AND. ``keys`` and ``values``
    accept AWS wildcards: ``*`` (any run), ``?`` (one character), ``\\`` escapes them.
    ``resource_types`` are AWS names ("instance", "image", "key-pair"...). ``after`` is the last
    (resource_id, key) of the previous page; ask ``limit + 1`` rows to learn whether more follow.
    """
    q = select(Tag.resource_id, Tag.kind, Tag.key, Tag.value).where(Tag.project_id == project_id)
    if resource_ids is not None:
        q = q.where(Tag.resource_id.in_(list(resource_ids)))
    if resource_types is not None:
        kinds = [k for rt in resource_types for k in ids.KINDS_BY_RESOURCE_TYPE.get(rt, [rt])]
        q = q.where(Tag.kind.in_(kinds))
    dialect = s.get_bind().dialect.name
    if keys is not None:
        q = q.where(_matches_any(Tag.key, list(keys), dialect))
    if values is not None:
        q = q.where(_matches_any(Tag.value, list(values), dialect))
    if after is not None:
        rid, key = after
        q = q.where(or_(Tag.resource_id > rid, and_(Tag.resource_id == rid, Tag.key > key)))
    q = q.order_by(Tag.resource_id, Tag.key)
    if limit is not None:
        q = q.limit(limit)
    return [TagRow(rid, ids.kind_info(kind).resource_type, key, value) for rid, kind, key, value in s.execute(q)]


def _matches_any(column: Any, patterns: list[str], dialect: str) -> ColumnElement[bool]:
    exact = [p for p in patterns if not _has_wildcard(p)]
    conds: list[ColumnElement[bool]] = []
    if exact:
        conds.append(column.in_([_unescape(p) for p in exact]))
    for p in patterns:
        if _has_wildcard(p):
            conds.append(_like(column, p, dialect))
    return or_(*conds) if conds else false()


def _has_wildcard(pattern: str) -> bool:
    escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "*?":
            return True
    return False


def _unescape(pattern: str) -> str:
    out, escaped = [], False
    for ch in pattern:
        if escaped or ch != "\\":
            out.append(ch)
            escaped = False
        else:
            escaped = True
    if escaped:
        out.append("\\")
    return "".join(out)


def _like(column: Any, pattern: str, dialect: str) -> ColumnElement[bool]:
    """An AWS wildcard pattern as a case-sensitive SQL match."""
    if dialect == "sqlite":
        # SQLite's LIKE ignores ASCII case; GLOB is case-sensitive, with [c] to quote a character.
        out, escaped = [], False
        for ch in pattern:
            if escaped:
                out.append(f"[{ch}]" if ch in "*?[" else ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch in "*?":
                out.append(ch)
            elif ch == "[":
                out.append("[[]")
            else:
                out.append(ch)
        if escaped:
            out.append("\\")
        return column.op("GLOB")("".join(out))
    # LIKE with "!" as the escape character (backslash is special in MySQL string literals).
    # The columns are binary-collated on MySQL and PostgreSQL's LIKE is case-sensitive.
    out, escaped = [], False
    for ch in pattern:
        if escaped:
            out.append("!" + ch if ch in "%_!" else ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        elif ch in "%_!":
            out.append("!" + ch)
        else:
            out.append(ch)
    if escaped:
        out.append("\\")
    return column.like("".join(out), escape="!")


def count(s: Session, project_id: str) -> int:
    """How many tags the project has (tests, metrics)."""
    return s.execute(select(func.count()).select_from(Tag).where(Tag.project_id == project_id)).scalar_one()


__all__ = ["MAX_TAGS_PER_RESOURCE", "TagRow", "count", "delete_tags", "list_tags", "purge", "set_tags",
           "tags_for"]
