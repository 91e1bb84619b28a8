"""Network interfaces (ENIs) on Neutron ports, shared by the interface, instance and route handlers.

An ENI is a Neutron port of the caller's project that no Neutron service owns (``device_owner`` is
empty or ``compute:*``): the ports CreateNetworkInterface makes and the ports Nova makes for
instances alike (kind ``eni``, the port id is the os_id). ec2api keeps in the ENI's item data what
Neutron has no field for: ``device_index`` and ``attach_time`` of an attachment AttachNetworkInterface
made, ``delete_on_termination``, and ``made`` (a port ec2api created, which Nova never deletes: ec2api
deletes it on termination when ``delete_on_termination`` says so). A port Nova made at launch is
deleted by Nova with its server: its DeleteOnTermination is true and cannot be changed.

An attachment id is the ENI's id with the ``eni-attach-`` prefix (one attachment at a time per ENI,
so the id names it; attached again, it has the same id).

SourceDestCheck: Neutron's port security drops traffic whose addresses are not the port's, as
AWS's check does. Turning the check off is an allowed address pair ``0.0.0.0/0`` (the port may send
and receive for any IPv4 address; its security groups still apply, as on AWS), not
``port_security_enabled=false``, which would also switch off the groups.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked, versioned_endpoint
from ec2api_runtime.timeutil import parse_os_time
from handlers import _bulk as bulk
from handlers import _groups as neutron

KIND = "eni"
ATTACH_PREFIX = "eni-attach-"
ANY_ADDRESS = "0.0.0.0/0"


def is_interface(port: dict) -> bool:
    """Whether a Neutron port is an ENI (not a router, DHCP, floating IP or other service port)."""
    owner = port.get("device_owner") or ""
    return owner == "" or owner.startswith("compute:")


def instance_server(port: dict) -> str | None:
    """The id of the Nova server a port is attached to as an instance interface, else None."""
    owner = port.get("device_owner") or ""
    return (port.get("device_id") or None) if owner.startswith("compute:") else None


def attachment_id(eni_id: str) -> str:
    return ATTACH_PREFIX + eni_id[len(KIND) + 1:]


def eni_of_attachment(attachment: str) -> str:
    """The ENI id an attachment id names (``InvalidAttachmentID.NotFound`` for a malformed one)."""
    if not attachment.startswith(ATTACH_PREFIX) or not ids.is_well_formed(KIND, KIND + "-" + attachment[
            len(ATTACH_PREFIX):]):
        raise EC2Error("InvalidAttachmentID.NotFound", f"The attachment ID '{attachment}' does not exist")
    return KIND + "-" + attachment[len(ATTACH_PREFIX):]


def source_dest_check(port: dict) -> bool:
    return not any(p.get("ip_address") == ANY_ADDRESS for p in port.get("allowed_address_pairs") or [])


def v4_ips(port: Any, data: dict | None = None) -> list[dict]:
    """The port's IPv4 fixed IPs, the primary first: the one recorded in the ENI's data
    (``primary_ip``; Neutron does not keep the order addresses were given in), else Neutron's first."""
    fixed = port.get("fixed_ips") if isinstance(port, dict) else port.fixed_ips
    ips = [ip for ip in fixed or [] if ":" not in ip.get("ip_address", "")]
    primary = (data or {}).get("primary_ip")
    return sorted(ips, key=lambda ip: ip["ip_address"] != primary) if primary else ips


def _key(p: Any) -> tuple[str, str]:
    if isinstance(p, dict):
        return p.get("created_at") or "", p["id"]
    return p.created_at or "", p.id


def device_indexes(ports: Iterable[Any], data_of: dict[str, dict]) -> dict[str, int]:
    """``{port id: device index}`` of one server's ports (dicts or ``_bulk.Port``): the index
    AttachNetworkInterface or RunInstances recorded, else the next free one in the order Nova made
    them (the first is 0)."""
    ordered = sorted(ports, key=_key)
    out: dict[str, int] = {}
    for p in ordered:
        index = (data_of.get(_key(p)[1]) or {}).get("device_index")
        if isinstance(index, int):
            out[_key(p)[1]] = index
    used = set(out.values())
    n = 0
    for p in ordered:
        if _key(p)[1] in out:
            continue
        while n in used:
            n += 1
        out[_key(p)[1]] = n
        used.add(n)
    return out


def delete_on_termination(data: dict) -> bool:
    """A port ec2api made is deleted with the instance only when asked; Nova's always are."""
    return bool(data.get("delete_on_termination", not data.get("made")))


def port(ctx: Any, os_id: str) -> dict | None:
    """The caller's port (GET by id filter, so another project's is simply absent)."""
    found = neutron.neutron_list(ctx, "/ports", "ports", "id", [os_id])
    return found[0] if found and is_interface(found[0]) else None


def resolve(ctx: Any, eni_id: str) -> tuple[dict, dict]:
    """``(port, item data)`` of the caller's ENI; ``.Malformed`` / ``.NotFound`` as AWS answers."""
    ids.require_well_formed(KIND, [eni_id])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, eni_id)
        data = ids.get_data_many(s, ctx.project_id, [eni_id]).get(eni_id, {}) if os_id else {}
    found = port(ctx, os_id) if os_id else None
    if found is None:
        raise ids.not_found(KIND, eni_id)
    return found, data


def subnet_of(ctx: Any, subnet_id: str) -> tuple[dict, dict]:
    """``(Neutron subnet, item data)`` of the caller's subnet ``subnet_id``."""
    ids.require_well_formed("subnet", [subnet_id])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, subnet_id)
        data = ids.get_data_many(s, ctx.project_id, [subnet_id]).get(subnet_id, {}) if os_id else {}
    found = bulk.get_json(ctx, "network", "/subnets", {"id": [os_id]})["subnets"] if os_id else []
    found = [sn for sn in found if sn.get("project_id") == ctx.project_id]
    if not found:
        raise ids.not_found("subnet", subnet_id)
    return found[0], data


def addresses(params: Any) -> tuple[str | None, list[str]]:
    """``(primary, secondaries)`` from PrivateIpAddress and PrivateIpAddresses (at most one Primary)."""
    primary = params.get("PrivateIpAddress")
    secondary: list[str] = []
    for spec in params.get("PrivateIpAddresses") or []:
        address = spec.get("PrivateIpAddress")
        if not address:
            raise EC2Error("MissingParameter", "The request must contain the parameter PrivateIpAddresses.N.PrivateIpAddress")
        if spec.get("Primary"):
            if primary and primary != address:
                raise EC2Error("InvalidParameterCombination", "Only one primary private IP address may be given.")
            primary = address
        elif address != primary:
            secondary.append(address)
    return primary, secondary


def check_in_subnet(address: str, cidr: str) -> None:
    try:
        inside = ipaddress.ip_address(address) in ipaddress.ip_network(cidr)
    except ValueError:
        raise EC2Error("InvalidParameterValue", f"Invalid private IP address '{address}'.") from None
    if not inside:
        raise EC2Error("InvalidParameterValue", f"Address {address} does not fall within the subnet's address range")


def fixed_ips(subnet: dict, primary: str | None, secondary: list[str], count: int) -> list[dict]:
    """Neutron ``fixed_ips`` for a new port: the primary (given or Neutron's pick) first, then the
    secondary addresses given and ``count`` more Neutron picks, all on the one subnet."""
    for address in [a for a in [primary, *secondary] if a]:
        check_in_subnet(address, subnet["cidr"])
    if len(set(a for a in [primary, *secondary] if a)) != len([a for a in [primary, *secondary] if a]):
        raise EC2Error("InvalidParameterValue", "The same private IP address is given twice.")
    out = [{"subnet_id": subnet["id"], "ip_address": primary} if primary else {"subnet_id": subnet["id"]}]
    out += [{"subnet_id": subnet["id"], "ip_address": a} for a in secondary]
    out += [{"subnet_id": subnet["id"]} for _ in range(count)]
    return out


def group_ids_for(ctx: Any, group_ids: list[str], vpc_id: str) -> list[str]:
    """Neutron ids of the groups ``group_ids`` (each the caller's, in ``vpc_id``); none given: the
    VPC's default group (the contract's ``default`` / ``default-<vpc-id>``)."""
    default_vpc = neutron.DefaultVpc(ctx)
    if group_ids:
        found = neutron.by_ids(ctx, group_ids, default_vpc)
        out = []
        for gid in group_ids:
            if gid not in found:
                raise neutron.not_found(gid)
            if found[gid].vpc_id != vpc_id:
                raise EC2Error("InvalidParameterValue",
                               f"The security group '{gid}' does not belong to the VPC '{vpc_id}'.")
            out.append(found[gid].os_id)
        return list(dict.fromkeys(out))
    default = neutron.by_names(ctx, [neutron.DEFAULT], vpc_id, default_vpc).get(neutron.DEFAULT)
    return [default.os_id] if default is not None else []


def create_port(ctx: Any, subnet: dict, group_os_ids: list[str], ips: list[dict], description: str = "",
                name: str = "") -> dict:
    """A Neutron port on the subnet's network (Neutron's address errors as EC2's)."""
    body = {"network_id": subnet["network_id"], "fixed_ips": ips, "security_groups": group_os_ids,
            "description": description, "name": name}
    url = versioned_endpoint(ctx.os, "network").rstrip("/") + "/ports"
    resp = ctx.os.session.post(url, json={"port": body}, raise_exc=False)
    if resp.status_code == 409 and "IpAddressAlreadyAllocated" in resp.text:
        raise EC2Error("InvalidIPAddress.InUse", "The private IP address is already in use in the subnet.")
    if resp.status_code == 409 and "IpAddressGenerationFailure" in resp.text:
        raise EC2Error("InsufficientFreeAddressesInSubnet", "The subnet has no free address left.")
    if resp.status_code == 400 and "ip_address" in resp.text.lower():
        raise EC2Error("InvalidParameterValue", "A private IP address is not valid for the subnet.")
    return checked(resp).json()["port"]


def attach_time(port: dict, data: dict) -> Any:
    return parse_os_time(data.get("attach_time")) or parse_os_time(port.get("updated_at")) or parse_os_time(
        port.get("created_at"))
