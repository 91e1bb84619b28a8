"""AWS's protocol test vectors for the ``ec2`` protocol, taken from botocore's sdist.

The suites live in botocore's source distribution (not in the wheel), at
``tests/unit/protocols/{input,output}/ec2.json``. They are fetched with pip for the
*installed* botocore version into ``.cache/botocore-src/`` (git-ignored) on first use,
and reused afterwards. Nothing fetched here is committed.

Each suite entry ("group") carries metadata, shapes and cases; each case names its
operation in ``given``. ``group_model`` turns a group into a full botocore model, which
``generate_packages`` runs through the project's own generator CLI.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import botocore

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "botocore-src"
SUITE_MEMBERS = ("tests/unit/protocols/input/ec2.json", "tests/unit/protocols/output/ec2.json")


class VectorsUnavailable(RuntimeError):
    pass


def botocore_source_dir(version: str | None = None) -> Path:
    """The unpacked part of botocore's sdist we need, fetching it once if missing."""
    version = version or botocore.__version__
    target = CACHE / f"botocore-{version}"
    if all((target / m).exists() for m in SUITE_MEMBERS):
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"botocore-{version}.tar.gz"
    if not sdist.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
               f"botocore=={version}", "-d", str(CACHE)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not sdist.exists():
            raise VectorsUnavailable(
                f"could not fetch botocore {version}'s sdist with pip ({' '.join(cmd)}):\n{proc.stderr[-2000:]}"
            )
    with tarfile.open(sdist) as tar:
        prefix = f"botocore-{version}/"
        members = [m for m in tar.getmembers() if m.name.startswith(prefix + "tests/unit/protocols/")]
        tar.extractall(CACHE, members=members, filter="data")
    if not all((target / m).exists() for m in SUITE_MEMBERS):
        raise VectorsUnavailable(f"{sdist} does not contain {SUITE_MEMBERS}")
    return target


def load_suite(kind: str) -> list[dict]:
    """The ``input`` or ``output`` ec2 suite: a list of groups."""
    path = botocore_source_dir() / "tests" / "unit" / "protocols" / kind / "ec2.json"
    return json.loads(path.read_text(encoding="utf-8"))


def group_model(group: dict) -> dict:
    """A complete botocore service model for one suite group."""
    operations: dict[str, dict] = {}
    for case in group["cases"]:
        given = case["given"]
        prior = operations.setdefault(given["name"], given)
        if prior != given:
            raise ValueError(f"group {group.get('description')!r} defines {given['name']} twice, differently")
    metadata = {
        "endpointPrefix": "protocoltest",
        "serviceId": "EC2 Protocol",
        "signatureVersion": "v4",
        "uid": "ec2-protocol-test",
        **group["metadata"],
    }
    return {"version": "2.0", "metadata": metadata, "operations": operations, "shapes": group["shapes"]}


def package_name(kind: str, index: int) -> str:
    return f"ec2_protocol_{kind}_{index:02d}"


def generate_packages(kind: str, groups: list[dict], out_dir: Path) -> dict[int, object]:
    """Generate (in parallel) and import one codec package per group; returns index -> module."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = {}
    for i, group in enumerate(groups):
        model_path = out_dir / f"{package_name(kind, i)}.json"
        model_path.write_text(json.dumps(group_model(group), indent=1), encoding="utf-8")
        jobs[i] = (model_path, out_dir / package_name(kind, i))

    def run(item):
        i, (model_path, pkg_dir) = item
        cmd = [sys.executable, "-m", "codegen", "--model", str(model_path), "--out", str(pkg_dir)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        return i, proc

    failures = {}
    workers = min(8, (os.cpu_count() or 2) * 2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for i, proc in pool.map(run, jobs.items()):
            if proc.returncode != 0:
                failures[i] = proc.stderr[-3000:]
    if str(out_dir) not in sys.path:
        sys.path.insert(0, str(out_dir))
    modules: dict[int, object] = {}
    for i in jobs:
        if i in failures:
            modules[i] = RuntimeError(f"codegen failed for {kind} group {i}:\n{failures[i]}")
            continue
        try:
            modules[i] = importlib.import_module(package_name(kind, i))
        except Exception as exc:  # reported per case by the tests
            modules[i] = exc
    return modules
