"""Bulk listings as plain JSON: what a Describe needs from Nova and Neutron, without openstacksdk objects.

openstacksdk builds a Resource object per item and resolves every attribute through descriptors;
for 500 servers with their ports that costs seconds of CPU. Describe calls list with plain GETs on
the caller's keystoneauth session instead (same auth, same counted HTTP pool), at the versioned
endpoints the process already knows (``openstack.versioned_endpoint``), and read the few fields
they use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openstack import exceptions

from ec2api_runtime import parallel
from ec2api_runtime.openstack import checked, versioned_endpoint

# Neutron takes repeated query values (``?device_id=a&device_id=b``); this many UUIDs keep the URL
# near 2 KB, well inside the 4 KB request line that uwsgi-served APIs accept by default.
ID_CHUNK = 40

# Nova 2.47+ embeds the flavor (its name is the instance type); 2.3+ lists delete_on_termination
# for attached volumes. 2.73 is well inside what supported Nova releases serve.
COMPUTE_MICROVERSION = "2.73"


def get_json(ctx: Any, service: str, path: str, params: dict | None = None,
             microversion: str | None = None) -> dict:
    """``GET <service's versioned endpoint><path>`` as the caller; OpenStack errors raised as openstacksdk's."""
    url = versioned_endpoint(ctx.os, service).rstrip("/") + path
    resp = ctx.os.session.get(url, params=params or {}, raise_exc=False, microversion=microversion,
                              microversion_service_type=service if microversion else None)
    return checked(resp).json()


class Server:
    """The fields of a Nova server (``GET /servers/detail``) that EC2 views read."""

    __slots__ = ("id", "status", "vm_state", "task_state", "flavor", "image", "key_name", "launched_at",
                 "created_at", "availability_zone", "attached_volumes", "security_groups", "root_device_name",
                 "launch_index", "reservation_id")

    def __init__(self, d: dict) -> None:
        self.id = d["id"]
        self.status = d.get("status")
        self.vm_state = d.get("OS-EXT-STS:vm_state")
        self.task_state = d.get("OS-EXT-STS:task_state")
        self.flavor = d.get("flavor") or {}
        self.image = d.get("image") or None
        self.key_name = d.get("key_name")
        self.launched_at = d.get("OS-SRV-USG:launched_at")
        self.created_at = d.get("created")
        self.availability_zone = d.get("OS-EXT-AZ:availability_zone")
        self.attached_volumes = d.get("os-extended-volumes:volumes_attached") or []
        self.security_groups = d.get("security_groups") or []
        self.root_device_name = d.get("OS-EXT-SRV-ATTR:root_device_name")
        self.launch_index = d.get("OS-EXT-SRV-ATTR:launch_index")
        self.reservation_id = d.get("OS-EXT-SRV-ATTR:reservation_id")


class Port:
    """The fields of a Neutron port that EC2 views read."""

    __slots__ = ("id", "device_id", "network_id", "fixed_ips", "security_group_ids", "mac_address",
                 "description", "allowed_address_pairs", "created_at")

    def __init__(self, d: dict) -> None:
        self.id = d["id"]
        self.device_id: str = d.get("device_id") or ""   # Neutron: "" for a port no server holds
        self.network_id: str | None = d.get("network_id")
        self.fixed_ips = d.get("fixed_ips") or []
        self.security_group_ids = d.get("security_groups") or []
        self.mac_address = d.get("mac_address")
        self.description = d.get("description")
        self.allowed_address_pairs = d.get("allowed_address_pairs") or []
        self.created_at = d.get("created_at")


def prepare(ctx: Any, *services: str) -> None:
    """Resolve the caller's connection and the endpoints of ``services`` now, in this thread.

    Listings run through ``parallel.gather`` then only read what is already built: openstacksdk
    creates proxies lazily and without a lock.
    """
    for service in services:
        versioned_endpoint(ctx.os, service)


def servers(ctx: Any, microversion: str = COMPUTE_MICROVERSION, **query: Any) -> list[Server]:
    """Every server of the caller matching ``query`` (``/servers/detail``, following Nova's pages)."""
    out: list[Server] = []
    params: dict = dict(query)
    while True:
        body = get_json(ctx, "compute", "/servers/detail", params, microversion)
        page = body.get("servers", [])
        out.extend(Server(d) for d in page)
        nxt = [link for link in body.get("servers_links", []) if link.get("rel") == "next"]
        if not nxt or not page:
            return out
        params = dict(query, marker=page[-1]["id"])


def server(ctx: Any, server_id: str) -> Server | None:
    """One server (``GET /servers/{id}``), or None when Nova no longer has it."""
    try:
        body = get_json(ctx, "compute", f"/servers/{server_id}", None, COMPUTE_MICROVERSION)
    except exceptions.NotFoundException:
        return None
    return Server(body["server"])


def servers_by_id(ctx: Any, server_ids: Iterable[str]) -> list[Server]:
    """The servers among ``server_ids`` that still exist: one GET each, at the same time."""
    wanted = list(dict.fromkeys(server_ids))
    found = parallel.gather(*[lambda sid=sid: server(ctx, sid) for sid in wanted])
    return [srv for srv in found if srv is not None]


def volume(storage: Any, volume_id: str) -> Any:
    """One Cinder volume (``GET /volumes/{id}``) through the block-storage proxy ``storage``, or
    None when it is gone. Not ``find_volume``: after a 404 that lists the project's volumes."""
    try:
        return storage.get_volume(volume_id)
    except exceptions.NotFoundException:
        return None


def _network_list(ctx: Any, path: str, key: str, params: dict, field: str | None,
                  values: Iterable[str] | None) -> list[dict]:
    """A Neutron listing of the project, or of the items whose ``field`` is one of ``values``."""
    if values is None:
        return get_json(ctx, "network", path, params)[key]
    wanted = sorted(set(values))
    out: list[dict] = []
    for i in range(0, len(wanted), ID_CHUNK):
        out.extend(get_json(ctx, "network", path, {**params, field: wanted[i:i + ID_CHUNK]})[key])
    return out


def ports(ctx: Any, device_ids: Iterable[str] | None = None) -> list[Port]:
    """The project's Neutron ports, or only those of the devices (servers) ``device_ids``."""
    return [Port(d) for d in _network_list(ctx, "/ports", "ports", {"project_id": ctx.project_id},
                                           "device_id", device_ids)]


def floating_ips(ctx: Any, port_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{port id: floating IP address}`` of the project's associated floating IPs (of ``port_ids``)."""
    found = _network_list(ctx, "/floatingips", "floatingips", {"project_id": ctx.project_id}, "port_id", port_ids)
    return {f["port_id"]: f["floating_ip_address"] for f in found if f.get("port_id")}


def security_group_names(ctx: Any, group_ids: Iterable[str] | None = None) -> dict[str, str]:
    """``{security group id: name}`` of the project's security groups (or of ``group_ids``)."""
    found = _network_list(ctx, "/security-groups", "security_groups",
                          {"project_id": ctx.project_id, "fields": ["id", "name"]}, "id", group_ids)
    return {g["id"]: g["name"] for g in found}
