"""pytest plugin: the real test cloud (tests/cloud) as session-scoped fixtures.

Registered by tests/conftest.py.  The first fixture that needs the cloud runs
``bash tests/cloud/cloud.sh up`` (idempotent; about a second when the cloud already
runs).  A cloud that cannot start fails the tests that need it: it never skips them.

Fixtures:
  cloud                 CloudInfo (state dir, auth URL, region, file paths, raw cloud.json)
  admin_conn, demo_conn, alt_conn, service_conn
                        openstack.connection.Connection for clouds admin, demo, alt, ec2api
  demo_ec2_credentials, alt_ec2_credentials
                        Ec2Credentials(access, secret, project_id, user_id, ...)
  ec2api_service_auth   dict: the ec2api service user's credentials (for keystoneauth)
  cloud_db_url          SQLAlchemy URL of the empty `ec2api` MariaDB database
  cloud_aws_env         dict of AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE for subprocesses

Environment:
  EC2API_CLOUD_DIR      state directory (default: <checkout>/.cloud)
  EC2API_CLOUD_NO_START=1  do not start the cloud; fail if it is not already up
  EC2API_CLOUD_PORT_OFFSET shift all of the cloud's ports (see tests/cloud/README.md)
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CLOUD_SH = ROOT / "tests" / "cloud" / "cloud.sh"


def state_dir() -> Path:
    return Path(os.environ.get("EC2API_CLOUD_DIR") or ROOT / ".cloud").resolve()


@dataclasses.dataclass(frozen=True)
class Ec2Credentials:
    access: str
    secret: str
    project_id: str
    user_id: str
    project_name: str
    username: str


@dataclasses.dataclass(frozen=True)
class CloudInfo:
    state_dir: Path
    auth_url: str
    keystone_url: str
    region: str
    clouds_yaml: Path
    aws_credentials: Path
    aws_config: Path
    cloud_json: Path
    data: dict  # the whole of cloud.json

    def ec2_credentials(self, project: str) -> Ec2Credentials:
        return Ec2Credentials(**self.data["ec2_credentials"][project])

    @property
    def ec2api_service_user(self) -> dict:
        return dict(self.data["ec2api_service_user"])

    @property
    def db_url(self) -> str:
        return self.data["database"]["ec2api"]["url"]

    def connect(self, cloud_name: str):
        """A new openstacksdk Connection for one of the clouds in clouds.yaml."""
        import openstack.config

        config = openstack.config.OpenStackConfig(config_files=[str(self.clouds_yaml)])
        import openstack.connection

        return openstack.connection.Connection(config=config.get_one(cloud=cloud_name))


def _bring_up() -> None:
    if os.environ.get("EC2API_CLOUD_NO_START"):
        return
    proc = subprocess.run(["bash", str(CLOUD_SH), "up"], cwd=str(ROOT), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        pytest.fail(f"the test cloud did not start (cloud.sh up exited {proc.returncode}):\n"
                    f"{proc.stdout[-6000:]}", pytrace=False)
    # Show the start-up log only when it did something (-s shows it).
    if "already running" not in proc.stdout:
        sys.stderr.write(proc.stdout)


def load_cloud_info() -> CloudInfo:
    state = state_dir()
    path = state / "cloud.json"
    if not path.exists() or not (state / "ready").exists():
        pytest.fail(f"the test cloud is not ready: {path} or {state / 'ready'} is missing "
                    f"(run: bash tests/cloud/cloud.sh up)", pytrace=False)
    data = json.loads(path.read_text())
    return CloudInfo(state_dir=state, auth_url=data["auth_url"], keystone_url=data["keystone_url"],
                     region=data["region"], clouds_yaml=state / "clouds.yaml",
                     aws_credentials=state / "aws-credentials", aws_config=state / "aws-config",
                     cloud_json=path, data=data)


@pytest.fixture(scope="session")
def cloud() -> CloudInfo:
    _bring_up()
    return load_cloud_info()


@pytest.fixture(scope="session")
def admin_conn(cloud):
    conn = cloud.connect("admin")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def demo_conn(cloud):
    conn = cloud.connect("demo")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def alt_conn(cloud):
    conn = cloud.connect("alt")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def service_conn(cloud):
    """The ec2api service user (project `service`, role `service`)."""
    conn = cloud.connect("ec2api")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def demo_ec2_credentials(cloud) -> Ec2Credentials:
    return cloud.ec2_credentials("demo")


@pytest.fixture(scope="session")
def alt_ec2_credentials(cloud) -> Ec2Credentials:
    return cloud.ec2_credentials("alt")


@pytest.fixture(scope="session")
def ec2api_service_auth(cloud) -> dict:
    return {"auth_url": cloud.auth_url, **{k: v for k, v in cloud.ec2api_service_user.items() if k != "roles"}}


@pytest.fixture(scope="session")
def cloud_db_url(cloud) -> str:
    return cloud.db_url


@pytest.fixture(scope="session")
def cloud_aws_env(cloud) -> dict:
    return {"AWS_CONFIG_FILE": str(cloud.aws_config), "AWS_SHARED_CREDENTIALS_FILE": str(cloud.aws_credentials)}
