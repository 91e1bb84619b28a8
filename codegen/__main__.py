"""``python -m codegen --model PATH/service-2.json --out DIR/NAME``: write the codec package NAME."""

from __future__ import annotations

import argparse
import sys
import time

from codegen.generate import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--model", required=True, help="botocore service-2.json (or .json.gz), protocol ec2")
    parser.add_argument("--out", required=True, help="package directory to (re)write, e.g. generated/ec2")
    parser.add_argument("--package", help="dotted import name of the package (default: derived from --out "
                                          "and the __init__.py files above it)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = generate(args.model, args.out, package=args.package)
    print(f"codegen: wrote {len(files)} files to {args.out} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
