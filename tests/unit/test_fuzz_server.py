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
    # A leak grows with the requests; the first requests still load generated operation modules
    # and openstacksdk proxies (the worker grew 40-65 MiB after the warm-up, then ~1 MiB in the
    # second half here). So the second half's growth per request is bounded: 8 KiB a request is
    # 12 MiB over 1,500, far below what keeping any request's body or answer would cost. `make fuzz`
    # (100,000 requests) is the long run.
    assert report.growth_per_request_kb() < 8, report.summary()
