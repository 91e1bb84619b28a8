"""How far each implemented operation is from the model: the fidelity report (``docs/fidelity.md``).

Per operation: top-level input members honoured / refused / not declared, output members the handler
can fill, documented filters implemented / refused, paginator and waiter support; a summary row per
area and a total. Facts come from ``ec2api_runtime.handler_facts``; the report is deterministic, so
``make check-fidelity`` can tell when it is stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from codegen.model_sources import ModelFiles
from codegen.modeldiff import documented_filters, flatten
from ec2api_runtime.handler_facts import TAG_FILTERS, OperationFacts, area_of
from ec2api_runtime.model_impact import runtime_members, waiter_paths_filled


@dataclass
class OperationFidelity:
    """The fidelity of one implemented operation."""

    operation: str
    area: str
    location: str
    honoured: list[str] = field(default_factory=list)
    partly: list[str] = field(default_factory=list)         # of honoured: for some values only
    by_runtime: list[str] = field(default_factory=list)     # DryRun, ClientToken
    refused: list[str] = field(default_factory=list)
    undeclared: list[str] = field(default_factory=list)
    output_top: list[str] = field(default_factory=list)      # top-level output members
    output_top_filled: list[str] = field(default_factory=list)
    output_paths: int = 0
    output_paths_filled: int = 0
    filters_documented: list[str] = field(default_factory=list)
    filters_implemented: list[str] = field(default_factory=list)
    filters_extra: list[str] = field(default_factory=list)   # accepted, not documented (aliases)
    paginator: bool = False
    pages: bool = False
    waiters: dict[str, list[str]] = field(default_factory=dict)   # name -> names not filled

    @property
    def inputs(self) -> int:
        return len(self.honoured) + len(self.by_runtime) + len(self.refused) + len(self.undeclared)

    @property
    def filters_refused(self) -> list[str]:
        return [f for f in self.filters_documented if f not in self.filters_implemented]


def operation_fidelity(model: ModelFiles, facts: OperationFacts) -> OperationFidelity:
    """The fidelity of one handler against the model."""
    name = facts.operation
    op = model.service["operations"][name]
    shapes = model.service["shapes"]
    out = OperationFidelity(name, area_of(facts), facts.location)
    runtime = runtime_members(model.service, name)
    inputs = list(shapes[op["input"]["shape"]].get("members", {})) if "input" in op else []
    for member in inputs:
        if member in facts.refused:
            out.refused.append(member)
        elif member in facts.reads:
            out.honoured.append(member)
            if member in facts.partly:
                out.partly.append(member)
        elif member in runtime:
            out.by_runtime.append(member)
        elif facts.declared:   # the runtime refuses what a declaring handler does not honour
            out.refused.append(member)
        else:
            out.undeclared.append(member)
    if "output" in op:
        out.output_top = list(shapes[op["output"]["shape"]].get("members", {}))
        out.output_top_filled = [m for m in out.output_top if facts.fills_path(m)]
        paths = flatten(shapes, op["output"]["shape"])
        out.output_paths = len(paths)
        out.output_paths_filled = sum(facts.fills_path(p) for p in paths)
    out.filters_documented = documented_filters(model.service, name)
    out.filters_implemented = [f for f in out.filters_documented if f in facts.filters]
    out.filters_extra = sorted(f for f in facts.filters
                               if f not in out.filters_documented and f not in TAG_FILTERS)
    out.paginator = name in model.paginators.get("pagination", {})
    out.pages = facts.pages
    for wname, waiter in sorted(model.waiters.get("waiters", {}).items()):
        if waiter["operation"] == name:
            out.waiters[wname] = waiter_paths_filled(facts, waiter)
    return out


def report(model: ModelFiles, facts: Mapping[str, OperationFacts]) -> list[OperationFidelity]:
    """Fidelity of every implemented operation the model has, by area then name."""
    rows = [operation_fidelity(model, f) for op, f in facts.items() if op in model.service["operations"]]
    return sorted(rows, key=lambda r: (r.area, r.operation))


# ---------------------------------------------------------------------------------------------
# Markdown

_SUMMARY_HEAD = ("| area | operations | input members: honoured | of which partly | by the runtime | refused "
                 "| not declared | output members filled | filters implemented | paginated | waiters supported |\n"
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def _ratio(a: int, b: int) -> str:
    return f"{a} / {b}" if b else "–"


def _summary_row(label: str, rows: list[OperationFidelity]) -> str:
    def total(attr: str) -> int:
        return sum(len(getattr(r, attr)) for r in rows)
    paths = sum(r.output_paths for r in rows)
    filled = sum(r.output_paths_filled for r in rows)
    waiters = sum(len(r.waiters) for r in rows)
    waiters_ok = sum(1 for r in rows for missing in r.waiters.values() if not missing)
    paged = sum(1 for r in rows if r.paginator and r.pages)
    inputs = sum(r.inputs for r in rows)
    return (f"| {label} | {len(rows)} | {_ratio(total('honoured'), inputs)} | {total('partly')} "
            f"| {total('by_runtime')} "
            f"| {total('refused')} | {total('undeclared')} | {_ratio(filled, paths)} "
            f"| {_ratio(total('filters_implemented'), total('filters_documented'))} "
            f"| {_ratio(paged, sum(r.paginator for r in rows))} | {_ratio(waiters_ok, waiters)} |")


def _names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def _operation_section(r: OperationFidelity) -> list[str]:
    lines = [f"### {r.operation}", "", f"`{r.location}`", ""]
    lines.append(f"- input, {r.inputs} members: honoured {len(r.honoured)} ({_names(r.honoured)})"
                 + (f", for some values only {_names(r.partly)}" if r.partly else "")
                 + (f"; by the runtime {_names(r.by_runtime)}" if r.by_runtime else "")
                 + f"; refused {len(r.refused)} ({_names(r.refused)}); not declared {len(r.undeclared)}"
                 + (f" ({_names(r.undeclared)})" if r.undeclared else ""))
    if r.output_top:
        missing = [m for m in r.output_top if m not in r.output_top_filled]
        lines.append(f"- output: {len(r.output_top_filled)} / {len(r.output_top)} top-level members filled"
                     + (f" (not: {_names(missing)})" if missing else "")
                     + f"; {r.output_paths_filled} / {r.output_paths} member paths")
    else:
        lines.append("- output: none in the model (`<return>true</return>`)")
    if r.filters_documented:
        lines.append(f"- filters: {len(r.filters_implemented)} / {len(r.filters_documented)} implemented; "
                     f"refused: {_names(r.filters_refused)}"
                     + (f"; also accepted: {_names(r.filters_extra)}" if r.filters_extra else ""))
    if r.paginator:
        lines.append(f"- paginator: {'the handler pages' if r.pages else 'the handler does not page'}")
    for name, missing in r.waiters.items():
        lines.append(f"- waiter {name}: " + ("its paths are filled" if not missing
                                                else f"reads {_names(missing)}, not filled"))
    return [*lines, ""]


def markdown(model: ModelFiles, version: str, facts: Mapping[str, OperationFacts]) -> str:
    """The whole report as Markdown."""
    rows = report(model, facts)
    areas: dict[str, list[OperationFidelity]] = {}
    for r in rows:
        areas.setdefault(r.area, []).append(r)
    lines = [
        "# Fidelity of the implemented operations",
        "",
        f"Generated by `make fidelity` from the pinned EC2 model (botocore {version}) and the source of",
        "`handlers/`; `make check-fidelity` (part of `make test`) fails when it is stale. Do not edit.",
        "",
        "Input members come from each handler's declaration (`@handler(..., honours=..., partly=...)`,",
        "`docs/handlers.md`): *honoured* = declared (*partly*: for the sub-members and values its spec",
        "names; the runtime refuses the others); *by the runtime* = `DryRun` and the idempotency token;",
        "*refused* = everything else, refused by the runtime before the handler runs. For a handler",
        "without a declaration they come from static analysis of its code",
        "(`ec2api_runtime/handler_facts.py` says how, and what it cannot see): *honoured* = read,",
        "*refused* = the handler raises when it is present, *not declared* = neither (ignored).",
        "What a handler fills is found by that static analysis: an output member counts as filled when",
        "every name on its path is a key the handler's code writes or reads. Filters are the names each",
        "`Filters` member documents; documented filters a handler does not implement are refused with",
        "`InvalidParameterValue`.",
        "",
        "## Summary",
        "",
        _SUMMARY_HEAD,
        *(_summary_row(area, members) for area, members in areas.items()),
        _summary_row("**total**", rows),
        "",
    ]
    for area, members in areas.items():
        lines += [f"## {area}", ""]
        for r in members:
            lines += _operation_section(r)
    return "\n".join(lines).rstrip("\n") + "\n"
