"""The fuzz tier in the README's test command: a few thousand generated hostile requests through the
real HTTP server (``make fuzz`` sends 100,000; see tests/fuzz)."""

from __future__ import annotations

from tests.fuzz.run import run


def test_hostile_requests_through_the_real_server_get_quick_xml_client_errors():
    report = run(3000, seed=7, threads=4, stalled=100)
    print(report.summary())
    assert report.ok(), report.summary()
    assert report.requests == 3000
    assert report.by_status[413] > 0 and report.by_status[400] > 1000   # the classes reached their checks
    assert report.rss_end_kb - report.rss_start_kb < 64 * 1024, report.summary()
