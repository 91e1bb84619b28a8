"""Making and viewing subnets (shared by subnets and the default VPC of vpcs).

A subnet is a Neutron IPv4 subnet on the VPC's network, attached to the VPC router (its gateway
address, the range's first, is the router's interface). As on AWS, the first four addresses and the
last are not handed to instances (the network address, the router's, two reserved, the broadcast
address): the allocation pool runs from the fifth address to the one before the last, so a /24 has
251 addresses available, as on AWS (a DHCP port, where the cloud runs one, takes one of them).
ec2api keeps ``{"vpc_id", "az", "map_public_ip", "default_for_az"}`` in the subnet's item data.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ec2api_runtime.db import ids, tags
from ec2api_runtime.errors import EC2Error
from handlers import _vpc

KIND = "subnet"
DHCP_OWNER = "network:dhcp"


def caller_subnet(ctx: Any, subnet_id: str) -> dict:
    """The Neutron subnet behind the caller's ``subnet-`` id (one GET by id): ``.Malformed`` or
    ``InvalidSubnetID.NotFound`` as AWS answers, also for another project's subnet."""
    ids.require_well_formed("subnet", [subnet_id])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, subnet_id)
    found = _vpc.neutron(ctx, "GET", f"/subnets/{os_id}", missing_ok=True) if os_id else None
    if not found or found["subnet"].get("project_id") != ctx.project_id or found["subnet"].get("ip_version") != 4:
        raise ids.not_found("subnet", subnet_id)
    return dict(found["subnet"])


def pools_for(cidr: str) -> list[dict]:
    net = ipaddress.ip_network(cidr)
    return [{"start": str(net.network_address + 4), "end": str(net.broadcast_address - 1)}]


def build_subnet(ctx: Any, vpc_id: str, net_id: str, vpc_data: dict, cidr: str, zone: str, new_tags: list,
                 *, default_for_az: bool = False, router_id: str | None = None,
                 dns: list[str] | None = None) -> tuple[str, dict, dict]:
    """Create the Neutron subnet, attach it to the VPC router, record it; undone if a step fails."""
    router = router_id or vpc_data.get("router")
    body: dict[str, Any] = {"network_id": net_id, "ip_version": 4, "cidr": cidr, "enable_dhcp": True,
                            "allocation_pools": pools_for(cidr), "name": f"{vpc_id} {cidr}"}
    if dns:
        body["dns_nameservers"] = dns
    sub = _vpc.neutron(ctx, "POST", "/subnets", {"subnet": body})["subnet"]
    steps: list[Any] = [lambda: _vpc.neutron(ctx, "DELETE", f"/subnets/{sub['id']}", missing_ok=True)]
    subnet_id = None
    try:
        if router:
            _vpc.neutron(ctx, "PUT", f"/routers/{router}/add_router_interface", {"subnet_id": sub["id"]})
            steps.append(lambda: _vpc.neutron(ctx, "PUT", f"/routers/{router}/remove_router_interface",
                                              {"subnet_id": sub["id"]}, missing_ok=True))
        data = {"vpc_id": vpc_id, "az": zone, "map_public_ip": False, "default_for_az": default_for_az}
        with ctx.session() as s:
            subnet_id = ids.ec2_id(s, ctx.project_id, KIND, sub["id"])
            ids.set_data(s, ctx.project_id, subnet_id, data)
            if new_tags:
                tags.set_tags(s, ctx.project_id, [subnet_id], new_tags)
    except BaseException:
        if subnet_id is not None:
            with ctx.session() as s:
                ids.forget(s, ctx.project_id, [subnet_id])
        _vpc.undo(*reversed(steps))
        raise
    return subnet_id, sub, data


def remove_subnet(ctx: Any, subnet_os_id: str, router: str | None) -> None:
    """Detach a subnet from the VPC router and delete it (each step tolerating what is gone)."""
    if router:
        _vpc.neutron(ctx, "PUT", f"/routers/{router}/remove_router_interface", {"subnet_id": subnet_os_id},
                     missing_ok=True)
    _vpc.neutron(ctx, "DELETE", f"/subnets/{subnet_os_id}", missing_ok=True)


def remove_all(ctx: Any, net_id: str, vpc_data: dict) -> None:
    """Undo of a default VPC's subnets: every subnet of the network removed, and forgotten."""
    subnets = _vpc.vpc_subnets(ctx, [net_id])
    for sub in subnets:
        _vpc.undo(lambda sub=sub: remove_subnet(ctx, sub["id"], vpc_data.get("router")))
    with ctx.session() as s:
        known = ids.ec2_ids(s, ctx.project_id, KIND, [sub["id"] for sub in subnets])
        ids.forget(s, ctx.project_id, known.values())


def available_count(sub: dict, ports: list[dict]) -> int:
    """Addresses of the subnet's allocation pools that no port holds (Neutron's IP availability)."""
    pools = [(int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
             for p in sub.get("allocation_pools") or []]
    total = sum(end - start + 1 for start, end in pools)
    used = {int(ipaddress.ip_address(ip["ip_address"])) for p in ports for ip in p.get("fixed_ips") or []
            if ip.get("subnet_id") == sub["id"]}
    in_pools = sum(1 for a in used if any(start <= a <= end for start, end in pools))
    return max(0, total - in_pools)


def forget_associations(s: Any, project_id: str, subnet_id: str) -> None:
    """Drop a deleted subnet's route table associations (route tables keep them in item data)."""
    for rtb_id, (_, data) in ids.items_with_data(s, project_id, "rtb").items():
        assoc = data.get("assoc") or {}
        if subnet_id in assoc.values():
            data["assoc"] = {a: sn for a, sn in assoc.items() if sn != subnet_id}
            ids.set_data(s, project_id, rtb_id, data)


def launch_placement(ctx: Any, subnet_os_id: str, network_id: str, cidr: str, private_ip: str | None,
                     count: int) -> tuple[str | None, str | None]:
    """For RunInstances into a subnet: ``(fixed IP to ask Nova for, the VPC's default group sg- id)``.

    Nova takes a network, not a subnet: on a network with one IPv4 subnet its port lands there; on a
    network with several, the instance is given a free address of the subnet (one instance per
    request, as each needs its own). The default group is the one of the subnet's VPC (contract:
    a VPC CreateVpc made has its own); None for the default VPC, whose group Nova picks by name.
    """
    if private_ip is not None:
        try:
            inside = ipaddress.ip_address(private_ip) in ipaddress.ip_network(cidr)
        except ValueError:
            inside = False
        if not inside:
            raise EC2Error("InvalidParameterValue", f"Address {private_ip} does not fall within the subnet's address range")
    subnets = [sn for sn in _vpc.vpc_subnets(ctx, [network_id]) if sn.get("ip_version") == 4]
    fixed = private_ip
    if fixed is None and len(subnets) > 1:
        if count > 1:
            raise EC2Error("Unsupported", "Launching more than one instance in one request into a subnet of a VPC "
                           "with several subnets is not supported here; launch them one per request.")
        sub = next((sn for sn in subnets if sn["id"] == subnet_os_id), None)
        used = {int(ipaddress.ip_address(ip["ip_address"])) for p in _vpc.ports_on(ctx, [network_id])
                for ip in p.get("fixed_ips") or [] if ip.get("subnet_id") == subnet_os_id}
        for pool in (sub or {}).get("allocation_pools") or []:
            start, end = int(ipaddress.ip_address(pool["start"])), int(ipaddress.ip_address(pool["end"]))
            free = next((a for a in range(start, end + 1) if a not in used), None)
            if free is not None:
                fixed = str(ipaddress.ip_address(free))
                break
        if fixed is None:
            raise EC2Error("InsufficientFreeAddressesInSubnet", "The subnet has no free address left.")
    with ctx.session() as s:
        vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", network_id)
        data = ids.get_data_many(s, ctx.project_id, [vpc_id]).get(vpc_id, {})
        group = ids.ec2_id(s, ctx.project_id, "sg", data["default_sg"]) if data.get("default_sg") else None
    return fixed, group
