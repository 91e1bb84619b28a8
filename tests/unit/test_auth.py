"""Unit tests of ec2api_runtime.auth: signatures made by botocore's own signers, clock skew,
presigned URLs, SigV2, malformed auth, and the caching authenticator against a fake Keystone
(which checks signatures with Keystone's own algorithm, re-implemented here from its source)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import boto3
import botocore.auth
import pytest
import requests
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

from ec2api_runtime.auth import AuthConfig, Authenticator, Caller, parse_request, sigv2, sigv4
from ec2api_runtime.auth.keystone import credential_id
from ec2api_runtime.errors import EC2Error

ACCESS, SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90", "0f9e8d7c6b5a49382716051a2b3c4d5e"
HOST = "127.0.0.1:8788"
FORM = "Action=DescribeRegions&Version=2016-11-15&RegionName.1=RegionOne"


# --- signing with botocore ---------------------------------------------------------------------------

def _wire(prepared) -> tuple[str, str, str, list[tuple[str, str]], dict[str, str], bytes]:
    parts = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()}
    headers.setdefault("Host", parts.netloc)  # what the HTTP client adds on the wire
    return (prepared.method, parts.netloc, parts.path or "/", parse_qsl(parts.query, keep_blank_values=True),
            headers, body)


def sign_v4(access=ACCESS, secret=SECRET, region="RegionOne", service="ec2", form=FORM, method="POST",
            when: datetime | None = None):
    req = AWSRequest(method=method, url=f"http://{HOST}/", data=form if method == "POST" else None,
                     params=None if method == "POST" else dict(parse_qsl(form)),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
                     if method == "POST" else {})
    signer = botocore.auth.SigV4Auth(Credentials(access, secret), service, region)
    if when is not None:
        _freeze(signer, when)
    signer.add_auth(req)
    return _wire(req.prepare())


def sign_v4_query(access=ACCESS, secret=SECRET, expires=300, when: datetime | None = None, form=FORM):
    req = AWSRequest(method="GET", url=f"http://{HOST}/", params=dict(parse_qsl(form)))
    signer = botocore.auth.SigV4QueryAuth(Credentials(access, secret), "ec2", "RegionOne", expires=expires)
    if when is not None:
        _freeze(signer, when)
    signer.add_auth(req)
    return _wire(req.prepare())


def sign_v2(access=ACCESS, secret=SECRET, method="POST", form=FORM, timestamp: str | None = None,
            signature_method="HmacSHA256"):
    params = dict(parse_qsl(form))
    req = AWSRequest(method=method, url=f"http://{HOST}/", data=params if method == "POST" else None,
                     params=params if method == "GET" else None)
    botocore.auth.SigV2Auth(Credentials(access, secret)).add_auth(req)
    target = req.data if method == "POST" else req.params
    if timestamp is not None or signature_method != "HmacSHA256":
        if timestamp is not None:
            target["Timestamp"] = timestamp
        target["SignatureMethod"] = signature_method
        sts = sigv2.string_to_sign(method, HOST, "/", [(k, v) for k, v in target.items() if k != "Signature"])
        target["Signature"] = sigv2.sign(secret, sts, signature_method)
    return _wire(req.prepare())


def _freeze(signer, when: datetime) -> None:
    orig = signer.add_auth

    def add_auth(request):
        import botocore.auth as ba
        saved = ba.get_current_datetime
        ba.get_current_datetime = lambda: when.replace(tzinfo=None)
        try:
            orig(request)
        finally:
            ba.get_current_datetime = saved
    signer.add_auth = add_auth


def verify(wire, secret=SECRET, now=None) -> bool:
    method, host, path, query, headers, body = wire
    try:
        signed = parse_request(method, host, path, query, headers, body)
        signed.check_time(now or datetime.now(UTC), 900)
    except EC2Error:
        return False
    return signed.verify(secret)


# --- the pure verifiers ------------------------------------------------------------------------------

@pytest.mark.parametrize("signer", [sign_v4, sign_v4_query, sign_v2,
                                    lambda: sign_v2(method="GET"), lambda: sign_v4(method="GET"),
                                    lambda: sign_v2(signature_method="HmacSHA1")],
                         ids=["v4-header", "v4-presigned", "v2-post", "v2-get", "v4-get", "v2-sha1"])
def test_botocore_signatures_verify_and_any_byte_change_fails(signer):
    wire = signer()
    assert verify(wire)
    assert not verify(wire, secret=SECRET[:-1] + "0")
    method, host, path, query, headers, body = wire
    for i in range(len(body)):  # every single-byte change of the body
        changed = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1:]
        assert not verify((method, host, path, query, headers, changed)), (i, changed)
    for n, (k, v) in enumerate(query):  # every single-byte change of every query value
        for i in range(len(v)):
            nv = v[:i] + chr(ord(v[i]) ^ 0x01) + v[i + 1:]
            q = [*query[:n], (k, nv), *query[n + 1:]]
            assert not verify((method, host, path, q, headers, body)), (k, nv)
    for name, value in headers.items():  # every byte of every header that is signed or carries auth
        if name.lower() in ("content-length", "user-agent"):
            continue
        key_at = value.find(ACCESS) if name.lower() == "authorization" else -1
        for i in range(len(value)):
            if key_at <= i < key_at + len(ACCESS):
                continue  # another access key: judged with that key's secret (the authenticator's job)
            nv = value[:i] + chr(ord(value[i]) ^ 0x01) + value[i + 1:]
            h = {**headers, name: nv}
            if name.lower() == "content-type" and signer is sign_v2:
                continue  # SigV2 does not sign headers
            assert not verify((method, host, path, query, h, body)), (name, nv)


def test_boto3_client_request_verifies():
    captured = []

    def grab(request, **kwargs):
        captured.append(request)
        resp = AWSResponse(request.url, 200, {}, None)
        resp._content = (b'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                         b"<requestId>x</requestId><regionInfo/></DescribeRegionsResponse>")
        return resp

    client = boto3.client("ec2", endpoint_url=f"http://{HOST}", region_name="RegionOne",
                          aws_access_key_id=ACCESS, aws_secret_access_key=SECRET)
    client.meta.events.register("before-send.ec2.*", grab)
    client.describe_regions(RegionNames=["RegionOne"], Filters=[{"Name": "x y/z", "Values": ["ü*&="]}])
    assert verify(_wire(captured[0]))
    assert not verify(_wire(captured[0]), secret="nope")


def test_any_scope_region_and_service_accepted_but_bound():
    for region, service in (("RegionOne", "ec2"), ("us-east-1", "ec2"), ("elsewhere", "other")):
        wire = sign_v4(region=region, service=service)
        assert verify(wire)
        method, host, path, query, headers, body = wire
        forged = headers["Authorization"].replace(f"/{region}/", "/RegionTwo/")
        assert not verify((method, host, path, query, {**headers, "Authorization": forged}, body))


def test_clock_skew_header():
    now = datetime.now(UTC).replace(microsecond=0)
    assert verify(sign_v4(when=now - timedelta(minutes=14)), now=now)
    assert verify(sign_v4(when=now + timedelta(minutes=14)), now=now)
    for delta in (timedelta(minutes=16), -timedelta(minutes=16)):
        method, host, path, query, headers, body = sign_v4(when=now - delta)
        signed = parse_request(method, host, path, query, headers, body)
        with pytest.raises(EC2Error) as e:
            signed.check_time(now, 900)
        assert (e.value.code, e.value.status) == ("RequestExpired", 400)


def test_presigned_expiry():
    now = datetime.now(UTC).replace(microsecond=0)
    assert verify(sign_v4_query(expires=3600, when=now - timedelta(minutes=50)), now=now)
    for wire in (sign_v4_query(expires=60, when=now - timedelta(minutes=2)),
                 sign_v4_query(expires=60, when=now + timedelta(minutes=16))):
        with pytest.raises(EC2Error) as e:
            parse_request(*wire).check_time(now, 900)
        assert e.value.code == "RequestExpired"
    method, host, path, query, headers, body = sign_v4_query()
    long = [(k, "604801" if k == "X-Amz-Expires" else v) for k, v in query]
    with pytest.raises(EC2Error) as e:
        parse_request(method, host, path, long, headers, body)
    assert e.value.code == "IncompleteSignature"
    short = [(k, v) for k, v in query if k != "X-Amz-Credential"]
    with pytest.raises(EC2Error) as e:
        parse_request(method, host, path, short, headers, body)
    assert e.value.code == "IncompleteSignature" and "X-Amz-Credential" in e.value.message


def test_sigv2_timestamp_and_expires():
    now = datetime.now(UTC).replace(microsecond=0)
    old = (now - timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    wire = sign_v2(timestamp=old)
    assert parse_request(*wire).verify(SECRET)
    with pytest.raises(EC2Error) as e:
        parse_request(*wire).check_time(now, 900)
    assert e.value.code == "RequestExpired"
    ok = (now - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert verify(sign_v2(timestamp=ok), now=now)
    exp = sigv2.parse_sigv2("GET", HOST, "/", [("AWSAccessKeyId", ACCESS), ("SignatureVersion", "2"),
                                               ("SignatureMethod", "HmacSHA256"), ("Signature", "x"),
                                               ("Expires", (now - timedelta(seconds=1)).isoformat())])
    with pytest.raises(EC2Error) as e:
        exp.check_time(now, 900)
    assert e.value.code == "RequestExpired"


@pytest.mark.parametrize(("headers", "query", "code", "status"), [
    ({}, [], "AuthFailure", 401),
    ({"Authorization": "AWS AKID:c2ln"}, [], "AuthFailure", 401),
    ({"Authorization": "AWS4-HMAC-SHA512 Credential=a/20260101/r/ec2/aws4_request"}, [], "AuthFailure", 401),
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/r/ec2/aws4_request, SignedHeaders=host",
      "X-Amz-Date": "20260101T000000Z"}, [], "IncompleteSignature", 400),
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/r/ec2/aws4_request, SignedHeaders=host, "
                       "Signature=00"}, [], "IncompleteSignature", 400),
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=a/2026/r/ec2/aws4_request, SignedHeaders=host, "
                       "Signature=00", "X-Amz-Date": "20260101T000000Z"}, [], "IncompleteSignature", 400),
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=a/20260101/r/ec2/aws4_request, SignedHeaders=x-amz-date, "
                       "Signature=00", "X-Amz-Date": "20260101T000000Z"}, [], "IncompleteSignature", 400),
    ({"Authorization": "AWS4-HMAC-SHA256 Credential=a/20260102/r/ec2/aws4_request, SignedHeaders=host, "
                       "Signature=00", "X-Amz-Date": "20260101T000000Z"}, [], "AuthFailure", 401),
    ({}, [("AWSAccessKeyId", "a"), ("SignatureVersion", "1"), ("Signature", "x")], "AuthFailure", 401),
    ({}, [("AWSAccessKeyId", "a"), ("SignatureVersion", "2"), ("SignatureMethod", "HmacSHA256"),
          ("Signature", "x")], "MissingParameter", 400),
    ({}, [("AWSAccessKeyId", "a"), ("SignatureVersion", "2"), ("SignatureMethod", "HmacSHA256"),
          ("Timestamp", "2026-01-01T00:00:00Z")], "MissingParameter", 400),
    ({}, [("AWSAccessKeyId", "a"), ("SignatureVersion", "2"), ("SignatureMethod", "HmacMD5"),
          ("Signature", "x"), ("Timestamp", "2026-01-01T00:00:00Z")], "AuthFailure", 401),
    ({}, [("X-Amz-Algorithm", "AWS4-HMAC-SHA256")], "IncompleteSignature", 400),
])
def test_malformed_auth(headers, query, code, status):
    with pytest.raises(EC2Error) as e:
        parse_request("GET", HOST, "/", query, {"Host": HOST, **headers}, b"")
    assert (e.value.code, e.value.status) == (code, status)


def test_declared_payload_hash_must_match_body():
    method, host, path, query, headers, body = sign_v4()
    declared = hashlib.sha256(body).hexdigest()
    req = AWSRequest(method="POST", url=f"http://{HOST}/", data=FORM,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                              "X-Amz-Content-SHA256": declared})
    botocore.auth.SigV4Auth(Credentials(ACCESS, SECRET), "ec2", "RegionOne").add_auth(req)
    method, host, path, query, headers, body = _wire(req.prepare())
    assert verify((method, host, path, query, headers, body))
    swapped = b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-0123456789abcdef0"
    with pytest.raises(EC2Error) as e:
        parse_request(method, host, path, query, headers, swapped)
    assert e.value.code == "AuthFailure"
    unsigned = {**headers, "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    with pytest.raises(EC2Error):
        parse_request(method, host, path, query, unsigned, body)


def test_sigv2_in_post_form_body():
    method, host, path, query, headers, body = sign_v2()
    assert b"AWSAccessKeyId" in body and not query
    assert isinstance(parse_request(method, host, path, query, headers, body), sigv2.SigV2Request)


def test_sigv4_canonical_pieces():
    assert sigv4.canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.canonical_query([("b", "2"), ("a", "x y"), ("a", "1")]) == "a=1&a=x%20y&b=2"
    assert sigv4.trimall("  a   b \t c ") == "a b c"


# --- a fake Keystone ---------------------------------------------------------------------------------

class FakeResponse:
    def __init__(self, status: int, body: dict | None = None, headers: dict | None = None):
        self.status_code = status
        self.headers = headers or {}
        self._body = body or {}
        self.text = json.dumps(self._body)

    def json(self):
        return self._body


def _err(status: int, message: str) -> FakeResponse:
    return FakeResponse(status, {"error": {"code": status, "message": message}})


def keystone_signature(secret: str, c: dict) -> str:
    """Keystone's Ec2Signer (keystoneclient.contrib.ec2.utils), v2 and v4, from its source."""
    params = dict(c["params"])

    def qs(p):
        return "&".join(f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(str(p[k]), safe='-_~')}"
                        for k in sorted(p))
    if params.get("SignatureVersion") == "2":
        params["SignatureMethod"] = "HmacSHA256"  # Keystone forces SHA-256
        sts = f"{c['verb']}\n{c['host']}\n{c['path']}\n{qs(params)}"
        return base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha256).digest()).decode()
    headers = c["headers"]

    def auth_param(name):
        if "Authorization" in headers:
            return headers["Authorization"].partition(f"{name}=")[2].split(",")[0]
        return params.get(f"X-Amz-{name}")
    lower = {k.lower().strip(): v.strip() for k, v in headers.items()}
    signed = auth_param("SignedHeaders")
    ch = "\n".join(f"{h}:{lower[h]}" for h in signed.split(";") if h in lower) + "\n"
    cqs = "" if c["verb"].upper() == "POST" else qs(params)
    cr = "\n".join((c["verb"].upper(), c["path"], cqs, ch, signed, c["body_hash"]))
    cred = auth_param("Credential").split("/")
    date = headers.get("X-Amz-Date") or params.get("X-Amz-Date")
    sts = "\n".join(("AWS4-HMAC-SHA256", date, "/".join(cred[1:]), hashlib.sha256(cr.encode()).hexdigest()))
    k = hmac.new(b"AWS4" + secret.encode(), cred[1].encode(), hashlib.sha256).digest()
    for part in (cred[2], cred[3], "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


class FakeKeystone:
    """Enough of Keystone 30 for the authenticator: tokens, ec2tokens, credentials, with its policies."""

    def __init__(self):
        self.creds: dict[str, tuple[str, str, str]] = {ACCESS: (SECRET, "user-1", "project-1")}
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.tokens: dict[str, str] = {}  # token -> kind: project | system | caller
        self.allow_project_read = False  # Keystone 30 default: service role may not read credentials
        self.allow_system = True  # the service user holds system reader
        self.caller_token_lifetime = timedelta(hours=4)
        self.down: type[Exception] | None = None
        self.status_override: int | None = None
        self.revoke_next_service_token = False
        self.n = 0

    def _token(self, kind: str) -> str:
        with self.lock:
            self.n += 1
            tok = f"{kind}-token-{self.n}"
            self.tokens[tok] = kind
        return tok

    def request(self, method, url, headers=None, json=None, timeout=None, **kw):
        assert timeout is not None
        path = urlsplit(url).path
        with self.lock:
            self.calls.append(f"{method} {path}")
        if self.down is not None:
            raise self.down("keystone is down")
        if self.status_override:
            return _err(self.status_override, "boom")
        now = datetime.now(UTC)
        if method == "POST" and path == "/v3/auth/tokens":
            system = "system" in json["auth"]["scope"]
            if system and not self.allow_system:
                return _err(401, "The request you have made requires authentication.")
            tok = self._token("system" if system else "project")
            body = {"token": {"issued_at": now.isoformat(), "expires_at": (now + timedelta(hours=1)).isoformat(),
                              "user": {"id": "svc"}, "roles": [{"name": "service"}]}}
            return FakeResponse(201, body, {"X-Subject-Token": tok})
        kind = self.tokens.get((headers or {}).get("X-Auth-Token", ""))
        if self.revoke_next_service_token and kind == "project":
            self.revoke_next_service_token = False
            self.tokens.pop(headers["X-Auth-Token"])
            kind = None
        if kind is None:
            return _err(401, "The request you have made requires authentication.")
        if method == "POST" and path == "/v3/ec2tokens":
            if kind not in ("project", "system"):
                return _err(403, "You are not authorized to perform the requested action: identity:ec2tokens_validate")
            c = json["credentials"]
            if c["access"] not in self.creds:
                return _err(404, "EC2 access key not found.")
            secret, user, project = self.creds[c["access"]]
            if not hmac.compare_digest(keystone_signature(secret, c), c["signature"]):
                return _err(401, "Invalid EC2 signature.")
            tok = self._token("caller")
            body = {"token": {
                "expires_at": (now + self.caller_token_lifetime).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                "user": {"id": user}, "project": {"id": project, "name": "demo", "domain": {"id": "default"}},
                "roles": [{"name": "member"}, {"name": "reader"}],
                "catalog": [
                    {"type": "compute", "endpoints": [
                        {"interface": "public", "region_id": "RegionOne", "url": "http://nova/v2.1"},
                        {"interface": "internal", "region_id": "RegionOne", "url": "http://nova-int/v2.1"},
                        {"interface": "public", "region_id": "RegionTwo", "url": "http://nova2/v2.1"}]},
                    {"type": "volumev3", "endpoints": [
                        {"interface": "public", "region_id": "RegionOne", "url": "http://cinder/v3"}]},
                ]}}
            return FakeResponse(200, body, {"X-Subject-Token": tok})
        if method == "GET" and path.startswith("/v3/credentials/"):
            if kind == "caller":
                return _err(403, "Delegated tokens cannot access credentials directly")
            if kind == "project" and not self.allow_project_read:
                return _err(403, "You are not authorized to perform the requested action: identity:get_credential")
            for access, (secret, user, project) in self.creds.items():
                if credential_id(access) == path.rsplit("/", 1)[1]:
                    blob = {"access": access, "secret": secret, "trust_id": None, "project_id": project}
                    return FakeResponse(200, {"credential": {"type": "ec2", "user_id": user, "project_id": project,
                                                             "blob": json_dumps(blob)}})
            return _err(404, "Could not find credential.")
        return _err(404, "no such path")

    def count(self, what: str = "") -> int:
        return sum(1 for c in self.calls if what in c)


json_dumps = json.dumps


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make(ks: FakeKeystone | None = None, **cfg) -> tuple[Authenticator, FakeKeystone, Clock]:
    ks = ks or FakeKeystone()
    clock = Clock()
    config = AuthConfig(keystone_url="http://keystone:5000", service_username="ec2api",
                        service_password="pw", service_project="service", **cfg)
    return Authenticator(config, http=ks, clock=clock), ks, clock


def auth(a: Authenticator, wire, now=None) -> Caller:
    method, host, path, query, headers, body = wire
    return a.authenticate(method, host, path, query, headers, body, now=now)


def test_first_call_asks_keystone_then_100_cost_nothing():
    a, ks, _ = make()
    caller = auth(a, sign_v4())
    assert caller.access_key == ACCESS and caller.user_id == "user-1" and caller.project_id == "project-1"
    assert caller.domain_id == "default" and caller.project_name == "demo" and caller.token.startswith("caller-")
    assert caller.roles == ("member", "reader")
    assert caller.catalog == {"compute": "http://nova/v2.1", "volumev3": "http://cinder/v3",
                              "block-storage": "http://cinder/v3"}
    assert ks.count("ec2tokens") == 1 and ks.count("/v3/credentials/") >= 1
    first = a.stats()["keystone_calls"]
    assert first == len(ks.calls)
    for i in range(100):
        signer = (sign_v4, sign_v4_query, sign_v2)[i % 3]
        assert auth(a, signer(form=f"Action=DescribeRegions&Version=2016-11-15&N={i}")) == caller
    s = a.stats()
    assert s["keystone_calls"] == first == len(ks.calls)
    assert s["cache_hits"] == 100


def test_secret_lookup_ladder_remembers_what_works():
    a, ks, _ = make()
    auth(a, sign_v4())
    # the project-scoped service token is refused (Keystone 30 policy), the system-scoped one works
    assert ks.count("GET /v3/credentials/") == 2
    assert a.stats()["secret_lookup_methods"] == ["system", "caller"]
    ks.creds["other"] = ("other-secret", "user-2", "project-2")
    auth(a, sign_v4(access="other", secret="other-secret"))
    assert ks.count("GET /v3/credentials/") == 3  # straight to the system token


def test_project_scoped_service_token_used_when_policy_allows():
    ks = FakeKeystone()
    ks.allow_project_read = True
    a, ks, _ = make(ks)
    auth(a, sign_v4())
    assert ks.count("GET /v3/credentials/") == 1 and ks.count("POST /v3/auth/tokens") == 1


def test_no_token_may_read_secrets_degrades_to_ec2tokens_per_request():
    ks = FakeKeystone()
    ks.allow_system = False
    a, ks, _ = make(ks)
    for _ in range(3):
        auth(a, sign_v4())
    assert ks.count("ec2tokens") == 3
    assert a.stats()["secret_lookup_methods"] == []
    reads = ks.count("GET /v3/credentials/")
    auth(a, sign_v4())
    assert ks.count("GET /v3/credentials/") == reads  # refused methods are not retried at once


def test_wrong_secret_on_cached_key_fails_locally():
    a, ks, _ = make()
    auth(a, sign_v4())
    n = len(ks.calls)
    for _ in range(10):
        with pytest.raises(EC2Error) as e:
            auth(a, sign_v4(secret="wrong"))
        assert (e.value.code, e.value.status) == ("AuthFailure", 401)
    assert len(ks.calls) == n and a.stats()["local_rejects"] == 10


def test_wrong_secret_first_contact_is_keystones_call_and_not_cached():
    a, ks, _ = make()
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4(secret="wrong"))
    assert e.value.code == "AuthFailure" and ks.count("ec2tokens") == 1
    auth(a, sign_v4())  # the key itself is fine: no negative caching of a known key


def test_unknown_key_negative_cache():
    a, ks, clock = make()
    for _ in range(5):
        with pytest.raises(EC2Error) as e:
            auth(a, sign_v4(access="unknown"))
        assert e.value.code == "AuthFailure"
    assert ks.count("ec2tokens") == 1 and a.stats()["negative_hits"] == 4
    clock.t += 6
    with pytest.raises(EC2Error):
        auth(a, sign_v4(access="unknown"))
    assert ks.count("ec2tokens") == 2


def test_deleted_credential_stops_after_credential_ttl():
    a, ks, clock = make(credential_ttl=30)
    auth(a, sign_v4())
    del ks.creds[ACCESS]
    clock.t += 29
    auth(a, sign_v4())  # still trusted within the TTL
    clock.t += 2
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4())
    assert e.value.code == "AuthFailure"
    n = ks.count("ec2tokens")
    with pytest.raises(EC2Error):
        auth(a, sign_v4())
    assert ks.count("ec2tokens") == n  # now negatively cached


def test_stale_entry_is_refreshed_and_bad_signature_on_stale_entry_asks_keystone():
    a, ks, clock = make(credential_ttl=30)
    first = auth(a, sign_v4())
    clock.t += 31
    with pytest.raises(EC2Error):
        auth(a, sign_v4(secret="wrong"))
    assert ks.count("ec2tokens") == 2
    second = auth(a, sign_v4())
    assert ks.count("ec2tokens") == 3 and second.token != first.token
    auth(a, sign_v4())
    assert ks.count("ec2tokens") == 3


def test_caller_token_refreshed_before_expiry():
    ks = FakeKeystone()
    ks.caller_token_lifetime = timedelta(seconds=400)
    a, ks, _ = make(ks)  # token_margin 300, capped at half the lifetime: 200 s
    now = datetime.now(UTC)
    first = auth(a, sign_v4(when=now), now=now)
    auth(a, sign_v4(when=now + timedelta(seconds=150)), now=now + timedelta(seconds=150))
    assert ks.count("ec2tokens") == 1
    later = now + timedelta(seconds=250)
    second = auth(a, sign_v4(when=later), now=later)
    assert ks.count("ec2tokens") == 2 and second.token != first.token


@pytest.mark.parametrize("exc", [requests.ConnectionError, requests.Timeout])
def test_keystone_unreachable_is_503_and_warm_keys_keep_working(exc):
    a, ks, _ = make()
    auth(a, sign_v4())
    ks.down = exc
    auth(a, sign_v4())  # cached: no Keystone needed
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4(access="other"))
    assert (e.value.code, e.value.status) == ("Unavailable", 503)
    ks.down = None
    ks.creds["other"] = ("s2", "u2", "p2")
    auth(a, sign_v4(access="other", secret="s2"))


def test_keystone_server_error_is_503():
    a, ks, _ = make()
    ks.status_override = 502
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4())
    assert (e.value.code, e.value.status) == ("Unavailable", 503)


def test_service_user_without_service_role_is_503():
    a, ks, _ = make()
    auth(a, sign_v4())
    orig = ks.request

    def refuse(method, url, **kw):
        if url.endswith("/ec2tokens"):
            ks.calls.append("POST /v3/ec2tokens")
            return _err(403, "You are not authorized to perform the requested action: identity:ec2tokens_validate")
        return orig(method, url, **kw)
    ks.request = refuse
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4(access="other"))
    assert (e.value.code, e.value.status) == ("Unavailable", 503)


def test_revoked_service_token_is_replaced_once():
    a, ks, _ = make()
    auth(a, sign_v4())
    ks.revoke_next_service_token = True
    ks.creds["other"] = ("s2", "u2", "p2")
    auth(a, sign_v4(access="other", secret="s2"))
    assert ks.count("POST /v3/auth/tokens") >= 2


def test_service_token_reused():
    a, ks, _ = make()
    for i in range(5):
        ks.creds[f"k{i}"] = (f"s{i}", f"u{i}", f"p{i}")
        auth(a, sign_v4(access=f"k{i}", secret=f"s{i}"))
    # one project-scoped and one system-scoped token for the service user, reused for every key
    assert ks.count("POST /v3/auth/tokens") == 2


def test_sigv2_and_presigned_first_contact_go_through_keystone_format():
    # the fake checks the ec2tokens payload with Keystone's own algorithm
    for wire in (sign_v2(), sign_v2(method="GET"), sign_v4_query(), sign_v4(method="GET")):
        a, ks, _ = make()
        auth(a, wire)
        assert ks.count("ec2tokens") == 1


def test_concurrent_first_requests_make_one_keystone_round_trip():
    a, ks, _ = make()
    wires = [sign_v4(form=f"Action=DescribeRegions&Version=2016-11-15&N={i}") for i in range(32)]
    barrier = threading.Barrier(len(wires))
    results, errors = [], []

    def run(w):
        barrier.wait()
        try:
            results.append(auth(a, w))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(w,)) for w in wires]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 32
    assert ks.count("ec2tokens") == 1 and a.stats()["cache_hits"] == 31


def test_request_expired_before_any_keystone_call():
    a, ks, _ = make()
    now = datetime.now(UTC)
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4(when=now - timedelta(minutes=20)), now=now)
    assert e.value.code == "RequestExpired" and not ks.calls


def test_keystone_url_with_or_without_v3():
    for url in ("http://k:5000", "http://k:5000/", "http://k:5000/v3", "http://k:5000/v3/"):
        a = Authenticator(AuthConfig(keystone_url=url, service_username="u", service_password="p",
                                     service_project="s"), http=FakeKeystone())
        assert a.keystone.base == "http://k:5000/v3"


# --- hostile dates and foreign scopes (answered before any credential is checked) ---------------

def test_dates_beyond_the_representable_range_are_client_errors_not_crashes():
    a, ks, _ = make()
    method, host, path, query, headers, body = sign_v4()
    headers = {k: v for k, v in headers.items() if k.lower() != "x-amz-date"}
    headers["Date"] = "Fri, 31 Dec 9999 23:59:59 -2359"
    with pytest.raises(EC2Error) as e:
        a.authenticate(method, host, path, query, headers, body)
    assert e.value.status < 500 and not ks.calls
    form = "Action=DescribeRegions&Version=2016-11-15"
    method, host, path, query, headers, body = sign_v2(form=form, timestamp="9999-12-31T23:59:59-23:59")
    with pytest.raises(EC2Error) as e:
        a.authenticate(method, host, path, query, headers, body)
    assert e.value.status < 500 and not ks.calls


@pytest.mark.parametrize(("region", "service", "named"), [
    ("us-east-1", "ec2", "'RegionOne'"), ("RegionOne", "s3", "'ec2'"), ("RegionOne", "sts", "'ec2'")])
def test_a_signature_scoped_to_another_region_or_service_is_refused(region, service, named):
    a, ks, _ = make()
    with pytest.raises(EC2Error) as e:
        auth(a, sign_v4(region=region, service=service))
    assert e.value.code == "AuthFailure" and named in e.value.message and not ks.calls
    assert auth(a, sign_v4()).project_id   # the right scope still works
