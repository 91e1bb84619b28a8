"""Shared timing helpers for the benchmarks: medians with warm-up, and one aligned report row each."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def time_runs(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> list[float]:
    """Call ``fn`` ``warmup`` times untimed, then ``repeat`` times; return each run's seconds."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def median_ms(runs: list[float]) -> float:
    return statistics.median(runs) * 1000.0


def result(name: str, ms: float, *, baseline_ms: float | None = None, target: str,
           passed: bool, note: str = "") -> dict:
    """One benchmark result row (``ratio`` is ours / baseline when there is a baseline)."""
    ratio = ms / baseline_ms if baseline_ms else None
    return {"name": name, "median_ms": ms, "baseline_ms": baseline_ms, "ratio": ratio,
            "target": target, "passed": passed, "note": note}


HEADER = ("benchmark", "median ms", "baseline ms", "ratio", "target", "result")
_WIDTHS = (44, 11, 12, 8, 18, 6)


def _row(cells: tuple[str, ...]) -> str:
    first, *rest = cells
    return "  ".join([first.ljust(_WIDTHS[0])] + [c.rjust(w) for c, w in zip(rest, _WIDTHS[1:], strict=True)])


def format_row(r: dict) -> str:
    base = f"{r['baseline_ms']:.2f}" if r.get("baseline_ms") is not None else "-"
    ratio = f"{r['ratio']:.3f}" if r.get("ratio") is not None else "-"
    line = _row((r["name"], f"{r['median_ms']:.2f}", base, ratio, r["target"], "PASS" if r["passed"] else "MISS"))
    return line + (f"   ({r['note']})" if r.get("note") else "")


def print_table(results: list[dict]) -> None:
    print(_row(HEADER))
    print(_row(tuple("-" * w for w in _WIDTHS)))
    for r in results:
        print(format_row(r), flush=True)
