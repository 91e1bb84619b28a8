"""Fetch (once) and unpack parts of botocore's source distribution, for test vectors.

The sdist of the *installed* botocore version is downloaded with pip into
``.cache/botocore-src/`` (other test modules may fetch the same file there; an existing,
readable tarball is reused). Subtrees are unpacked into their own directories, each made
visible by an atomic rename, under an exclusive lock file, so concurrent test processes
(pytest-xdist, parallel sessions) never see half a file or half a tree.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

import botocore

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "botocore-src"
VERSION = botocore.__version__


@contextmanager
def _locked():
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _readable(path: Path) -> bool:
    try:
        with tarfile.open(path) as tf:
            tf.getmember(f"botocore-{VERSION}/setup.py")
        return True
    except (OSError, tarfile.TarError, KeyError):
        return False


def sdist() -> Path:
    """Path of ``botocore-<installed version>.tar.gz``, downloading it if needed."""
    tarball = CACHE / f"botocore-{VERSION}.tar.gz"
    if tarball.exists() and _readable(tarball):
        return tarball
    with _locked():
        if tarball.exists() and _readable(tarball):
            return tarball
        tmp = Path(tempfile.mkdtemp(dir=CACHE, prefix=".download-"))
        try:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                 "--quiet", f"botocore=={VERSION}", "-d", str(tmp)],
                check=True, timeout=600,
            )
            got = tmp / tarball.name
            if not _readable(got):
                raise RuntimeError(f"downloaded {got} is not a readable botocore sdist")
            os.replace(got, tarball)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return tarball


def subtree(inner: str) -> Path:
    """Unpack ``botocore-<v>/<inner>`` from the sdist (once) and return its directory."""
    name = inner.strip("/").replace("/", "__")
    target = CACHE / f"unpacked-{VERSION}" / name
    if target.is_dir():
        return target
    tarball = sdist()
    with _locked():
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
        try:
            prefix = f"botocore-{VERSION}/{inner.strip('/')}/"
            with tarfile.open(tarball) as tf:
                members = [m for m in tf.getmembers() if m.name.startswith(prefix) and (m.isfile() or m.isdir())]
                if not members:
                    raise RuntimeError(f"{prefix} is not in {tarball}")
                tf.extractall(tmp, members=members, filter="data")
            os.rename(tmp / prefix, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def aws4_testsuite() -> Path:
    """AWS's SigV4 test suite as shipped in botocore's sdist (``tests/unit/auth/aws4_testsuite``)."""
    return subtree("tests/unit/auth/aws4_testsuite")
