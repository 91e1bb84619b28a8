"""Smoke test of the test cloud itself (tests/cloud): the real OpenStack APIs ec2api builds on.

Through openstacksdk as `demo`: key pair, network, subnet, router with the public gateway,
security group and rule, port, floating IP; a t3.micro server from the image to ACTIVE,
stopped and started, a volume attached and detached; everything deleted.  Then EC2
(SigV4) signature validation through Keystone's /v3/ec2tokens as the ec2api service user,
and project isolation (alt cannot see demo's server).  Last, storage that holds data: volumes
from an image and a snapshot carry the image's bytes, boot from an image volume, instance snapshots.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid

import openstack.exceptions
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


# ---- storage that holds data: the test cloud's own Cinder file driver and compute driver
# (tests/cloud/drivers).  Against the cloud as `make cloud-up` starts it these use its defaults.
# To run them against extra service processes beside a running cloud (how the drivers were tried
# before they became the defaults), point them there:
#   EC2API_CLOUD_TEST_VOLUME_TYPE   the Cinder volume type of the data-holding backend
#   EC2API_CLOUD_TEST_COMPUTE_HOST  boot on this nova-compute host (as admin: AZ "nova:HOST")
#   EC2API_CLOUD_TEST_FLAVOR        flavor of those servers (default t3.micro)

GiB = 1024 ** 3
# ASCII lines: a raw image Glance accepts (no MBR signature 0x55AA) that no blank disk holds.
PAYLOAD = b"".join(b"ec2api test cloud payload %08d\n" % i for i in range(32768))[:1024 * 1024]


def _sha256_padded(payload: bytes, size: int) -> str:
    """sha256 of payload followed by zeros up to size: a raw disk written with it."""
    h = hashlib.sha256(payload)
    zeros = bytes(1024 * 1024)
    left = size - len(payload)
    while left > 0:
        h.update(zeros[:min(left, len(zeros))])
        left -= len(zeros)
    return h.hexdigest()


def _download_sha256(conn, image) -> str:
    h = hashlib.sha256()
    for chunk in conn.image.download_image(image, stream=True).iter_content(1024 * 1024):
        h.update(chunk)
    return h.hexdigest()


def _wait_image(conn, image_id, timeout=180):
    return wait_until(f"image {image_id} active",
                      lambda: (im := conn.image.get_image(image_id)).status == "active" and im, timeout)


@pytest.fixture(scope="module")
def storage(admin_conn, demo_conn):
    """Who creates the storage tests' resources, where, and a private image holding PAYLOAD."""
    host = os.environ.get("EC2API_CLOUD_TEST_COMPUTE_HOST")
    conn = admin_conn if host else demo_conn
    vtype = os.environ.get("EC2API_CLOUD_TEST_VOLUME_TYPE")
    flavor = conn.compute.find_flavor(os.environ.get("EC2API_CLOUD_TEST_FLAVOR", "t3.micro"))
    tag = uuid.uuid4().hex[:8]
    image = conn.image.create_image(name=f"storage-src-{tag}", disk_format="raw", container_format="bare",
                                    visibility="private", data=PAYLOAD)
    image = _wait_image(conn, image.id)
    assert image.size == len(PAYLOAD)
    try:
        yield {"conn": conn, "tag": tag, "image": image, "flavor": flavor,
               "volume_type": {"volume_type": vtype} if vtype else {},
               "server": {"availability_zone": f"nova:{host}"} if host else {}}
    finally:
        conn.image.delete_image(image, ignore_missing=True)


def test_volume_from_image_and_snapshot_hold_the_bytes(storage):
    """image -> volume -> snapshot -> volume -> image: the last image is the first one's bytes on a 1 GiB disk."""
    conn, tag, bs = storage["conn"], storage["tag"], storage["conn"].block_storage
    made = []
    try:
        t0 = time.monotonic()
        vol = bs.create_volume(size=1, image_id=storage["image"].id, name=f"storage-a-{tag}",
                               **storage["volume_type"])
        made.append(("volume", vol))
        vol = bs.wait_for_status(vol, status="available", failures=["error"], wait=180, interval=0.5)
        t_image = time.monotonic() - t0
        assert vol.is_bootable
        snap = bs.create_snapshot(volume_id=vol.id, name=f"storage-s-{tag}")
        made.append(("snapshot", snap))
        bs.wait_for_status(snap, status="available", failures=["error"], wait=180, interval=0.5)
        vol_b = bs.create_volume(size=1, snapshot_id=snap.id, name=f"storage-b-{tag}", **storage["volume_type"])
        made.append(("volume", vol_b))
        bs.wait_for_status(vol_b, status="available", failures=["error"], wait=180, interval=0.5)

        t0 = time.monotonic()
        r = bs.post(f"/volumes/{vol_b.id}/action", json={"os-volume_upload_image": {
            "image_name": f"storage-up-{tag}", "disk_format": "raw", "container_format": "bare"}})
        assert r.status_code == 202, r.text
        image_id = r.json()["os-volume_upload_image"]["image_id"]
        made.append(("image", image_id))
        up = _wait_image(conn, image_id, timeout=300)
        t_upload = time.monotonic() - t0
        assert up.size == GiB
        assert _download_sha256(conn, up) == _sha256_padded(PAYLOAD, GiB)
        bs.wait_for_status(vol_b, status="available", failures=["error"], wait=60, interval=0.5)

        bs.extend_volume(vol_b, 2)
        wait_until("extended", lambda: bs.get_volume(vol_b.id).size == 2)
        print(f"volume from image {t_image:.1f}s; 1 GiB volume uploaded to Glance in {t_upload:.1f}s")
    finally:
        for kind, res in reversed(made):
            if kind == "image":
                conn.image.delete_image(res, ignore_missing=True)
            elif kind == "snapshot":
                bs.delete_snapshot(res, ignore_missing=True)
                bs.wait_for_delete(res, wait=120)
            else:
                bs.delete_volume(res, ignore_missing=True)
                bs.wait_for_delete(res, wait=120)


def test_boot_from_image_volume(storage):
    conn, tag = storage["conn"], storage["tag"]
    bdm = {"boot_index": 0, "uuid": storage["image"].id, "source_type": "image", "destination_type": "volume",
           "volume_size": 1, "delete_on_termination": True, **storage["volume_type"]}
    server = conn.compute.create_server(name=f"storage-bfv-{tag}", flavor_id=storage["flavor"].id,
                                        block_device_mapping=[bdm], networks="none", **storage["server"])
    try:
        t0 = time.monotonic()
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=300, interval=0.5)
        print(f"boot from an image volume: ACTIVE after {time.monotonic() - t0:.1f}s")
        attached = list(conn.compute.volume_attachments(server))
        assert len(attached) == 1
        root = conn.block_storage.get_volume(attached[0].volume_id)
        assert root.status == "in-use" and root.is_bootable
        assert root.volume_image_metadata["image_id"] == storage["image"].id
    finally:
        conn.compute.delete_server(server, ignore_missing=True)
        conn.compute.wait_for_delete(server, wait=180)
    # delete_on_termination: the root volume goes with the server
    wait_until("root volume deleted", lambda: _gone(conn.block_storage.get_volume, root.id))


def _gone(get, res_id) -> bool:
    """get(res_id) answers 404.  (find_* would fall back to a name filter a member may not use.)"""
    try:
        get(res_id)
    except openstack.exceptions.NotFoundException:
        return True
    return False


def test_instance_snapshot_uploads_the_root_disk(storage):
    conn, tag = storage["conn"], storage["tag"]
    server = conn.compute.create_server(name=f"storage-snap-{tag}", flavor_id=storage["flavor"].id,
                                        image_id=storage["image"].id, networks="none", **storage["server"])
    image_id = None
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=300, interval=0.5)
        t0 = time.monotonic()
        image_id = conn.compute.create_server_image(server, name=f"storage-snapshot-{tag}").id
        image = _wait_image(conn, image_id)
        print(f"instance snapshot active in Glance after {time.monotonic() - t0:.1f}s")
        assert image.size == len(PAYLOAD) and image.disk_format == "raw"
        assert _download_sha256(conn, image) == hashlib.sha256(PAYLOAD).hexdigest()
        assert (image.properties or {}).get("image_type") == "snapshot"
        wait_until("task state cleared", lambda: conn.compute.get_server(server.id).task_state is None)
    finally:
        if image_id:
            conn.image.delete_image(image_id, ignore_missing=True)
        conn.compute.delete_server(server, ignore_missing=True)
        conn.compute.wait_for_delete(server, wait=180)
