"""Assign/UnassignPrivateIpAddresses and Assign/UnassignIpv6Addresses: the port's ``fixed_ips``.

Secondary IPv4 addresses are more fixed IPs of the port on the primary address's subnet. IPv6
addresses need an IPv6 subnet on the interface's network; subnets made through this API are IPv4
only, so on those the request is refused with a clear error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers import _groups as groups
from handlers import _interfaces as eni
from handlers import _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AssignIpv6AddressesRequest,
        AssignIpv6AddressesResult,
        AssignPrivateIpAddressesRequest,
        AssignPrivateIpAddressesResult,
        UnassignIpv6AddressesRequest,
        UnassignIpv6AddressesResult,
        UnassignPrivateIpAddressesRequest,
    )

MAX_COUNT = 49


def _put_ips(ctx: Any, port_id: str, fixed: list[dict]) -> dict:
    url_path = f"/ports/{port_id}"
    try:
        return _vpc.neutron(ctx, "PUT", url_path, {"port": {"fixed_ips": fixed}})["port"]
    except Exception as exc:   # Neutron's address errors as EC2's; anything else as it is
        text = str(getattr(exc, "details", "") or exc)
        if "IpAddressAlreadyAllocated" in text or "already allocated" in text:
            raise EC2Error("InvalidIPAddress.InUse", "A private IP address is already in use in the subnet.") from None
        if "IpAddressGenerationFailure" in text or "No more IP addresses" in text:
            raise EC2Error("InsufficientFreeAddressesInSubnet", "The subnet has no free address left.") from None
        raise


def _count(value: Any, member: str) -> int:
    count = int(value or 0)
    if not 1 <= count <= MAX_COUNT:
        raise EC2Error("InvalidParameterValue", f"Value ({count}) for parameter {member} is invalid.")
    return count


def _holders(ctx: Any, network_id: str, addresses: list[str], own: str) -> dict[str, dict]:
    """``{address: port}`` of the caller's other ports on the network holding one of ``addresses``."""
    out: dict[str, dict] = {}
    for address in addresses:
        for p in groups.neutron_list(ctx, "/ports", "ports", network_id=network_id,
                                     fixed_ips=f"ip_address={address}"):
            if p["id"] != own:
                out[address] = p
    return out


@handler("AssignPrivateIpAddresses", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "PrivateIpAddresses", "SecondaryPrivateIpAddressCount", "AllowReassignment"))
def assign_private_ip_addresses(ctx: RequestContext,
                                params: AssignPrivateIpAddressesRequest) -> AssignPrivateIpAddressesResult:
    """More IPv4 addresses on the interface's subnet: the ones given, or that many Neutron picks."""
    port, data = eni.resolve(ctx, params["NetworkInterfaceId"])
    wanted = list(dict.fromkeys(params.get("PrivateIpAddresses") or []))
    if bool(wanted) == ("SecondaryPrivateIpAddressCount" in params):
        raise EC2Error("InvalidParameterCombination",
                       "Specify either PrivateIpAddresses or SecondaryPrivateIpAddressCount.")
    v4 = eni.v4_ips(port, data)
    if not v4:
        raise EC2Error("InvalidParameterValue", "The interface has no IPv4 address on a subnet.")
    if not data.get("primary_ip"):   # Neutron may list the new addresses first: keep the primary's
        _vpc.update_data(ctx, params["NetworkInterfaceId"], primary_ip=v4[0]["ip_address"])
    subnet_id = v4[0]["subnet_id"]
    subnet = _vpc.neutron(ctx, "GET", f"/subnets/{subnet_id}")["subnet"]
    held = {ip["ip_address"] for ip in port.get("fixed_ips") or []}
    for address in wanted:
        eni.check_in_subnet(address, subnet["cidr"])
        if address in held:
            raise EC2Error("InvalidParameterValue", f"The address {address} is already assigned to the interface.")
    moved: dict[str, dict] = _holders(ctx, port["network_id"], wanted, port["id"]) if wanted else {}
    if moved and not params.get("AllowReassignment"):
        raise EC2Error("InvalidIPAddress.InUse", f"Address {sorted(moved)[0]} is in use by another interface.")
    undo = []
    for address, other in moved.items():
        left = [ip for ip in other.get("fixed_ips") or [] if ip["ip_address"] != address]
        if not [ip for ip in left if ":" not in ip["ip_address"]]:
            raise EC2Error("InvalidParameterValue", f"Address {address} is the primary address of another interface.")
        _put_ips(ctx, other["id"], left)
        undo.append(lambda other=other: _put_ips(ctx, other["id"], other["fixed_ips"]))
    extra = ([{"subnet_id": subnet_id, "ip_address": a} for a in wanted] if wanted else
             [{"subnet_id": subnet_id} for _ in range(_count(params.get("SecondaryPrivateIpAddressCount"),
                                                              "secondaryPrivateIpAddressCount"))])
    try:
        after = _put_ips(ctx, port["id"], [*(port.get("fixed_ips") or []), *extra])
    except BaseException:
        _vpc.undo(*undo)
        raise
    new = [ip["ip_address"] for ip in after.get("fixed_ips") or [] if ip["ip_address"] not in held]
    return {"NetworkInterfaceId": params["NetworkInterfaceId"],
            "AssignedPrivateIpAddresses": [{"PrivateIpAddress": a} for a in new]}


@handler("UnassignPrivateIpAddresses", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "PrivateIpAddresses"))
def unassign_private_ip_addresses(ctx: RequestContext, params: UnassignPrivateIpAddressesRequest) -> None:
    """Take secondary addresses off the interface (the primary cannot be)."""
    port, data = eni.resolve(ctx, params["NetworkInterfaceId"])
    wanted = set(params.get("PrivateIpAddresses") or [])
    if not wanted:
        raise EC2Error("MissingParameter", "The request must contain the parameter PrivateIpAddresses")
    v4 = eni.v4_ips(port, data)
    if v4 and v4[0]["ip_address"] in wanted:
        raise EC2Error("InvalidParameterValue", "The primary private IP address of an interface cannot be unassigned.")
    held = {ip["ip_address"] for ip in v4}
    if wanted - held:
        raise EC2Error("InvalidParameterValue",
                       f"Some of the specified addresses are not assigned to interface {params['NetworkInterfaceId']}")
    _put_ips(ctx, port["id"], [ip for ip in port.get("fixed_ips") or [] if ip["ip_address"] not in wanted])


def _v6_subnet(ctx: Any, port: dict) -> str:
    subnets = [sn for sn in _vpc.vpc_subnets(ctx, [port["network_id"]]) if sn.get("ip_version") == 6]
    if not subnets:
        raise EC2Error("InvalidParameterValue", "The subnet of the interface has no IPv6 CIDR block: "
                       "IPv6 addresses cannot be assigned to it.")
    return subnets[0]["id"]


@handler("AssignIpv6Addresses", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "Ipv6Addresses", "Ipv6AddressCount"))
def assign_ipv6_addresses(ctx: RequestContext, params: AssignIpv6AddressesRequest) -> AssignIpv6AddressesResult:
    """IPv6 addresses from the network's IPv6 subnet (refused where there is none)."""
    port, _ = eni.resolve(ctx, params["NetworkInterfaceId"])
    wanted = list(dict.fromkeys(params.get("Ipv6Addresses") or []))
    if bool(wanted) == ("Ipv6AddressCount" in params):
        raise EC2Error("InvalidParameterCombination", "Specify either Ipv6Addresses or Ipv6AddressCount.")
    subnet_id = _v6_subnet(ctx, port)
    held = {ip["ip_address"] for ip in port.get("fixed_ips") or []}
    extra = ([{"subnet_id": subnet_id, "ip_address": a} for a in wanted] if wanted else
             [{"subnet_id": subnet_id} for _ in range(_count(params.get("Ipv6AddressCount"), "ipv6AddressCount"))])
    after = _put_ips(ctx, port["id"], [*(port.get("fixed_ips") or []), *extra])
    return {"NetworkInterfaceId": params["NetworkInterfaceId"],
            "AssignedIpv6Addresses": [ip["ip_address"] for ip in after.get("fixed_ips") or []
                                      if ip["ip_address"] not in held]}


@handler("UnassignIpv6Addresses", not_found="InvalidNetworkInterfaceID.NotFound",
         honours=("NetworkInterfaceId", "Ipv6Addresses"))
def unassign_ipv6_addresses(ctx: RequestContext, params: UnassignIpv6AddressesRequest) -> UnassignIpv6AddressesResult:
    """Take IPv6 addresses off the interface."""
    port, _ = eni.resolve(ctx, params["NetworkInterfaceId"])
    wanted = set(params.get("Ipv6Addresses") or [])
    held = {ip["ip_address"] for ip in port.get("fixed_ips") or [] if ":" in ip["ip_address"]}
    if not wanted:
        raise EC2Error("MissingParameter", "The request must contain the parameter Ipv6Addresses")
    if wanted - held:
        raise EC2Error("InvalidParameterValue",
                       f"Some of the specified addresses are not assigned to interface {params['NetworkInterfaceId']}")
    _put_ips(ctx, port["id"], [ip for ip in port.get("fixed_ips") or [] if ip["ip_address"] not in wanted])
    return {"NetworkInterfaceId": params["NetworkInterfaceId"], "UnassignedIpv6Addresses": sorted(wanted)}
