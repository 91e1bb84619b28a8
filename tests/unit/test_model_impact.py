"""What a diff means for ec2api: each change of the synthetic pair classified against a small handler
(read by the same static analysis as the real tree), and ``ec2api model diff`` as CI runs it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from codegen import model_sources
from codegen import modeldiff as md
from ec2api_runtime.handler_facts import merge, static_facts
from ec2api_runtime.model_cli import model
from ec2api_runtime.model_impact import BREAKING, GAP, assess
from tests.unit import _model_pair as pair


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("impact")
    old, new = pair.write_pair(tmp)
    root = pair.write_project(tmp / "project")
    return old, new, root


def test_each_change_is_classified(setup):
    old, new, root = setup
    new_model = model_sources.load(str(new))
    facts = static_facts(root)
    assert set(facts) == {"DescribeThings", "ListB", "RemovedOp"}
    impacts = assess(md.diff(model_sources.load(str(old)), new_model), facts, new_model)
    got = {(i.change.operation, i.change.kind, i.change.side, i.change.path): i.level for i in impacts}
    expected = {e[:4]: e[4] for e in pair.EXPECTED if e[4] is not None}
    assert got == expected
    assert len(impacts) == len(expected)   # each implemented change once; unimplemented ones not at all


def test_reasons_say_what_to_do(setup):
    old, new, root = setup
    new_model = model_sources.load(str(new))
    impacts = assess(md.diff(model_sources.load(str(old)), new_model), static_facts(root), new_model)
    reason = {(i.change.kind, i.change.path): i.reason for i in impacts}
    assert "required member the handler does not read" in reason[("member-added", "NewReq")]
    assert "neither honoured nor refused" in reason[("member-added", "New")]
    assert "handler reads" in reason[("member-removed", "Gone")]
    assert reason[("enum-values-removed", "Mode")].endswith(": c")
    assert "KeyError" in reason[("became-optional", "Opt")]
    assert reason[("waiter-added", "ThingReady")].endswith(": Ready")
    assert "does not implement" in reason[("filter-added", "new-filter")]
    # Breaking changes come first.
    levels = [i.level for i in impacts]
    assert levels == sorted(levels, key=[BREAKING, GAP, "info"].index)


def test_cli_json_and_fail_on_breaking(setup):
    old, new, root = setup
    runner = CliRunner()
    args = ["diff", str(old), str(new), "--root", str(root)]
    plain = runner.invoke(model, args)
    assert plain.exit_code == 0, plain.output
    assert "What it means for ec2api (3 implemented operations, 3 touched): 7 breaking, 5 gap, 10 info" \
        in plain.output
    assert "RemovedOp (things): operation-removed" in plain.output
    failing = runner.invoke(model, [*args, "--fail-on", "breaking", "--json"])
    assert failing.exit_code == 1
    report = json.loads(failing.output)
    assert report["counts"]["operation-removed"] == 1
    assert sum(i["level"] == "breaking" for i in report["impact"]) == \
        sum(e[4] == "breaking" for e in pair.EXPECTED) == 7
    same = runner.invoke(model, ["diff", str(new), str(new), "--root", str(root), "--fail-on", "gap"])
    assert same.exit_code == 0 and "0 breaking, 0 gap, 0 info" in same.output


def test_gaps_alone_fail_only_with_fail_on_gap(tmp_path):
    service = json.loads(json.dumps(pair.NEW_SERVICE))
    newer = json.loads(json.dumps(service))
    newer["shapes"]["DescribeThingsRequest"]["members"]["Newest"] = {"shape": "String"}
    a = pair.write_model(tmp_path / "a", service, pair.NEW_PAGINATORS, pair.NEW_WAITERS)
    b = pair.write_model(tmp_path / "b", newer, pair.NEW_PAGINATORS, pair.NEW_WAITERS)
    root = pair.write_project(tmp_path / "project")
    runner = CliRunner()
    args = ["diff", str(a), str(b), "--root", str(root)]
    assert runner.invoke(model, [*args, "--fail-on", "breaking"]).exit_code == 0
    assert runner.invoke(model, [*args, "--fail-on", "gap"]).exit_code == 1


def test_a_new_member_of_a_declaring_handler_is_refused_not_a_gap(setup):
    old, new, root = setup
    new_model = model_sources.load(str(new))
    facts = merge(static_facts(root), {"DescribeThings": {"reads": ["Opt", "Mode"], "refused": (), "declared": True}})
    impacts = assess(md.diff(model_sources.load(str(old)), new_model), facts, new_model)
    reason = {(i.change.kind, i.change.path): (i.level, i.reason) for i in impacts
              if i.change.operation == "DescribeThings"}
    assert reason[("member-added", "New")] == (
        "info", "new member, refused by the runtime: the handler's declaration does not honour it")
    # A new required member is still breaking: every request would now be refused.
    assert reason[("member-added", "NewReq")][0] == BREAKING
