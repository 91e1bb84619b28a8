"""Copy botocore's EC2 model files into ``service-models/`` and record their provenance.

``python -m codegen.pin_models --dest service-models`` copies from the installed botocore (whose version
is pinned in pyproject.toml, the one place it is set); ``--check`` verifies the pinned files against
the provenance file instead of copying.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

SERVICE = "ec2"
API_VERSION = "2016-11-15"
FILES = ("service-2.json", "paginators-1.json", "waiters-2.json")
PROVENANCE = "PROVENANCE.json"


def _botocore_data_dir() -> tuple[str, Path]:
    import botocore

    return botocore.__version__, Path(botocore.__file__).parent / "data" / SERVICE / API_VERSION


def _read_model_file(directory: Path, name: str) -> bytes:
    plain = directory / name
    if plain.exists():
        return plain.read_bytes()
    return gzip.decompress((directory / f"{name}.gz").read_bytes())


def pin(dest: Path) -> dict:
    """Copy the model files of the installed botocore into ``dest`` and write the provenance file."""
    version, source = _botocore_data_dir()
    target = dest / SERVICE / API_VERSION
    target.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in FILES:
        data = _read_model_file(source, name)
        (target / name).write_bytes(data)
        files[name] = hashlib.sha256(data).hexdigest()
    provenance = {"botocore_version": version, "service": SERVICE, "api_version": API_VERSION, "sha256": files}
    (dest / PROVENANCE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    return provenance


def check(dest: Path) -> list[str]:
    """Problems with the pinned files (empty when they match their provenance)."""
    problems = []
    provenance = json.loads((dest / PROVENANCE).read_text())
    target = dest / SERVICE / API_VERSION
    for name, digest in provenance["sha256"].items():
        path = target / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{path}: sha256 differs from {PROVENANCE}")
    version, _ = _botocore_data_dir()
    if version != provenance["botocore_version"]:
        problems.append(f"installed botocore is {version} but the pinned model is from "
                        f"{provenance['botocore_version']}: run `make regenerate`")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.pin_models", description=__doc__)
    parser.add_argument("--dest", default="service-models", type=Path)
    parser.add_argument("--check", action="store_true", help="verify instead of copying")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.dest)
        for p in problems:
            print(f"pin_models: {p}", file=sys.stderr)
        return 1 if problems else 0
    provenance = pin(args.dest)
    print(f"pin_models: copied EC2 model of botocore {provenance['botocore_version']} to {args.dest}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
