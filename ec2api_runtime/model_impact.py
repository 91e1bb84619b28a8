"""What a model diff means for ec2api: each change to an implemented operation, classified.

* **breaking**: the handler will misbehave on the new model: the operation is gone (its
  ``@handler`` no longer registers); a new or newly required input member it does not read; a member
  it reads was removed or changed type; a member it reads with ``params["X"]`` became optional; an
  enum value it names (a string literal in its code) was dropped; an output member it fills changed type.
* **gap**: the model moved past the handler: a new input member neither honoured nor refused (the
  parser accepts it and the handler ignores it), new output members it does not fill, a new filter
  the Describe does not implement (refused with ``InvalidParameterValue``), a new paginator it does
  not page, a waiter whose paths it does not fill, a changed paginator of an operation it pages.
* **info**: the change touches the operation but needs nothing (a member it does not read was
  removed, new enum values, bounds the generated validator enforces, ...).

Changes to operations without a handler are not classified. What a handler reads and fills comes
from ``ec2api_runtime.handler_facts`` (static analysis, or declarations where they exist).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from codegen import modeldiff as md
from codegen.model_sources import ModelFiles
from ec2api_runtime import honours
from ec2api_runtime.handler_facts import OperationFacts

BREAKING, GAP, INFO = "breaking", "gap", "info"
LEVELS = (BREAKING, GAP, INFO)
_JMES_FUNCTIONS = {"length", "contains", "starts_with", "ends_with", "to_string", "to_number", "type",
                   "not_null", "max", "min", "sum", "sort", "join", "keys", "values"}


@dataclass(frozen=True)
class Impact:
    """One change to an implemented operation and what it means for its handler."""

    change: md.Change
    level: str
    reason: str

    def to_json(self) -> dict:
        return {**self.change.to_json(), "level": self.level, "reason": self.reason}


def runtime_members(service: dict, operation: str) -> set[str]:
    """Input members the runtime honours for every handler: ``DryRun`` and the idempotency token."""
    op = service["operations"].get(operation, {})
    if "input" not in op:
        return set()
    members = service["shapes"][op["input"]["shape"]].get("members", {})
    token = next((n for n, m in members.items() if m.get("idempotencyToken")), None)
    return set(honours.runtime_members(members, token))


def waiter_paths_filled(facts: OperationFacts, waiter: dict) -> list[str]:
    """Member names a waiter's acceptors read (JMESPath) that the handler does not fill."""
    missing = []
    for acceptor in waiter.get("acceptors", ()):
        for name in re.findall(r"[A-Za-z_]\w*", acceptor.get("argument", "")):
            if name not in _JMES_FUNCTIONS and name not in facts.keys and name not in missing:
                missing.append(name)
    return missing


def _reads(facts: OperationFacts, path: str, runtime: set[str]) -> bool:
    return path in runtime or facts.reads_path(path)


def classify(change: md.Change, facts: OperationFacts, new: ModelFiles) -> tuple[str, str]:
    """``(level, reason)`` of one change to an implemented operation."""
    k, path = change.kind, change.path
    runtime = runtime_members(new.service, change.operation)
    read = change.side == "input" and _reads(facts, path, runtime)
    filled = change.side == "output" and facts.fills_path(path)
    if k == md.OPERATION_REMOVED:
        return BREAKING, "the model no longer has this operation: its @handler fails to register"
    if k == md.MEMBER_ADDED and change.side == "input":
        if path in facts.refused:
            return INFO, "new member, already refused by the handler"
        if read:
            return INFO, "new member, already read by the handler"
        if change.required:
            return BREAKING, "new required member the handler does not read"
        if facts.declared and "." not in path and "[" not in path and "{" not in path:
            return INFO, "new member, refused by the runtime: the handler's declaration does not honour it"
        return GAP, "new member neither honoured nor refused: the parser accepts it and the handler ignores it"
    if k == md.MEMBER_ADDED:
        return (INFO, "new output member, already filled") if filled else (
            GAP, "new output member the handler does not fill")
    if k == md.MEMBER_REMOVED:
        if read:
            return BREAKING, "removed member the handler reads (the parser now refuses it)"
        if filled:
            return INFO, "removed output member the handler still fills (the serializer drops it)"
        return INFO, "removed member the handler does not use"
    if k == md.BECAME_REQUIRED:
        return (INFO, "now required; the handler reads it") if read else (
            BREAKING, "now required, and the handler does not read it")
    if k == md.BECAME_OPTIONAL:
        if path in facts.required_reads:
            return BREAKING, "now optional, but the handler reads it as params[...] (KeyError when absent)"
        return INFO, "now optional; the handler does not assume it is present"
    if k == md.TYPE_CHANGED:
        if read or filled:
            return BREAKING, f"type changed ({change.detail}) on a member the handler uses"
        return INFO, "type changed on a member the handler does not use"
    if k == md.ENUM_REMOVED:
        named = [v for v in change.values if v in facts.literals]
        if named:
            return BREAKING, "enum value(s) the handler names were dropped: " + ", ".join(named)
        return INFO, "enum value(s) dropped; the handler does not name them"
    if k == md.FILTER_ADDED:
        if path in facts.filters:
            return INFO, "new documented filter, already implemented"
        return GAP, "new filter the Describe does not implement (refused with InvalidParameterValue)"
    if k == md.FILTER_REMOVED:
        if path in facts.filters:
            return INFO, "filter no longer documented; the handler still accepts it"
        return INFO, "filter no longer documented"
    if k == md.PAGINATOR_ADDED:
        return (INFO, "new paginator; the handler pages") if facts.pages else (
            GAP, "new paginator, but the handler does not page (MaxResults/NextToken ignored)")
    if k == md.PAGINATOR_CHANGED and facts.pages:
        return GAP, f"paginator {change.detail}: check the handler's paging"
    if k in (md.WAITER_ADDED, md.WAITER_CHANGED):
        waiter = new.waiters.get("waiters", {}).get(path, {})
        missing = waiter_paths_filled(facts, waiter)
        if missing:
            return GAP, "waiter reads members the handler does not fill: " + ", ".join(missing)
        return INFO, "waiter's paths are filled by the handler"
    return INFO, "no effect on the handler"


def assess(diff: md.ModelDiff, facts: Mapping[str, OperationFacts], new: ModelFiles) -> list[Impact]:
    """Every change that touches an implemented operation, classified; breaking first."""
    out = [Impact(c, *classify(c, facts[c.operation], new)) for c in diff.changes if c.operation in facts]
    order = {level: i for i, level in enumerate(LEVELS)}
    return sorted(out, key=lambda i: (order[i.level], i.change.operation))
