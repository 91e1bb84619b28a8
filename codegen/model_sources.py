"""Where a model comes from: a path to ``service-2.json`` or a botocore version fetched with pip.

A version is downloaded once (``pip download botocore==X --no-deps``) into a cache directory and read
straight from the wheel; it is never installed. botocore ships each model file either plain or as
``.json.gz`` depending on the release, so both spellings are read.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from codegen.model import load_json
from codegen.pin_models import API_VERSION, PROVENANCE, SERVICE

VERSION_RE = re.compile(r"\d+\.\d+\.\d+")
DEFAULT_CACHE = Path(".cache/botocore")
_WHEEL_DIR = f"botocore/data/{SERVICE}/{API_VERSION}"


@dataclass
class ModelFiles:
    """One EC2 model: the service definition with its paginators and waiters (empty when absent)."""

    label: str                 # what the user named: a version or a path
    service: dict
    paginators: dict = field(default_factory=dict)
    waiters: dict = field(default_factory=dict)


def cache_dir() -> Path:
    """The wheel cache: ``$EC2API_BOTOCORE_CACHE``, else ``.cache/botocore`` under the working directory."""
    return Path(os.environ.get("EC2API_BOTOCORE_CACHE") or DEFAULT_CACHE)


def botocore_wheel(version: str, cache: Path | None = None) -> Path:
    """The cached wheel of botocore ``version``, downloaded with pip when it is not there yet."""
    cache = cache or cache_dir()
    wheel = cache / f"botocore-{version}-py3-none-any.whl"
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        # Download beside the cache and rename: a concurrent reader never sees half a wheel.
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            # The project's own interpreter runs pip: the same index configuration as every install.
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary",
                            ":all:", "-d", tmp, f"botocore=={version}"], check=True)
            fetched = Path(tmp) / wheel.name
            if not fetched.exists():
                raise FileNotFoundError(f"pip did not download {wheel.name}")
            os.replace(fetched, wheel)
    return wheel


def _from_wheel(wheel: zipfile.ZipFile, name: str) -> dict | None:
    names = set(wheel.namelist())
    for candidate, unpack in ((f"{_WHEEL_DIR}/{name}", bytes), (f"{_WHEEL_DIR}/{name}.gz", gzip.decompress)):
        if candidate in names:
            return json.loads(unpack(wheel.read(candidate)))
    return None


def from_version(version: str, cache: Path | None = None) -> ModelFiles:
    """The EC2 model of a botocore release, read from its (cached) wheel."""
    with zipfile.ZipFile(botocore_wheel(version, cache)) as wheel:
        service = _from_wheel(wheel, "service-2.json")
        if service is None:
            raise FileNotFoundError(f"botocore {version} has no {SERVICE} {API_VERSION} model")
        return ModelFiles(version, service, _from_wheel(wheel, "paginators-1.json") or {},
                          _from_wheel(wheel, "waiters-2.json") or {})


def _sibling(directory: Path, name: str) -> dict:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.exists():
            return load_json(candidate)
    return {}


def from_path(path: str | Path) -> ModelFiles:
    """The model at ``path``: a ``service-2.json`` (or ``.gz``) with its siblings, or a directory holding
    one (``service-models`` works: its ``ec2/2016-11-15`` is looked into)."""
    path = Path(path)
    if path.is_dir():
        nested = path / SERVICE / API_VERSION
        path = next((d / n for d in (path, nested) for n in ("service-2.json", "service-2.json.gz")
                     if (d / n).exists()), path / "service-2.json")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file")
    label = str(path)
    provenance = path.parent.parent.parent / PROVENANCE   # a pinned copy names its botocore version
    if provenance.exists():
        label = f"botocore {json.loads(provenance.read_text())['botocore_version']} ({path})"
    return ModelFiles(label, load_json(path), _sibling(path.parent, "paginators-1.json"),
                      _sibling(path.parent, "waiters-2.json"))


def load(spec: str, cache: Path | None = None) -> ModelFiles:
    """A model named by a botocore version (``1.44.5``) or a path; an existing path wins."""
    if VERSION_RE.fullmatch(spec) and not Path(spec).exists():
        return from_version(spec, cache)
    return from_path(spec)
