"""``ec2api model diff`` and ``ec2api model fidelity``: following AWS's EC2 model as it evolves.

Also runnable as ``python -m ec2api_runtime.model_cli ...`` (what the Makefile does, so that a
``PY=`` override picks the interpreter).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from codegen import model_sources
from codegen import modeldiff as md
from ec2api_runtime import fidelity
from ec2api_runtime.handler_facts import OperationFacts, area_of, project_facts
from ec2api_runtime.model_impact import BREAKING, GAP, LEVELS, Impact, assess

ROOT = Path(__file__).resolve().parent.parent   # the tree whose handlers/ are analysed
PINNED = ROOT / "service-models"


def render_text(diff: md.ModelDiff, impacts: list[Impact], facts: dict[str, OperationFacts]) -> str:
    """The human report: counts, what it means for ec2api, then every change by operation."""
    counts = diff.counts()
    lines = [f"EC2 model diff: {diff.old} -> {diff.new}",
             f"  operations: {counts[md.OPERATION_ADDED]} added, {counts[md.OPERATION_REMOVED]} removed, "
             f"{counts['operations-changed']} changed",
             "  changes: " + (", ".join(f"{k} {counts[k]}" for k in md.KINDS if counts[k]) or "none"),
             ""]
    touched = sorted({i.change.operation for i in impacts})
    levels = Counter(i.level for i in impacts)
    lines.append(f"What it means for ec2api ({len(facts)} implemented operations, {len(touched)} touched): "
                 + ", ".join(f"{levels[lv]} {lv}" for lv in LEVELS))
    for level in (BREAKING, GAP):
        chosen = [i for i in impacts if i.level == level]
        if chosen:
            lines.append(f"  {level}:")
        for i in chosen:
            c = i.change
            where = f"{c.side} {c.path}".strip()
            lines.append(f"    {c.operation} ({area_of(facts[c.operation])}): {c.kind} {where}: {i.reason}")
    if touched:
        lines.append("  touched implemented operations: " + ", ".join(touched))
    lines += ["", "Changes by operation:"]
    current = None
    for c in diff.changes:
        if c.kind in (md.OPERATION_ADDED, md.OPERATION_REMOVED):
            lines.append(f"  {'+' if c.kind == md.OPERATION_ADDED else '-'} {c.operation}")
            continue
        if c.operation != current:
            current = c.operation
            lines.append(f"  {c.operation}{' [implemented]' if c.operation in facts else ''}")
        extra = f" ({c.detail})" if c.detail else ""
        required = " (required)" if c.required else ""
        lines.append(f"    {c.kind} {c.side + ' ' if c.side else ''}{c.path}{required}{extra}".rstrip())
    return "\n".join(lines) + "\n"


def render_json(diff: md.ModelDiff, impacts: list[Impact]) -> str:
    return json.dumps({
        "old": diff.old, "new": diff.new, "counts": diff.counts(),
        "changes": [c.to_json() for c in diff.changes],
        "impact": [i.to_json() for i in impacts],
    }, indent=2, sort_keys=True) + "\n"


@click.group()
def model() -> None:
    """Follow AWS's EC2 model: what changed between versions, and how far ec2api is from it."""


@model.command()
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--fail-on", type=click.Choice(["never", "breaking", "gap"]), default="never",
              help="Exit 1 when a change breaks (or, with 'gap', leaves behind) an implemented operation.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=ROOT,
              help="Project tree whose handlers/ are analysed (default: this installation's).")
def diff(old: str, new: str, as_json: bool, fail_on: str, root: Path) -> None:
    """Changes from OLD to NEW (botocore versions, fetched with pip into .cache/botocore, or paths)."""
    new_model = model_sources.load(new)
    result = md.diff(model_sources.load(old), new_model)
    facts = project_facts(root)
    impacts = assess(result, facts, new_model)
    click.echo(render_json(result, impacts) if as_json else render_text(result, impacts, facts), nl=False)
    failing = {"never": set(), "breaking": {BREAKING}, "gap": {BREAKING, GAP}}[fail_on]
    if any(i.level in failing for i in impacts):
        sys.exit(1)


def pinned_version(models: Path) -> str:
    return json.loads((models / "PROVENANCE.json").read_text())["botocore_version"]


def fidelity_markdown(root: Path = ROOT, models: Path | None = None) -> str:
    """The fidelity report of the tree at ``root`` against its pinned model."""
    models = models or root / "service-models"
    return fidelity.markdown(model_sources.from_path(models), pinned_version(models), project_facts(root))


@model.command("fidelity")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Markdown report here (default: print it).")
@click.option("--check", is_flag=True, help="Exit 1 when --output differs from what would be written.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=ROOT)
def fidelity_command(output: Path | None, check: bool, root: Path) -> None:
    """Per implemented operation: members honoured, refused and filled; filters; paginators; waiters."""
    text = fidelity_markdown(root)
    if output is None:
        click.echo(text, nl=False)
    elif check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            click.echo(f"{output} is stale: run 'make fidelity' and commit the result", err=True)
            sys.exit(1)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


if __name__ == "__main__":
    model()
