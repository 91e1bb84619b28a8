"""The running service for integration tests: ``ec2api serve`` against the test cloud, and clients.

``ec2api_url`` starts the real server (``ec2api serve``, a subprocess) on a free loopback port with its own
SQLite database; ``ec2_demo``/``ec2_alt`` are boto3 EC2 clients with the test cloud's EC2
credentials; ``aws_cli`` runs the aws CLI against the same server; ``call`` signs requests to the app in this
process, so that the cost tests can record the OpenStack calls a request makes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import boto3
import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from falcon import testing
from lxml import etree

from ec2api_runtime.app import create_app
from ec2api_runtime.config import Config
from ec2api_runtime.db import Database
from tests.integration._kit import FAST

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def cloud_info(cloud) -> dict:
    """The test cloud's cloud.json."""
    path = Path(getattr(cloud, "state_dir", ROOT / ".cloud")) / "cloud.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def ec2api_url(cloud_info, tmp_path_factory) -> str:
    """URL of an ``ec2api serve`` process running against the test cloud for this test session."""
    port = _free_port()
    workdir = tmp_path_factory.mktemp("ec2api")
    env = dict(os.environ, EC2API_DATABASE_URL=f"sqlite:///{workdir / 'state.sqlite'}",
               EC2API_CREDENTIAL_TTL="300",
               # Refuse result keys the output shape lacks (tests/conftest.py sets it for the
               # in-process tests; said again here so that the server's strictness is explicit).
               EC2API_STRICT_RESULTS="1")
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "ec2api"), "serve", "--cloud-json", str(Path(cloud_info["state_dir"]) / "cloud.json"),
         "--port", str(port), "--workers", "1", "--threads", "4"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"ec2api serve did not start:\n{(workdir / 'server.log').read_text()[-3000:]}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _client(url: str, creds: dict, region: str):
    return boto3.client(
        "ec2", endpoint_url=url, region_name=region,
        aws_access_key_id=creds["access"], aws_secret_access_key=creds["secret"],
        config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60))


@pytest.fixture(scope="session")
def ec2_demo(ec2api_url, cloud_info):
    return _client(ec2api_url, cloud_info["ec2_credentials"]["demo"], cloud_info["region"])


@pytest.fixture(scope="session")
def ec2_alt(ec2api_url, cloud_info):
    return _client(ec2api_url, cloud_info["ec2_credentials"]["alt"], cloud_info["region"])


@pytest.fixture(scope="session")
def aws_cli(ec2api_url, cloud_info, tmp_path_factory):
    """Run ``aws --profile P ec2 ...`` against the test server; returns parsed JSON output."""
    home = tmp_path_factory.mktemp("awscli")
    config = home / "config"
    config.write_text("".join(
        f"[profile {p}]\nregion = {cloud_info['region']}\nendpoint_url = {ec2api_url}\noutput = json\n\n"
        for p in ("demo", "alt")))
    credentials = Path(cloud_info["files"]["aws_credentials"])

    def run(profile: str, *args: str, check: bool = True) -> dict | subprocess.CompletedProcess:
        env = dict(os.environ, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials),
                   AWS_MAX_ATTEMPTS="1")
        proc = subprocess.run([str(BIN / "aws"), "--profile", profile, "ec2", *args],
                              capture_output=True, text=True, env=env, timeout=120)
        if not check:
            return proc
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    return run


@pytest.fixture(scope="session")
def image_id(ec2_demo, cloud_info) -> str:
    """The AMI id of the test cloud's image."""
    images = ec2_demo.describe_images(Filters=[{"Name": "name", "Values": [cloud_info["image"]["name"]]}])["Images"]
    assert images, "the test cloud's image is not visible through DescribeImages"
    return images[0]["ImageId"]


@pytest.fixture(scope="module")
def call(cloud_info, tmp_path_factory):
    """A signed request to the app in this process, on its own database: every OpenStack call it
    makes can be recorded (``openstack.HTTP.recording()``). Answers the parsed XML; asserts 200."""
    config = Config.from_cloud_json(Path(cloud_info["state_dir"]) / "cloud.json")
    config.database_url = f"sqlite:///{tmp_path_factory.mktemp('cost') / 'state.sqlite'}"
    db = Database(config.database_url)
    db.upgrade()
    client = testing.TestClient(create_app(config, db=db))
    creds = cloud_info["ec2_credentials"]["demo"]

    def run(**fields):
        body = urlencode({"Version": "2016-11-15", **fields})
        req = AWSRequest(method="POST", url="http://localhost/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        botocore.auth.SigV4Auth(Credentials(creds["access"], creds["secret"]), "ec2",
                                cloud_info["region"]).add_auth(req)
        resp = client.simulate_post("/", body=body, headers=dict(req.headers.items()), host="localhost")
        assert resp.status_code == 200, resp.text
        return etree.fromstring(resp.content)

    return run


@pytest.fixture
def launched(ec2_demo):
    """A list the test appends the instance ids it launches to; they are terminated afterwards."""
    ids: list[str] = []
    yield ids
    if ids:
        ec2_demo.terminate_instances(InstanceIds=ids)
        ec2_demo.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig=FAST)
