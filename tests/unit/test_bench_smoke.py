"""The benchmark code runs (tiny sizes, one repeat) and its sanity checks hold; speed is not asserted."""

from __future__ import annotations

from tests.bench import __main__ as bench_main
from tests.bench import codec
from tests.bench.timing import format_row, result


def _check_row(row: dict) -> None:
    assert row["median_ms"] > 0
    assert isinstance(row["passed"], bool)
    assert format_row(row).startswith(row["name"])


def test_describe_instances_roundtrips_through_botocore():
    data = codec.describe_instances_result(instances=5, reservations=2)
    assert [len(r["Instances"]) for r in data["Reservations"]] == [3, 2]
    body, _, _ = codec.check_describe_instances(data)  # botocore's parse == input, request id kept
    assert "Zürich".encode() in body and b"&amp;" in body and b"&lt;" in body


def test_bench_describe_instances_tiny():
    row = codec.bench_describe_instances(instances=5, reservations=2, repeat=1, baseline_repeat=1)
    _check_row(row)
    assert row["baseline_ms"] > 0 and row["ratio"] is not None


def test_run_instances_form_parses_back_to_params():
    params = codec.run_instances_params()
    form = codec.check_run_instances(params)  # our parse of botocore's form == params
    assert form["TagSpecification.2.ResourceType"] == "volume"


def test_bench_run_instances_tiny():
    _check_row(codec.bench_run_instances(repeat=1, warmup=0))


def test_bench_cold_import_tiny():
    _check_row(codec.bench_cold_import(repeat=1))


def test_main_runs_selected_modules(monkeypatch, capsys):
    monkeypatch.setattr(codec, "run", lambda: [result("tiny", 1.0, baseline_ms=4.0, target="ratio <= 0.1",
                                                      passed=False)])
    assert bench_main.main(["--only", "codec"]) == 0  # a missed target still exits 0
    out = capsys.readouterr().out
    assert "tiny" in out and "MISS" in out and "0/1 targets met" in out
