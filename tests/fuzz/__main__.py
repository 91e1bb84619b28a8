"""``python -m tests.fuzz [--requests N] [--seed S]``: the fuzz tier against the real server."""

from __future__ import annotations

import argparse
import sys

from tests.fuzz.run import run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz")
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--stalled", type=int, default=200)
    args = ap.parse_args(argv)
    report = run(args.requests, seed=args.seed, threads=args.threads, stalled=args.stalled)
    print(report.summary())
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
