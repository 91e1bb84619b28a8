"""The authenticator against the test cloud's real Keystone (``@pytest.mark.cloud``).

Shows: the first request from a key costs Keystone calls and the next 100 cost none; a wrong
secret or an unknown key is ``AuthFailure``; SigV4 (header, GET, presigned) and SigV2 requests
are accepted by Keystone's ``/v3/ec2tokens`` in the form we send them; a deleted credential stops
working once ``credential_ttl`` has passed.

Reading secrets needs ec2api's service user to hold the system-scoped ``reader`` role (see
``ec2api_runtime/auth/keystone.py`` for why: Keystone 30 refuses credential reads to the
``service`` role and to every EC2-derived token). ``service_reads_secrets`` grants it, as an
operator deploying ec2api would (idempotent, additive).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ec2api_runtime.auth import AuthConfig, Authenticator
from ec2api_runtime.errors import EC2Error

pytestmark = pytest.mark.cloud

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1:8788"
FORM = "Action=DescribeRegions&Version=2016-11-15"


def _field(obj, name: str):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


@pytest.fixture(scope="module")
def info(cloud) -> dict:
    state = Path(getattr(cloud, "state_dir", None) or (cloud.get("state_dir") if isinstance(cloud, dict) else None)
                 or ROOT / ".cloud")
    return json.loads((state / "cloud.json").read_text())


def _password_token(keystone: str, user: dict, system: bool = False) -> requests.Response:
    scope = {"system": {"all": True}} if system else {
        "project": {"name": user["project_name"], "domain": {"name": user.get("project_domain_name", "Default")}}}
    return requests.post(f"{keystone}/v3/auth/tokens", timeout=10, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user["username"], "domain": {"name": user.get("user_domain_name", "Default")},
            "password": user["password"]}}},
        "scope": scope}})


def _keystone(info: dict) -> str:
    url = info.get("keystone_url") or info["auth_url"]
    return url.rstrip("/").removesuffix("/v3")


@pytest.fixture(scope="module")
def service_reads_secrets(info) -> None:
    """Give ec2api's service user the system-scoped reader role (what lets it read EC2 secrets)."""
    keystone, svc = _keystone(info), info["ec2api_service_user"]
    if _password_token(keystone, svc, system=True).status_code == 201:
        return
    admin = _password_token(keystone, info["admin"]).headers["X-Subject-Token"]
    h = {"X-Auth-Token": admin}
    user_id = requests.get(f"{keystone}/v3/users", params={"name": svc["username"]}, headers=h,
                           timeout=10).json()["users"][0]["id"]
    role_id = requests.get(f"{keystone}/v3/roles", params={"name": "reader"}, headers=h,
                           timeout=10).json()["roles"][0]["id"]
    r = requests.put(f"{keystone}/v3/system/users/{user_id}/roles/{role_id}", headers=h, timeout=10)
    assert r.status_code in (201, 204), r.text


def make_auth(info: dict, **kw) -> Authenticator:
    svc = info["ec2api_service_user"]
    return Authenticator(AuthConfig(
        keystone_url=info.get("keystone_url") or info["auth_url"],
        service_username=svc["username"], service_password=svc["password"], service_project=svc["project_name"],
        service_user_domain=svc.get("user_domain_name", "Default"),
        service_project_domain=svc.get("project_domain_name", "Default"),
        region=info.get("region", "RegionOne"), **kw))


def wire(prepared):
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else body
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()}
    headers.setdefault("Host", parts.netloc)
    return prepared.method, parts.netloc, parts.path or "/", parse_qsl(parts.query, keep_blank_values=True), \
        headers, body


def signed(access: str, secret: str, kind: str = "v4", form: str = FORM):
    creds = Credentials(access, secret)
    params = dict(parse_qsl(form))
    if kind == "v4":
        req = AWSRequest(method="POST", url=f"http://{HOST}/", data=form,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        botocore.auth.SigV4Auth(creds, "ec2", "RegionOne").add_auth(req)
    elif kind == "v4-get":
        req = AWSRequest(method="GET", url=f"http://{HOST}/", params=params)
        botocore.auth.SigV4Auth(creds, "ec2", "RegionOne").add_auth(req)
    elif kind == "v4-presigned":
        req = AWSRequest(method="GET", url=f"http://{HOST}/", params=params)
        botocore.auth.SigV4QueryAuth(creds, "ec2", "RegionOne", expires=300).add_auth(req)
    elif kind == "v2":
        req = AWSRequest(method="POST", url=f"http://{HOST}/", data=params)
        botocore.auth.SigV2Auth(creds).add_auth(req)
    elif kind == "v2-get":
        req = AWSRequest(method="GET", url=f"http://{HOST}/", params=params)
        botocore.auth.SigV2Auth(creds).add_auth(req)
    else:
        raise ValueError(kind)
    return wire(req.prepare())


def call(a: Authenticator, w):
    return a.authenticate(*w)


def test_first_call_costs_keystone_then_100_cost_nothing(info, demo_ec2_credentials, service_reads_secrets):
    access, secret = _field(demo_ec2_credentials, "access"), _field(demo_ec2_credentials, "secret")
    a = make_auth(info)
    caller = call(a, signed(access, secret))
    first = a.stats()
    assert first["keystone_calls"] >= 2 and first["keystone_calls_by_kind"]["ec2tokens"] == 1
    assert caller.project_id == _field(demo_ec2_credentials, "project_id")
    assert caller.access_key == access and caller.token and caller.expires_at > datetime.now(UTC)
    assert "identity" in caller.catalog
    for i in range(100):
        kind = ("v4", "v4-get", "v4-presigned", "v2", "v2-get")[i % 5]
        assert call(a, signed(access, secret, kind, f"{FORM}&N={i}")) == caller
    after = a.stats()
    assert after["keystone_calls"] == first["keystone_calls"], after
    assert after["cache_hits"] == 100
    # the caller's token is a real project-scoped Keystone token
    keystone = _keystone(info)
    service = _password_token(keystone, info["ec2api_service_user"]).headers["X-Subject-Token"]
    r = requests.get(f"{keystone}/v3/auth/tokens", timeout=10,
                     headers={"X-Auth-Token": service, "X-Subject-Token": caller.token})
    assert r.status_code == 200 and r.json()["token"]["project"]["id"] == caller.project_id


@pytest.mark.parametrize("kind", ["v4", "v4-get", "v4-presigned", "v2", "v2-get"])
def test_keystone_accepts_each_signature_form(info, demo_ec2_credentials, kind):
    access, secret = _field(demo_ec2_credentials, "access"), _field(demo_ec2_credentials, "secret")
    a = make_auth(info)
    caller = call(a, signed(access, secret, kind))
    assert caller.project_id == _field(demo_ec2_credentials, "project_id")
    assert a.stats()["keystone_calls_by_kind"]["ec2tokens"] == 1


def test_projects_are_told_apart(info, demo_ec2_credentials, alt_ec2_credentials):
    a = make_auth(info)
    demo = call(a, signed(_field(demo_ec2_credentials, "access"), _field(demo_ec2_credentials, "secret")))
    alt = call(a, signed(_field(alt_ec2_credentials, "access"), _field(alt_ec2_credentials, "secret")))
    assert demo.project_id != alt.project_id
    assert alt.project_id == _field(alt_ec2_credentials, "project_id")


def test_wrong_secret_is_auth_failure(info, demo_ec2_credentials, service_reads_secrets):
    access = _field(demo_ec2_credentials, "access")
    a = make_auth(info)
    with pytest.raises(EC2Error) as e:  # first contact: Keystone says no
        call(a, signed(access, "not-the-secret"))
    assert (e.value.code, e.value.status) == ("AuthFailure", 401)
    call(a, signed(access, _field(demo_ec2_credentials, "secret")))
    n = a.stats()["keystone_calls"]
    with pytest.raises(EC2Error) as e:  # cached: judged locally, no Keystone call
        call(a, signed(access, "not-the-secret"))
    assert e.value.code == "AuthFailure" and a.stats()["keystone_calls"] == n


def test_unknown_key_is_auth_failure_and_negatively_cached(info):
    a = make_auth(info)
    for _ in range(3):
        with pytest.raises(EC2Error) as e:
            call(a, signed("0" * 32, "x"))
        assert (e.value.code, e.value.status) == ("AuthFailure", 401)
    assert a.stats()["keystone_calls_by_kind"]["ec2tokens"] == 1


def test_deleted_credential_stops_after_ttl(info, service_reads_secrets):
    keystone = _keystone(info)
    clouds = json.loads(Path(info["files"]["clouds_yaml"]).read_text())["clouds"]
    demo = clouds["demo"]["auth"]
    r = _password_token(keystone, demo)
    token, body = r.headers["X-Subject-Token"], r.json()["token"]
    user_id, project_id = body["user"]["id"], body["project"]["id"]
    h = {"X-Auth-Token": token}
    r = requests.post(f"{keystone}/v3/users/{user_id}/credentials/OS-EC2", headers=h,
                      json={"tenant_id": project_id}, timeout=10)
    assert r.status_code == 201, r.text
    access, secret = r.json()["credential"]["access"], r.json()["credential"]["secret"]
    try:
        a = make_auth(info, credential_ttl=2.0)
        call(a, signed(access, secret))
        call(a, signed(access, secret))
        assert a.stats()["cache_hits"] == 1
    finally:
        r = requests.delete(f"{keystone}/v3/users/{user_id}/credentials/OS-EC2/{access}", headers=h, timeout=10)
        assert r.status_code == 204, r.text
    call(a, signed(access, secret))  # still within the TTL: the cache vouches for it
    time.sleep(2.1)
    with pytest.raises(EC2Error) as e:
        call(a, signed(access, secret))
    assert (e.value.code, e.value.status) == ("AuthFailure", 401)
