"""End-to-end tier: Ansible's amazon.aws collection (a client nobody here wrote) against a real
``ec2api serve`` on the test cloud.

The service and the boto3 clients are the integration tier's fixtures (tests/integration/conftest.py).
``ansible`` runs playbooks of tests/e2e/playbooks with ``ansible-playbook`` in phases: each phase is
run twice, the first must succeed and the second must change nothing (``changed=0``). A failed task
fails the test with the module's own message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import cloud_info, ec2_alt, ec2_demo, ec2api_url  # noqa: F401  (fixtures)

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
BIN = Path(sys.executable).parent
RUNS: list[Run] = []     # every ansible-playbook run of the session, for the summary
# The installed ``ansible`` package keeps its collections (amazon.aws among them) beside itself.
SITE = Path(__import__("ansible_collections").__path__[0]).parent


@dataclass
class Run:
    """One ``ansible-playbook`` run, from the ansible.posix.json callback's report."""

    command: str
    stats: dict
    changed_tasks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return sum(s.get("changed", 0) for s in self.stats.values())


def _failure_text(task: str, result: dict) -> str:
    """A failed task as a user reads it: the task's name and the module's message (and AWS's error)."""
    parts = [str(result.get("msg", ""))]
    error = (result.get("error") or {}) if isinstance(result.get("error"), dict) else {}
    if error.get("code"):
        parts.append(f"[{error['code']}: {error.get('message', '')}]")
    if result.get("assertion"):
        parts.append(f"assertion: {result['assertion']}")
    if result.get("module_stderr"):     # the module crashed: its last words
        parts.append(result["module_stderr"].strip().splitlines()[-1])
    return f"{task}: " + " ".join(p for p in parts if p)


class Ansible:
    """Runs the tier's playbooks against the service with the demo project's EC2 credentials."""

    def __init__(self, workdir: Path, extra_vars: dict) -> None:
        self.workdir = workdir
        self.vars_file = workdir / "vars.json"
        self.vars_file.write_text(json.dumps(extra_vars))
        home = workdir / "home"
        home.mkdir(exist_ok=True)
        self.env = dict(
            os.environ,
            ANSIBLE_HOME=str(home), ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
            ANSIBLE_COLLECTIONS_PATH=str(SITE), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_FORKS="1",
            # No AWS settings of the developer's own may leak in: the playbooks name everything.
            AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_MAX_ATTEMPTS="1",
        )
        # What the inventory configuration playbooks/e2e.aws_ec2.yml reads (inventory plugins do
        # not see extra vars).
        self.env.update(E2E_EC2_ENDPOINT=extra_vars["ec2_endpoint"], E2E_EC2_REGION=extra_vars["ec2_region"],
                        E2E_EC2_ACCESS_KEY=extra_vars["ec2_access_key"],
                        E2E_EC2_SECRET_KEY=extra_vars["ec2_secret_key"], E2E_RUN_ID=extra_vars["run_id"])
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
            self.env.pop(key, None)

    def playbook(self, name: str, *, inventory: str = "localhost,", check: bool = True, **variables) -> Run:
        """Run ``playbooks/<name>`` once; with ``check``, fail the test on any failed task.

        ``inventory`` names a file of playbooks/ (an inventory plugin's configuration) or is a
        host list."""
        if (PLAYBOOKS / inventory).is_file():
            inventory = str(PLAYBOOKS / inventory)
        cmd = [str(BIN / "ansible-playbook"), "-i", inventory, "-e", f"@{self.vars_file}",
               "-e", json.dumps(variables), str(PLAYBOOKS / name)]
        label = f"{name} {' '.join(f'{k}={str(v)[:40]!r}' for k, v in variables.items())}".strip()
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=self.workdir, timeout=900)
        run = self._report(label, proc)
        run.seconds = time.monotonic() - started
        RUNS.append(run)
        # Failures of tasks with ignore_errors or rescued by a block are not failures of the run
        # (the stats count them apart), but their messages are shown when the run fails.
        failed = any(st.get("failures") or st.get("unreachable") for st in run.stats.values())
        if check and (proc.returncode != 0 or failed or not run.stats):
            pytest.fail(f"ansible-playbook {label} failed (exit {proc.returncode}):\n  "
                        + "\n  ".join(run.failures or [proc.stderr[-3000:] or proc.stdout[-3000:]]),
                        pytrace=False)
        return run

    def converge(self, name: str, idempotent: bool = True, **variables) -> Run:
        """Run a phase twice: the second run must report ``changed=0`` (unless ``idempotent`` is
        False, for a phase whose module acts every time by design, e.g. ``state: restarted``)."""
        first = self.playbook(name, **variables)
        second = self.playbook(name, **variables)
        if idempotent:
            assert second.changed == 0, (
                f"second run of {first.command} changed {second.changed}: {second.changed_tasks}")
        return first

    def inventory(self, config: str) -> dict:
        """``ansible-inventory --list`` of an inventory plugin configuration in playbooks/."""
        proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(PLAYBOOKS / config), "--list"],
                              capture_output=True, text=True, env=self.env, cwd=self.workdir, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)

    @staticmethod
    def _report(label: str, proc: subprocess.CompletedProcess) -> Run:
        try:
            report = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            return Run(label, {}, failures=[f"no report from ansible-playbook: {proc.stderr[-3000:]}"])
        run = Run(label, report.get("stats") or {})
        for play in report.get("plays") or []:
            for task in play.get("tasks") or []:
                name = task["task"]["name"]
                for result in (task.get("hosts") or {}).values():
                    if result.get("changed"):
                        run.changed_tasks.append(name)
                    if result.get("failed") or result.get("unreachable"):
                        run.failures.append(_failure_text(name, result))
        return run


@pytest.fixture(scope="session")
def run_id() -> str:
    """Names of this session's resources start with it (other sessions share the test cloud)."""
    return f"e2e-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def test_image_id(ec2_demo, cloud_info) -> str:  # noqa: F811
    """The ``ami-`` id of the test cloud's public image."""
    return ec2_demo.describe_images(
        Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"][0]["ImageId"]


@pytest.fixture(scope="session")
def subnet_id(ec2_demo) -> str:  # noqa: F811
    """The ``subnet-`` id of the demo project's default subnet (in its default VPC), as a user
    finds it: DescribeSubnets ``default-for-az``."""
    subnets = ec2_demo.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert subnets, "the demo project has no default subnet"
    return sorted(subnets, key=lambda s: s["SubnetId"])[0]["SubnetId"]


@pytest.fixture(scope="session")
def ansible(ec2api_url, cloud_info, run_id, test_image_id, tmp_path_factory) -> Ansible:  # noqa: F811
    """The runner, with the variables every playbook's ``module_defaults`` use."""
    demo = cloud_info["ec2_credentials"]["demo"]
    workdir = tmp_path_factory.mktemp("ansible")
    return Ansible(workdir, {"work_dir": str(workdir),
        "ec2_endpoint": ec2api_url, "ec2_region": cloud_info["region"],
        "ec2_access_key": demo["access"], "ec2_secret_key": demo["secret"],
        "run_id": run_id, "test_image_name": cloud_info["image"]["name"], "test_image_id": test_image_id,
    })


def pytest_terminal_summary(terminalreporter) -> None:
    """How long the playbooks took: the tier's cost, phase by phase."""
    if not RUNS:
        return
    terminalreporter.section("ansible-playbook runs")
    for run in RUNS:
        terminalreporter.write_line(f"{run.seconds:6.1f}s  changed={run.changed:<3d} {run.command}")
    terminalreporter.write_line(f"{sum(r.seconds for r in RUNS):6.1f}s  in {len(RUNS)} runs")
