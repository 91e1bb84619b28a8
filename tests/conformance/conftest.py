"""Conformance-tier summary: how many operations pass in each direction."""

from __future__ import annotations

import re

_COUNTED = {
    "input round trip": re.compile(r"test_roundtrip\.py::test_input_roundtrip\["),
    "output round trip": re.compile(r"test_roundtrip\.py::test_output_roundtrip\["),
    "strict XML": re.compile(r"test_strict_xml\.py::test_strict_output_xml\["),
    "protocol vectors (input)": re.compile(r"test_protocol_vectors\.py::test_input_vector\["),
    "protocol vectors (output)": re.compile(r"test_protocol_vectors\.py::test_output_vector\["),
}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", None) and outcome in ("passed",):
                continue
            for label, pattern in _COUNTED.items():
                if pattern.search(nodeid):
                    bucket = counts.setdefault(label, {})
                    bucket[outcome] = bucket.get(outcome, 0) + 1
    if not counts:
        return
    terminalreporter.section("conformance summary")
    for label, bucket in counts.items():
        total = sum(bucket.values())
        detail = ", ".join(f"{k} {v}" for k, v in sorted(bucket.items()) if k != "passed")
        terminalreporter.write_line(
            f"{label}: {bucket.get('passed', 0)}/{total} passed" + (f" ({detail})" if detail else "")
        )
