"""Move the botocore pin: ``python -m codegen.upgrade --botocore X.Y.Z [--pyproject pyproject.toml]``.

pyproject.toml is the one place the version is set: ``botocore==`` in the dependencies and the
matching ``boto3==`` of the test extra (boto3 and botocore share version numbers). ``make upgrade``
runs this, then re-pins ``service-models/``, regenerates and prints the model diff.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from codegen.model_sources import VERSION_RE

_PIN = re.compile(r'"(botocore|boto3)==([^"]+)"')


def current_pins(text: str) -> dict[str, str]:
    """``{"botocore": version, "boto3": version}`` as pinned in pyproject.toml's text."""
    pins: dict[str, str] = {}
    for name, version in _PIN.findall(text):
        if name in pins:
            raise ValueError(f"{name} is pinned more than once")
        pins[name] = version
    missing = {"botocore", "boto3"} - pins.keys()
    if missing:
        raise ValueError(f"no {' or '.join(sorted(missing))} pin found")
    return pins


def set_pins(text: str, version: str) -> str:
    """pyproject.toml's text with botocore and boto3 pinned to ``version``."""
    if not VERSION_RE.fullmatch(version):
        raise ValueError(f"{version!r} is not a botocore version (x.y.z)")
    current_pins(text)
    return _PIN.sub(lambda m: f'"{m.group(1)}=={version}"', text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.upgrade", description=__doc__)
    parser.add_argument("--botocore", required=True, help="the version to pin, e.g. 1.44.8")
    parser.add_argument("--pyproject", default="pyproject.toml", type=Path)
    args = parser.parse_args(argv)
    text = args.pyproject.read_text(encoding="utf-8")
    before = current_pins(text)["botocore"]
    args.pyproject.write_text(set_pins(text, args.botocore), encoding="utf-8")
    print(f"upgrade: botocore and boto3 pinned to {args.botocore} (was {before}) in {args.pyproject}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
