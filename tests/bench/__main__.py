"""Run the benchmarks: ``python -m tests.bench [--only NAME ...]``.

Each module listed in ``MODULES`` exposes ``run() -> list[dict]`` (rows built with
``tests.bench.timing.result``). The exit status is 0 even when a target is missed: this is a report.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from tests.bench.timing import print_table

# Add new benchmark modules (tests/bench/<name>.py) here.
MODULES = ("codec", "service", "instances", "resources")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", choices=MODULES, metavar="NAME",
                    help=f"run only this benchmark module (repeatable; one of: {', '.join(MODULES)})")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    results: list[dict] = []
    for name in args.only or MODULES:
        print(f"== {name}", flush=True)
        module_results = importlib.import_module(f"tests.bench.{name}").run()
        print_table(module_results)
        print()
        results.extend(module_results)
    missed = [r["name"] for r in results if not r["passed"]]
    print(f"{len(results) - len(missed)}/{len(results)} targets met"
          + (f"; MISS: {', '.join(missed)}" if missed else "")
          + f"  ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
