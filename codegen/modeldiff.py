"""What changed between two EC2 models, per operation, as a flat list of changes.

Members are compared by *path* through the operation's input or output shape (``Filters[].Name``,
``BlockDeviceMappings[].Ebs.Iops``, ``Tags{value}``), so a change deep inside a shared shape shows up
in every operation that carries it, which is what an implementer needs. A member added or removed is
reported once, at the top of the subtree that appeared or disappeared; documentation-only changes
are not reported, except the filter names the documentation of ``Filters`` lists (read exactly as
the generator reads them, with ``codegen.docs.filter_names``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from codegen.docs import filter_names
from codegen.model_sources import ModelFiles

# Every kind of change, in report order. Member kinds carry a ``side`` (input or output).
OPERATION_ADDED = "operation-added"
OPERATION_REMOVED = "operation-removed"
MEMBER_ADDED = "member-added"
MEMBER_REMOVED = "member-removed"
BECAME_REQUIRED = "became-required"
BECAME_OPTIONAL = "became-optional"
TYPE_CHANGED = "type-changed"
ENUM_ADDED = "enum-values-added"
ENUM_REMOVED = "enum-values-removed"
RANGE_CHANGED = "range-changed"
LENGTH_CHANGED = "length-changed"
ERROR_ADDED = "error-added"
ERROR_REMOVED = "error-removed"
PAGINATOR_ADDED = "paginator-added"
PAGINATOR_REMOVED = "paginator-removed"
PAGINATOR_CHANGED = "paginator-changed"
WAITER_ADDED = "waiter-added"
WAITER_REMOVED = "waiter-removed"
WAITER_CHANGED = "waiter-changed"
FILTER_ADDED = "filter-added"
FILTER_REMOVED = "filter-removed"
KINDS = (OPERATION_ADDED, OPERATION_REMOVED, MEMBER_ADDED, MEMBER_REMOVED, BECAME_REQUIRED,
         BECAME_OPTIONAL, TYPE_CHANGED, ENUM_ADDED, ENUM_REMOVED, RANGE_CHANGED, LENGTH_CHANGED,
         ERROR_ADDED, ERROR_REMOVED, PAGINATOR_ADDED, PAGINATOR_REMOVED, PAGINATOR_CHANGED,
         WAITER_ADDED, WAITER_REMOVED, WAITER_CHANGED, FILTER_ADDED, FILTER_REMOVED)
_NUMERIC = {"integer", "long", "float", "double"}


@dataclass(frozen=True)
class MemberFacts:
    """What the diff compares about one member path."""

    type: str
    required: bool
    enum: tuple[str, ...] | None
    min: float | None
    max: float | None


@dataclass(frozen=True)
class Change:
    """One change to one operation. ``path`` is a member path, or a paginator/waiter/filter/error name."""

    operation: str
    kind: str
    side: str = ""                  # "input" or "output" for member kinds
    path: str = ""
    detail: str = ""                # human-readable what-became-what
    values: tuple[str, ...] = ()    # enum values added or removed
    required: bool = False          # member-added on input: whether the new member is required

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass
class ModelDiff:
    """The changes from ``old`` to ``new``, sorted by operation then kind."""

    old: str
    new: str
    changes: list[Change]

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def counts(self) -> dict[str, int]:
        """Changes per kind (every kind listed, zero included) and the number of changed operations."""
        counts = {k: 0 for k in KINDS}
        for c in self.changes:
            counts[c.kind] += 1
        counts["operations-changed"] = len({c.operation for c in self.changes
                                             if c.kind not in (OPERATION_ADDED, OPERATION_REMOVED)})
        return counts


def flatten(shapes: dict, root: str | None) -> dict[str, MemberFacts]:
    """Every member path under the shape ``root`` with its facts. Recursive shapes stop at the repeat."""
    out: dict[str, MemberFacts] = {}

    def walk(shape_name: str, prefix: str, ancestors: tuple[str, ...]) -> None:
        raw = shapes[shape_name]
        if shape_name in ancestors:
            return
        ancestors = (*ancestors, shape_name)
        kind = raw["type"]
        if kind == "structure":
            required = set(raw.get("required", ()))
            for name, member in raw.get("members", {}).items():
                path = f"{prefix}.{name}" if prefix else name
                visit(member["shape"], path, name in required, ancestors)
        elif kind == "list":
            visit(raw["member"]["shape"], f"{prefix}[]", False, ancestors)
        elif kind == "map":
            visit(raw["key"]["shape"], f"{prefix}{{key}}", False, ancestors)
            visit(raw["value"]["shape"], f"{prefix}{{value}}", False, ancestors)

    def visit(shape_name: str, path: str, required: bool, ancestors: tuple[str, ...]) -> None:
        raw = shapes[shape_name]
        enum = raw.get("enum")
        out[path] = MemberFacts(raw["type"], required, tuple(enum) if enum is not None else None,
                                raw.get("min"), raw.get("max"))
        walk(shape_name, path, ancestors)

    if root is not None:
        walk(root, "", ())
    return out


def documented_filters(service: dict, operation: str) -> list[str]:
    """The filter names an operation's ``Filters`` member documents (the generator's reading)."""
    op = service["operations"][operation]
    if "input" not in op:
        return []
    shapes = service["shapes"]
    members = shapes[op["input"]["shape"]].get("members", {})
    member = members.get("Filters") or members.get("Filter")   # DescribeNatGateways names it Filter
    if member is None:
        return []
    return filter_names(shapes[member["shape"]].get("documentation", "") + " " + member.get("documentation", ""))


def _shape_of(op: dict, side: str) -> str | None:
    return op[side]["shape"] if side in op else None


def _parent_of(path: str) -> str:
    """``A[].B`` -> ``A[]``; ``A[]`` -> ``A``; ``A{value}`` -> ``A``; a top-level member -> ``""``."""
    for suffix in ("[]", "{key}", "{value}"):
        if path.endswith(suffix):
            return path[:-len(suffix)]
    return path[:max(path.rfind("."), 0)]


def _member_changes(op: str, side: str, old: dict[str, MemberFacts], new: dict[str, MemberFacts]) -> list[Change]:
    out: list[Change] = []
    for path in sorted(new.keys() - old.keys()):
        if _parent_of(path) in new.keys() - old.keys():
            continue   # inside a subtree already reported as added
        out.append(Change(op, MEMBER_ADDED, side, path, detail=new[path].type,
                          required=side == "input" and new[path].required))
    for path in sorted(old.keys() - new.keys()):
        if _parent_of(path) in old.keys() - new.keys():
            continue
        out.append(Change(op, MEMBER_REMOVED, side, path, detail=old[path].type))
    for path in sorted(old.keys() & new.keys()):
        a, b = old[path], new[path]
        if side == "input" and a.required != b.required:
            out.append(Change(op, BECAME_REQUIRED if b.required else BECAME_OPTIONAL, side, path))
        if a.type != b.type:
            out.append(Change(op, TYPE_CHANGED, side, path, detail=f"{a.type} -> {b.type}"))
            continue   # enum and bounds of a different type do not compare
        if (a.enum or b.enum) and a.enum != b.enum:
            added = tuple(v for v in b.enum or () if v not in set(a.enum or ()))
            removed = tuple(v for v in a.enum or () if v not in set(b.enum or ()))
            if added:
                out.append(Change(op, ENUM_ADDED, side, path, detail=", ".join(added), values=added))
            if removed:
                out.append(Change(op, ENUM_REMOVED, side, path, detail=", ".join(removed), values=removed))
        if (a.min, a.max) != (b.min, b.max):
            kind = RANGE_CHANGED if b.type in _NUMERIC else LENGTH_CHANGED
            out.append(Change(op, kind, side, path, detail=f"{_bounds(a)} -> {_bounds(b)}"))
    return out


def _bounds(m: MemberFacts) -> str:
    return f"[{'' if m.min is None else m.min}..{'' if m.max is None else m.max}]"


def _errors(op: dict) -> set[str]:
    return {e["shape"] for e in op.get("errors", ())}


def _waiters_by_op(waiters: dict) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for name, w in waiters.get("waiters", {}).items():
        out.setdefault(w["operation"], {})[name] = w
    return out


def _keyed_changes(op: str, old: dict[str, Any], new: dict[str, Any], kinds: tuple[str, str, str]) -> list[Change]:
    """Added, removed and changed entries of two ``{name: definition}`` dicts (paginators, waiters)."""
    added, removed, changed = kinds
    out = [Change(op, added, path=n) for n in sorted(new.keys() - old.keys())]
    out += [Change(op, removed, path=n) for n in sorted(old.keys() - new.keys())]
    for name in sorted(old.keys() & new.keys()):
        a, b = old[name], new[name]
        fields = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        if fields:
            out.append(Change(op, changed, path=name, detail="changed: " + ", ".join(fields)))
    return out


def diff(old: ModelFiles, new: ModelFiles) -> ModelDiff:
    """Every change from ``old`` to ``new``."""
    old_ops, new_ops = old.service["operations"], new.service["operations"]
    changes = [Change(n, OPERATION_ADDED) for n in sorted(new_ops.keys() - old_ops.keys())]
    changes += [Change(n, OPERATION_REMOVED) for n in sorted(old_ops.keys() - new_ops.keys())]
    old_pages, new_pages = old.paginators.get("pagination", {}), new.paginators.get("pagination", {})
    old_waits, new_waits = _waiters_by_op(old.waiters), _waiters_by_op(new.waiters)
    for name in sorted(old_ops.keys() & new_ops.keys()):
        a, b = old_ops[name], new_ops[name]
        for side in ("input", "output"):
            changes += _member_changes(name, side, flatten(old.service["shapes"], _shape_of(a, side)),
                                       flatten(new.service["shapes"], _shape_of(b, side)))
        changes += [Change(name, ERROR_ADDED, path=e) for e in sorted(_errors(b) - _errors(a))]
        changes += [Change(name, ERROR_REMOVED, path=e) for e in sorted(_errors(a) - _errors(b))]
        pages_a = {name: old_pages[name]} if name in old_pages else {}
        pages_b = {name: new_pages[name]} if name in new_pages else {}
        changes += _keyed_changes(name, pages_a, pages_b, (PAGINATOR_ADDED, PAGINATOR_REMOVED, PAGINATOR_CHANGED))
        changes += _keyed_changes(name, old_waits.get(name, {}), new_waits.get(name, {}),
                                  (WAITER_ADDED, WAITER_REMOVED, WAITER_CHANGED))
        fa, fb = documented_filters(old.service, name), documented_filters(new.service, name)
        changes += [Change(name, FILTER_ADDED, path=f) for f in fb if f not in fa]
        changes += [Change(name, FILTER_REMOVED, path=f) for f in fa if f not in fb]
    order = {k: i for i, k in enumerate(KINDS)}
    changes.sort(key=lambda c: (c.operation, order[c.kind], c.side != "input", c.path))
    return ModelDiff(old.label, new.label, changes)
