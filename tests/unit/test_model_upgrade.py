"""``make upgrade BOTOCORE=...`` on a copy of the project: the pin moves, the tree regenerates,
``make check-generated`` and ``make check-fidelity`` pass, and the report names the implemented
operations the change touches.

The copy gets a venv of its own that *sees* this one's packages (a ``.pth`` line) instead of
installing them all again, so ``make upgrade`` runs its real install step (pip puts only the other
botocore and boto3, and the editable project, into the copy's venv) in well under a minute, and
this venv keeps its botocore.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import botocore
import pytest

from codegen import model_sources
from codegen import modeldiff as md
from ec2api_runtime.handler_facts import static_facts
from ec2api_runtime.model_impact import assess

ROOT = Path(__file__).resolve().parents[2]
TARGET = "1.43.70"
pytestmark = pytest.mark.upgrade


def _copy_tree(dest: Path) -> None:
    """The project as it is in the working tree: tracked and new files, not ignored ones."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):   # not a git checkout: copy all but local state
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".venv", ".cache", ".cloud", ".git", "__pycache__"))
        return
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def _overlay_venv(clone: Path) -> None:
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(clone / ".venv")], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = clone / ".venv" / "lib" / version / "site-packages"
    (site / "_ec2api_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (clone / ".venv" / ".installed").touch()   # newer than pyproject.toml: up to date until the pin moves


def _make(clone: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MFLAGS")}
    return subprocess.run(["make", "-C", str(clone), *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_make_upgrade_in_a_copy(tmp_path):
    clone = tmp_path / "ec2api"
    _copy_tree(clone)
    _overlay_venv(clone)
    before = sorted(p.name for p in (clone / "generated" / "ec2").glob("*.py"))

    upgrade = _make(clone, "upgrade", f"BOTOCORE={TARGET}")
    assert upgrade.returncode == 0, upgrade.stdout[-3000:] + upgrade.stderr[-3000:]

    pyproject = (clone / "pyproject.toml").read_text()
    assert f'"botocore=={TARGET}"' in pyproject and f'"boto3=={TARGET}"' in pyproject
    provenance = json.loads((clone / "service-models" / "PROVENANCE.json").read_text())
    assert provenance["botocore_version"] == TARGET
    after = sorted(p.name for p in (clone / "generated" / "ec2").glob("*.py"))
    assert after != before     # operations differ between the two releases: the tree regenerated
    for guard in ("check-generated", "check-fidelity"):
        result = _make(clone, guard)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    # The report names exactly the implemented operations the change touches.
    old, new = model_sources.load(str(ROOT / "service-models")), model_sources.load(str(clone / "service-models"))
    touched = sorted({i.change.operation for i in assess(md.diff(old, new), static_facts(ROOT), new)})
    assert {"RunInstances", "DescribeImages", "CreateImage"} <= set(touched)
    report = (clone / ".cache" / "upgrade" / "report.txt").read_text()
    assert report in upgrade.stdout
    assert report.startswith(f"EC2 model diff: botocore {botocore.__version__} ")
    assert f"-> botocore {TARGET} " in report.splitlines()[0]
    assert "  touched implemented operations: " + ", ".join(touched) + "\n" in report
    # This venv still has its own botocore.
    check = subprocess.run([sys.executable, "-c", "import botocore; print(botocore.__version__)"],
                           capture_output=True, text=True, check=True)
    assert check.stdout.strip() == botocore.__version__ != TARGET


def test_set_pins_moves_both_pins_only():
    from codegen.upgrade import current_pins, set_pins

    text = (ROOT / "pyproject.toml").read_text()
    moved = set_pins(text, "1.2.3")
    assert current_pins(moved) == {"botocore": "1.2.3", "boto3": "1.2.3"}
    assert len(moved.splitlines()) == len(text.splitlines())
    with pytest.raises(ValueError):
        set_pins(text, "latest")
    with pytest.raises(ValueError):
        current_pins(text + '\n"botocore==9.9.9"\n')
