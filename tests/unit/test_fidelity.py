"""The fidelity report: its numbers on the synthetic project, and docs/fidelity.md being current."""

from __future__ import annotations

from pathlib import Path

from codegen import model_sources
from ec2api_runtime import fidelity
from ec2api_runtime.handler_facts import project_facts, static_facts
from ec2api_runtime.model_cli import fidelity_markdown
from tests.unit import _model_pair as pair

ROOT = Path(__file__).resolve().parents[2]


def test_synthetic_operation(tmp_path):
    _, new = pair.write_pair(tmp_path)
    root = pair.write_project(tmp_path / "project")
    rows = {r.operation: r for r in fidelity.report(model_sources.load(str(new)), static_facts(root))}
    assert set(rows) == {"DescribeThings", "ListB"}            # RemovedOp is not in this model
    r = rows["DescribeThings"]
    assert r.area == "things"
    assert sorted(r.honoured) == ["Filters", "Kind", "MaxResults", "Mode", "NextToken", "Opt"]
    assert r.refused == ["Refused"] and r.by_runtime == ["DryRun"]
    assert sorted(r.undeclared) == ["New", "NewReq", "Req", "Size"]
    assert r.inputs == 12
    assert r.output_top_filled == ["Things", "NextToken"]
    # Things, Things[], Id, State, Fresh, Fresh.Level, NextToken: Fresh and Level are not filled.
    assert (r.output_paths_filled, r.output_paths) == (5, 7)
    assert r.filters_implemented == ["kept-filter"] and r.filters_refused == ["new-filter"]
    assert r.filters_extra == ["old-filter"]
    assert r.paginator and r.pages
    assert r.waiters == {"ThingExists": [], "ThingReady": ["Ready"]}


def test_markdown_has_a_row_per_area_and_a_total(tmp_path):
    _, new = pair.write_pair(tmp_path)
    root = pair.write_project(tmp_path / "project")
    text = fidelity.markdown(model_sources.load(str(new)), "9.9.9", static_facts(root))
    # ListB: 2 inputs honoured, 2 output paths; it lost its paginator in this model.
    assert "| things | 2 | 8 / 14 | 0 | 1 | 1 | 4 | 7 / 9 | 1 / 2 | 1 / 1 | 1 / 2 |" in text
    assert "| **total** | 2 |" in text
    assert "botocore 9.9.9" in text and "### DescribeThings" in text


def test_the_report_in_the_tree_is_current():
    assert (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8") == fidelity_markdown(ROOT), \
        "docs/fidelity.md is stale: run 'make fidelity'"


def test_no_member_of_the_tree_s_handlers_is_ignored():
    # Every handler declares its members: each input member is honoured, the runtime's, or refused.
    models = ROOT / "service-models"
    rows = fidelity.report(model_sources.from_path(models), project_facts(ROOT))
    assert rows and all(not r.undeclared for r in rows), [(r.operation, r.undeclared) for r in rows if r.undeclared]
    run = next(r for r in rows if r.operation == "RunInstances")
    assert "CpuOptions" in run.refused and "Monitoring" in run.partly and "DryRun" in run.by_runtime
