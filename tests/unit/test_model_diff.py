"""``codegen.modeldiff``: every kind of change on a synthetic pair, and counts on two real botocore
releases checked against a count made here, straight from the JSON files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from codegen import model_sources
from codegen import modeldiff as md
from codegen.docs import filter_names
from generated.ec2.metadata import FILTERS
from tests.unit import _model_pair as pair

ROOT = Path(__file__).resolve().parents[2]
PINNED = ROOT / "service-models"
OLDER = "1.43.70"   # botocore of 2026-08-12, three months before the pinned 1.44.5
CACHE = ROOT / ".cache" / "botocore"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> md.ModelDiff:
    old, new = pair.write_pair(tmp_path_factory.mktemp("pair"))
    return md.diff(model_sources.load(str(old)), model_sources.load(str(new)))


def test_every_change_is_reported_exactly_once(synthetic):
    got = [(c.operation, c.kind, c.side, c.path) for c in synthetic.changes]
    assert sorted(got) == sorted(e[:4] for e in pair.EXPECTED)
    assert len(got) == len(set(got))


def test_the_synthetic_pair_covers_every_kind(synthetic):
    assert {c.kind for c in synthetic.changes} == set(md.KINDS)


def test_change_details(synthetic):
    by = {(c.kind, c.path): c for c in synthetic.changes}
    assert by[(md.MEMBER_ADDED, "NewReq")].required and not by[(md.MEMBER_ADDED, "New")].required
    assert by[(md.MEMBER_ADDED, "Things[].Fresh")].detail == "structure"   # Fresh.Level is not reported again
    assert by[(md.ENUM_ADDED, "Mode")].values == ("d",)
    assert by[(md.ENUM_REMOVED, "Mode")].values == ("c",)
    assert by[(md.TYPE_CHANGED, "Kind")].detail == "string -> integer"
    assert by[(md.RANGE_CHANGED, "MaxResults")].detail == "[5..100] -> [5..1000]"
    assert by[(md.LENGTH_CHANGED, "Size")].detail == "[1..10] -> [1..20]"
    assert by[(md.PAGINATOR_CHANGED, "DescribeThings")].detail == "changed: limit_key"
    assert by[(md.WAITER_CHANGED, "ThingExists")].detail == "changed: delay"


def test_no_change_between_a_model_and_itself():
    pinned = model_sources.load(str(PINNED))
    assert md.diff(pinned, pinned).changes == []


def test_filter_names_are_the_generators():
    pinned = model_sources.load(str(PINNED))
    for op in ("DescribeInstances", "DescribeImages", "DescribeVolumes", "DescribeKeyPairs"):
        assert tuple(md.documented_filters(pinned.service, op)) == FILTERS[op]


# ---------------------------------------------------------------------------------------------
# Two real releases

def _paths(shapes: dict, shape: str | None) -> dict[str, dict]:
    """Every member path under ``shape`` -> its raw target shape: the count this test trusts, made
    with an explicit stack rather than the diff's recursion."""
    out: dict[str, dict] = {}
    if shape is None:
        return out
    stack = [(shape, "", frozenset())]
    while stack:
        name, prefix, seen = stack.pop()
        if name in seen:
            continue
        raw = shapes[name]
        children = []
        if raw["type"] == "structure":
            required = set(raw.get("required", ()))
            children = [(m["shape"], (prefix + "." if prefix else "") + n, n in required)
                        for n, m in raw["members"].items()]
        elif raw["type"] == "list":
            children = [(raw["member"]["shape"], prefix + "[]", False)]
        elif raw["type"] == "map":
            children = [(raw["key"]["shape"], prefix + "{key}", False), (raw["value"]["shape"], prefix + "{value}", False)]
        for target, path, required in children:
            out[path] = {**shapes[target], "_required": required}
            stack.append((target, path, seen | {name}))
    return out


def _top_of_subtree(paths: set[str]) -> set[str]:
    def parent(p: str) -> str:
        for suffix in ("[]", "{key}", "{value}"):
            if p.endswith(suffix):
                return p[:-len(suffix)]
        return p.rsplit(".", 1)[0] if "." in p else ""
    return {p for p in paths if parent(p) not in paths}


def _independent_counts(old: model_sources.ModelFiles, new: model_sources.ModelFiles) -> Counter:
    counts: Counter = Counter()
    a_ops, b_ops = old.service["operations"], new.service["operations"]
    counts[md.OPERATION_ADDED] = len(set(b_ops) - set(a_ops))
    counts[md.OPERATION_REMOVED] = len(set(a_ops) - set(b_ops))
    for op in set(a_ops) & set(b_ops):
        for side in ("input", "output"):
            pa = _paths(old.service["shapes"], a_ops[op].get(side, {}).get("shape"))
            pb = _paths(new.service["shapes"], b_ops[op].get(side, {}).get("shape"))
            counts[md.MEMBER_ADDED] += len(_top_of_subtree(set(pb) - set(pa)))
            counts[md.MEMBER_REMOVED] += len(_top_of_subtree(set(pa) - set(pb)))
            for p in set(pa) & set(pb):
                x, y = pa[p], pb[p]
                if side == "input" and x["_required"] != y["_required"]:
                    counts[md.BECAME_REQUIRED if y["_required"] else md.BECAME_OPTIONAL] += 1
                if x["type"] != y["type"]:
                    counts[md.TYPE_CHANGED] += 1
                    continue
                counts[md.ENUM_ADDED] += bool(set(y.get("enum") or ()) - set(x.get("enum") or ()))
                counts[md.ENUM_REMOVED] += bool(set(x.get("enum") or ()) - set(y.get("enum") or ()))
                if (x.get("min"), x.get("max")) != (y.get("min"), y.get("max")):
                    numeric = y["type"] in ("integer", "long", "float", "double")
                    counts[md.RANGE_CHANGED if numeric else md.LENGTH_CHANGED] += 1
        ea = {e["shape"] for e in a_ops[op].get("errors", ())}
        eb = {e["shape"] for e in b_ops[op].get("errors", ())}
        counts[md.ERROR_ADDED] += len(eb - ea)
        counts[md.ERROR_REMOVED] += len(ea - eb)
    pa, pb = old.paginators["pagination"], new.paginators["pagination"]
    common = set(a_ops) & set(b_ops)
    counts[md.PAGINATOR_ADDED] = len({p for p in set(pb) - set(pa) if p in common})
    counts[md.PAGINATOR_REMOVED] = len({p for p in set(pa) - set(pb) if p in common})
    counts[md.PAGINATOR_CHANGED] = sum(pa[p] != pb[p] for p in set(pa) & set(pb) if p in common)
    wa, wb = old.waiters["waiters"], new.waiters["waiters"]
    counts[md.WAITER_ADDED] = len(set(wb) - set(wa))
    counts[md.WAITER_REMOVED] = len(set(wa) - set(wb))
    counts[md.WAITER_CHANGED] = sum(wa[w] != wb[w] for w in set(wa) & set(wb))

    def filters(service: dict, op: str) -> set[str]:
        shape = service["shapes"][service["operations"][op]["input"]["shape"]] \
            if "input" in service["operations"][op] else {"members": {}}
        member = shape["members"].get("Filters")
        if member is None:
            return set()
        return set(filter_names(service["shapes"][member["shape"]].get("documentation", "") + " "
                                + member.get("documentation", "")))
    for op in common:
        fa, fb = filters(old.service, op), filters(new.service, op)
        counts[md.FILTER_ADDED] += len(fb - fa)
        counts[md.FILTER_REMOVED] += len(fa - fb)
    return counts


@pytest.fixture(scope="module")
def real() -> tuple[model_sources.ModelFiles, model_sources.ModelFiles, md.ModelDiff]:
    old = model_sources.load(OLDER, cache=CACHE)       # pip download into .cache/botocore on first use
    new = model_sources.load(str(PINNED))
    return old, new, md.diff(old, new)


def test_real_releases_counts_match_an_independent_count(real):
    old, new, diff = real
    assert json.loads((PINNED / "PROVENANCE.json").read_text())["botocore_version"] == "1.44.5"
    counts = diff.counts()
    expected = _independent_counts(old, new)
    assert {k: counts[k] for k in md.KINDS} == {k: expected[k] for k in md.KINDS}
    # The two releases do differ in these ways (a sanity floor, not the oracle).
    assert counts[md.OPERATION_ADDED] == len(set(new.service["operations"]) - set(old.service["operations"])) > 0
    assert counts[md.MEMBER_ADDED] > 0 and counts[md.FILTER_ADDED] > 0 and counts[md.ENUM_ADDED] > 0


def test_real_releases_known_changes(real):
    _, _, diff = real
    by = {(c.operation, c.kind, c.side, c.path) for c in diff.changes}
    assert ("CreateImage", md.MEMBER_ADDED, "input", "BootModeOverride") in by
    assert ("DescribeVolumes", md.MEMBER_ADDED, "output", "Volumes[].VolumeArn") in by
    assert ("DescribeImages", md.FILTER_ADDED, "", "scan-result.finding-scan-date") in by
    # One report per change: no duplicates.
    assert len(by) == len(diff.changes)


def test_versions_are_read_from_the_wheel_as_json_or_gz(real):
    old, _, _ = real
    assert old.label == OLDER and old.paginators["pagination"] and old.waiters["waiters"]
    assert (CACHE / f"botocore-{OLDER}-py3-none-any.whl").exists()
