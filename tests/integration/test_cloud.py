"""Smoke test of the test cloud itself (tests/cloud): the real OpenStack APIs ec2api builds on.

Through openstacksdk as `demo`: key pair, network, subnet, router with the public gateway,
security group and rule, port, floating IP; a t3.micro server from the image to ACTIVE,
stopped and started, a volume attached and detached; everything deleted.  Then EC2
(SigV4) signature validation through Keystone's /v3/ec2tokens as the ec2api service user,
and project isolation (alt cannot see demo's server).
"""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

pytestmark = pytest.mark.cloud

IMAGE = "ec2api-test-image"


def wait_until(what, fn, timeout=120, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def server_status(conn, server_id):
    return conn.compute.get_server(server_id).status


@pytest.fixture(scope="module")
def demo_server(cloud, demo_conn, alt_conn):
    """Build the whole demo scenario; yield the resources; delete everything afterwards."""
    conn = demo_conn
    net = conn.network
    tag = uuid.uuid4().hex[:8]
    made = {}
    cleanups = []
    try:
        kp = conn.compute.create_keypair(name=f"smoke-{tag}")
        cleanups.append(lambda: conn.compute.delete_keypair(kp, ignore_missing=True))
        made["keypair"] = kp
        assert kp.private_key and kp.public_key.startswith("ssh-")

        network = net.create_network(name=f"smoke-net-{tag}")
        cleanups.append(lambda: net.delete_network(network, ignore_missing=True))
        subnet = net.create_subnet(name=f"smoke-subnet-{tag}", network_id=network.id, ip_version=4,
                                   cidr="10.99.0.0/24")
        cleanups.append(lambda: net.delete_subnet(subnet, ignore_missing=True))
        public = net.find_network("public")
        assert public is not None and public.is_router_external
        router = net.create_router(name=f"smoke-router-{tag}", external_gateway_info={"network_id": public.id})
        cleanups.append(lambda: net.delete_router(router, ignore_missing=True))
        net.add_interface_to_router(router, subnet=subnet.id)
        cleanups.append(lambda: net.remove_interface_from_router(router, subnet=subnet.id))
        assert router.external_gateway_info["network_id"] == public.id

        sg = net.create_security_group(name=f"smoke-sg-{tag}", description="smoke test")
        cleanups.append(lambda: net.delete_security_group(sg, ignore_missing=True))
        rule = net.create_security_group_rule(security_group_id=sg.id, direction="ingress", ethertype="IPv4",
                                              protocol="tcp", port_range_min=22, port_range_max=22,
                                              remote_ip_prefix="0.0.0.0/0")
        assert rule.port_range_min == 22

        port = net.create_port(name=f"smoke-port-{tag}", network_id=network.id, security_group_ids=[sg.id])
        cleanups.append(lambda: net.delete_port(port, ignore_missing=True))
        assert port.fixed_ips and port.fixed_ips[0]["subnet_id"] == subnet.id

        fip = net.create_ip(floating_network_id=public.id)
        cleanups.append(lambda: net.delete_ip(fip, ignore_missing=True))

        image = conn.image.find_image(IMAGE)
        flavor = conn.compute.find_flavor("t3.micro")
        assert image is not None and flavor is not None
        server = conn.compute.create_server(name=f"smoke-vm-{tag}", image_id=image.id, flavor_id=flavor.id,
                                            networks=[{"port": port.id}], key_name=kp.name)
        made["server"] = server
        t0 = time.monotonic()
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180, interval=0.5)
        made["boot_seconds"] = time.monotonic() - t0
        made.update(server=server, network=network, subnet=subnet, router=router, sg=sg, port=port, fip=fip,
                    public=public, flavor=flavor, image=image)
        yield made
    finally:
        errors = []
        if "server" in made:  # the server first: its port and network are in use until it is gone
            try:
                conn.compute.delete_server(made["server"], ignore_missing=True)
                conn.compute.wait_for_delete(made["server"], wait=120)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        for fn in reversed(cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        assert not errors, f"cleanup failed: {errors}"


def test_server_active_with_bound_port(admin_conn, demo_server):
    server = demo_server["server"]
    assert server.status == "ACTIVE"
    assert server.flavor["original_name"] == "t3.micro"
    port = admin_conn.network.get_port(demo_server["port"].id)  # binding details are admin-only
    assert port.device_id == server.id
    assert port.binding_vif_type == "ovs", "port should be bound by ML2/openvswitch"
    print(f"server ACTIVE after {demo_server['boot_seconds']:.1f}s")


def test_floating_ip_associates(demo_conn, demo_server):
    net = demo_conn.network
    fip = net.update_ip(demo_server["fip"], port_id=demo_server["port"].id)
    assert fip.port_id == demo_server["port"].id
    assert fip.fixed_ip_address == demo_server["port"].fixed_ips[0]["ip_address"]
    fip = net.update_ip(fip, port_id=None)
    assert fip.port_id is None


def test_stop_start(demo_conn, demo_server):
    conn = demo_conn
    server = demo_server["server"]
    conn.compute.stop_server(server)
    wait_until("SHUTOFF", lambda: server_status(conn, server.id) == "SHUTOFF")
    conn.compute.start_server(server)
    wait_until("ACTIVE", lambda: server_status(conn, server.id) == "ACTIVE")


def test_volume_attach_detach(demo_conn, demo_server):
    conn = demo_conn
    server = demo_server["server"]
    vol = conn.block_storage.create_volume(size=1, name=f"smoke-vol-{uuid.uuid4().hex[:6]}")
    try:
        conn.block_storage.wait_for_status(vol, status="available", wait=120, interval=0.5)
        conn.compute.create_volume_attachment(server, volume_id=vol.id)
        conn.block_storage.wait_for_status(vol, status="in-use", wait=120, interval=0.5)
        attachments = list(conn.compute.volume_attachments(server))
        assert any(a.volume_id == vol.id for a in attachments)
        conn.compute.delete_volume_attachment(server, vol.id)
        conn.block_storage.wait_for_status(vol, status="available", wait=120, interval=0.5)
    finally:
        conn.block_storage.delete_volume(vol, ignore_missing=True)
        conn.block_storage.wait_for_delete(vol, wait=120)


def test_alt_cannot_see_demo_server(alt_conn, demo_server):
    server = demo_server["server"]
    assert server.id not in {s.id for s in alt_conn.compute.servers()}
    assert alt_conn.compute.find_server(server.id) is None
    assert demo_server["port"].id not in {p.id for p in alt_conn.network.ports()}


def _signed_ec2tokens_body(creds, region, body=b"Action=DescribeRegions&Version=2016-11-15"):
    """SigV4-sign an EC2 query request the way an AWS client would; return the /v3/ec2tokens body."""
    host = "127.0.0.1:8788"
    req = AWSRequest(method="POST", url=f"http://{host}/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Host": host})
    SigV4Auth(Credentials(creds.access, creds.secret), "ec2", region).add_auth(req)
    auth = req.headers["Authorization"]
    signature = auth.split("Signature=")[1].strip()
    return {"credentials": {
        "access": creds.access,
        "signature": signature,
        "host": host,
        "verb": "POST",
        "path": "/",
        "params": {},
        "headers": {k: v for k, v in req.headers.items()},
        "body_hash": hashlib.sha256(body).hexdigest(),
    }}


def test_ec2tokens_sigv4(cloud, service_conn, demo_ec2_credentials):
    token = service_conn.session.get_token()
    url = f"{cloud.auth_url}/ec2tokens"
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}

    body = _signed_ec2tokens_body(demo_ec2_credentials, cloud.region)
    r = requests.post(url, json=body, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    tok = r.json()["token"]
    assert tok["project"]["id"] == demo_ec2_credentials.project_id
    assert tok["user"]["name"] == "demo"
    assert r.headers.get("X-Subject-Token")

    bad = _signed_ec2tokens_body(demo_ec2_credentials, cloud.region)
    sig = bad["credentials"]["signature"]
    bad["credentials"]["signature"] = ("0" if sig[0] != "0" else "1") + sig[1:]
    r = requests.post(url, json=bad, headers=headers, timeout=30)
    assert r.status_code == 401, r.text

    # Without the service user's token, Keystone 30 refuses even a valid signature.
    r = requests.post(url, json=_signed_ec2tokens_body(demo_ec2_credentials, cloud.region), timeout=30)
    assert r.status_code == 401, r.text


def test_cloud_files(cloud):
    text = cloud.aws_credentials.read_text()
    assert "[demo]" in text and "[alt]" in text
    cfg = cloud.aws_config.read_text()
    assert "[profile demo]" in cfg and f"region = {cloud.region}" in cfg
    assert "endpoint_url = http://127.0.0.1:8788" in cfg
    for key in ("auth_url", "region", "ec2api_service_user", "ec2_credentials", "database"):
        assert key in cloud.data
    assert cloud.db_url.startswith("mysql+pymysql://")


def test_flavors_and_image(demo_conn):
    names = {f.name for f in demo_conn.compute.flavors()}
    assert {"t3.nano", "t3.micro", "t3.small", "t3.medium", "m5.large"} <= names
    image = demo_conn.image.find_image(IMAGE)
    assert image is not None and image.status == "active" and image.visibility == "public"
