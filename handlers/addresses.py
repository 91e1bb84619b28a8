"""Elastic IPs on Neutron floating IPs of the external network ``public`` (VPC domain only).

Ids: an address's ``eipalloc-`` id maps to its floating IP; an association's ``eipassoc-`` id to
``<floating IP id>/<port id>`` (one id per address and interface: associating the same pair again
gives the same id). An instance's address is on its first port (the view DescribeInstances shows).
Reverse DNS (PTR records) needs a DNS service this cloud does not have: DescribeAddressesAttribute
truthfully shows no record, ResetAddressAttribute has nothing to reset, ModifyAddressAttribute is
refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openstack import exceptions as sdk_exc

from ec2api_runtime import describe, pagination
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.filters import only_requested
from ec2api_runtime.openstack import checked
from ec2api_runtime.tagging import tags_from_specs
from handlers import _bulk as bulk
from handlers import _groups as neutron
from handlers import _nat, _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AllocateAddressRequest,
        AllocateAddressResult,
        AssociateAddressRequest,
        AssociateAddressResult,
        DescribeAddressesAttributeRequest,
        DescribeAddressesAttributeResult,
        DescribeAddressesRequest,
        DescribeAddressesResult,
        DisassociateAddressRequest,
        ModifyAddressAttributeRequest,
        ModifyAddressAttributeResult,
        ReleaseAddressRequest,
        ResetAddressAttributeRequest,
        ResetAddressAttributeResult,
    )

KIND, ASSOC = "eipalloc", "eipassoc"
_FIPS = ("/floatingips", "floatingips")



def _fip(ctx: Any, os_id: str) -> dict | None:
    try:
        fip = bulk.get_json(ctx, "network", f"/floatingips/{os_id}")["floatingip"]
    except sdk_exc.NotFoundException:
        return None
    return fip if fip.get("project_id") == ctx.project_id else None


def _address(ctx: Any, allocation_id: str | None, public_ip: str | None) -> tuple[str, dict]:
    """``(eipalloc id, floating IP)`` by allocation id or public IP; AWS's errors for neither."""
    if allocation_id:
        ids.require_well_formed(KIND, [allocation_id])
        with ctx.session() as s:
            os_id = ids.os_id(s, ctx.project_id, allocation_id)
        fip = _fip(ctx, os_id) if os_id else None
        if fip is None:
            raise ids.not_found(KIND, allocation_id)
        return allocation_id, fip
    if not public_ip:
        raise EC2Error("MissingParameter", "Either public IP or allocation id must be specified")
    found = neutron.neutron_list(ctx, *_FIPS, "floating_ip_address", [public_ip])
    if not found:
        raise EC2Error("InvalidAddress.NotFound", f"Address '{public_ip}' not found.")
    with ctx.session() as s:
        return ids.ec2_id(s, ctx.project_id, KIND, found[0]["id"]), found[0]


@handler("AllocateAddress", limit_exceeded="AddressLimitExceeded", honours=("TagSpecifications",),
         partly={"Domain": ("vpc",)})
def allocate_address(ctx: RequestContext, params: AllocateAddressRequest) -> AllocateAddressResult:
    """A floating IP on the external network (quota: ``AddressLimitExceeded``)."""
    new_tags = tags_from_specs(params.get("TagSpecifications"), "elastic-ip")
    fip = checked(ctx.os.network.post("/floatingips", json={"floatingip": {
        "floating_network_id": _vpc.external_network_id(ctx)}})).json()["floatingip"]
    try:
        with ctx.session() as s:
            allocation_id = ids.ec2_id(s, ctx.project_id, KIND, fip["id"])
            if new_tags:
                tags.set_tags(s, ctx.project_id, [allocation_id], new_tags)
    except BaseException:
        ctx.os.network.delete(f"/floatingips/{fip['id']}")
        raise
    return {"AllocationId": allocation_id, "PublicIp": fip["floating_ip_address"], "Domain": "vpc",
            "NetworkBorderGroup": ctx.region}


@handler("ReleaseAddress", not_found="InvalidAllocationID.NotFound", honours=("AllocationId", "PublicIp"))
def release_address(ctx: RequestContext, params: ReleaseAddressRequest) -> None:
    """Release an address that is not associated (``InvalidIPAddress.InUse`` while it is)."""
    allocation_id, fip = _address(ctx, params.get("AllocationId"), params.get("PublicIp"))
    _nat.refuse_if_held(ctx, allocation_id)
    if fip.get("port_id"):
        raise EC2Error("InvalidIPAddress.InUse", f"Address {fip['floating_ip_address']} is in use.")
    resp = ctx.os.network.delete(f"/floatingips/{fip['id']}")
    if resp.status_code != 404:
        checked(resp)
    with ctx.session() as s:
        ids.forget(s, ctx.project_id, [allocation_id])


def _target_port(ctx: Any, params: AssociateAddressRequest) -> dict:
    """The Neutron port the address goes to: the instance's first port, or the interface named."""
    if params.get("InstanceId") and params.get("NetworkInterfaceId"):
        raise EC2Error("InvalidParameterCombination", "Specify InstanceId or NetworkInterfaceId, not both.")
    target = params.get("InstanceId") or params.get("NetworkInterfaceId")
    if not target:
        raise EC2Error("MissingParameter", "Either instance ID or network interface ID must be specified")
    kind = "i" if params.get("InstanceId") else "eni"
    ids.require_well_formed(kind, [target])
    with ctx.session() as s:
        os_id = ids.os_id(s, ctx.project_id, target)
    if os_id is None:
        raise ids.not_found(kind, target)
    if kind == "i":
        ports = neutron.neutron_list(ctx, "/ports", "ports", "device_id", [os_id])
        if not ports:
            raise EC2Error("IncorrectInstanceState", f"The instance '{target}' has no network interface yet.")
        return min(ports, key=lambda p: (p.get("created_at") or "", p["id"]))
    ports = neutron.neutron_list(ctx, "/ports", "ports", "id", [os_id])
    if not ports:
        raise ids.not_found(kind, target)
    return ports[0]


def _associate(ctx: Any, fip_id: str, port_id: str | None, fixed_ip: str | None) -> Any:
    body = {"port_id": port_id} if port_id is None else {"port_id": port_id, "fixed_ip_address": fixed_ip}
    resp = ctx.os.network.put(f"/floatingips/{fip_id}", json={"floatingip": body})
    if resp.status_code == 404 and "external network" in resp.text.lower():
        raise EC2Error("Gateway.NotAttached", "The network of the interface is not attached to an internet "
                       "gateway (its router has no gateway on the external network).")
    return checked(resp)


@handler("AssociateAddress", not_found="InvalidAllocationID.NotFound",
         honours=("AllocationId", "PublicIp", "InstanceId", "NetworkInterfaceId", "PrivateIpAddress",
                  "AllowReassociation"))
def associate_address(ctx: RequestContext, params: AssociateAddressRequest) -> AssociateAddressResult:
    """Point the floating IP at a port's private address (moving it only with AllowReassociation)."""
    allocation_id, fip = _address(ctx, params.get("AllocationId"), params.get("PublicIp"))
    _nat.refuse_if_held(ctx, allocation_id)
    port = _target_port(ctx, params)
    v4 = [ip["ip_address"] for ip in port.get("fixed_ips") or [] if ":" not in ip["ip_address"]]
    fixed = params.get("PrivateIpAddress") or (v4[0] if v4 else None)
    if fixed is None or fixed not in v4:
        raise EC2Error("InvalidParameterValue", f"The private IP address {fixed} is not one of the interface's.")
    same = fip.get("port_id") == port["id"] and fip.get("fixed_ip_address") == fixed
    if fip.get("port_id") and not same and not params.get("AllowReassociation"):
        raise EC2Error("Resource.AlreadyAssociated", f"resource {params.get('AllocationId') or fip['id']} is "
                       "already associated with associate-id "
                       f"{_assoc_id(ctx, fip['id'], fip['port_id'])}")
    if not same:
        # As on AWS, an address already on that private IP comes off it (and stays allocated).
        displaced = [f for f in neutron.neutron_list(ctx, *_FIPS, "port_id", [port["id"]])
                     if f.get("fixed_ip_address") == fixed and f["id"] != fip["id"]]
        for other in displaced:
            _associate(ctx, other["id"], None, None)
        try:
            _associate(ctx, fip["id"], port["id"], fixed)
        except BaseException:
            for other in displaced:
                _associate(ctx, other["id"], port["id"], fixed)
            raise
    return {"AssociationId": _assoc_id(ctx, fip["id"], port["id"])}


def _assoc_id(ctx: Any, fip_id: str, port_id: str) -> str:
    with ctx.session() as s:
        return ids.ec2_id(s, ctx.project_id, ASSOC, f"{fip_id}/{port_id}")


@handler("DisassociateAddress", not_found="InvalidAssociationID.NotFound", honours=("AssociationId", "PublicIp"))
def disassociate_address(ctx: RequestContext, params: DisassociateAddressRequest) -> None:
    """Take the address off its interface (by association id, or by public IP)."""
    association_id = params.get("AssociationId")
    if association_id:
        ids.require_well_formed(ASSOC, [association_id])
        with ctx.session() as s:
            pair = ids.os_id(s, ctx.project_id, association_id)
        fip_id, _, port_id = (pair or "").partition("/")
        fip = _fip(ctx, fip_id) if pair else None
        if fip is None or fip.get("port_id") != port_id:
            raise ids.not_found(ASSOC, association_id)
    else:
        _, fip = _address(ctx, None, params.get("PublicIp"))
        if not fip.get("port_id"):
            return None
    _associate(ctx, fip["id"], None, None)
    return None


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    """The caller's addresses, or the requested ones only, and the ports they are on."""
    by_ids = bool(wanted["AllocationIds"] or wanted["PublicIps"])
    if by_ids:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, wanted["AllocationIds"])
        fips = neutron.neutron_list(ctx, *_FIPS, "id", known.values()) if known else []
        if wanted["PublicIps"]:
            fips += neutron.neutron_list(ctx, *_FIPS, "floating_ip_address", wanted["PublicIps"])
        fips = list({f["id"]: f for f in fips}.values())
    else:
        fips = neutron.neutron_list(ctx, *_FIPS)
    port_ids = {f["port_id"] for f in fips if f.get("port_id")}
    fields = ["id", "device_id", "device_owner", "fixed_ips"]
    if not port_ids:
        ports = []
    elif by_ids:
        ports = neutron.neutron_list(ctx, "/ports", "ports", "id", port_ids, fields=fields)
    else:
        ports = neutron.neutron_list(ctx, "/ports", "ports", fields=fields)   # one listing, joined in memory
    port_of = {p["id"]: p for p in ports}
    servers = {p["device_id"] for p in ports if p.get("device_id") and (p.get("device_owner") or "").startswith(
        "compute:")}
    with ctx.session() as s:
        alloc = ids.ec2_ids(s, ctx.project_id, KIND, [f["id"] for f in fips])
        assoc = ids.ec2_ids(s, ctx.project_id, ASSOC, [f"{f['id']}/{f['port_id']}" for f in fips if f.get("port_id")])
        enis = ids.ec2_ids(s, ctx.project_id, "eni", port_ids)
        instances = ids.ec2_ids(s, ctx.project_id, "i", servers)
        subnet_ids = {ip["subnet_id"] for p in ports for ip in p.get("fixed_ips") or []}
        subnets = ids.ec2_ids(s, ctx.project_id, "subnet", subnet_ids)
        tags_of = tags.tags_for(s, ctx.project_id, alloc.values())
    items = []
    for f in fips:
        item: dict[str, Any] = {"AllocationId": alloc[f["id"]], "PublicIp": f["floating_ip_address"], "Domain": "vpc",
                                "NetworkBorderGroup": ctx.region, "Tags": tags_of.get(alloc[f["id"]], [])}
        port = port_of.get(f.get("port_id") or "")
        if port is not None:
            item.update(AssociationId=assoc[f"{f['id']}/{port['id']}"], NetworkInterfaceId=enis[port["id"]],
                        NetworkInterfaceOwnerId=ctx.account_id, PrivateIpAddress=f.get("fixed_ip_address") or "")
            if port.get("device_id") in instances:
                item["InstanceId"] = instances[port["device_id"]]
            subnet = next((ip["subnet_id"] for ip in port.get("fixed_ips") or []
                           if ip["ip_address"] == f.get("fixed_ip_address")), None)
            if subnet:
                item["SubnetId"] = subnets[subnet]
        items.append(item)
    return items


DESCRIBE = describe.Describe(
    result_key="Addresses",
    fetch=_fetch,
    sort_key=lambda i: i["AllocationId"],
    requested=(describe.Requested("AllocationIds", lambda i: i["AllocationId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),
               describe.Requested("PublicIps", lambda i: i["PublicIp"], lambda missing: EC2Error(
                   "InvalidAddress.NotFound", f"Address '{missing[0]}' not found."))),
    filters={
        "allocation-id": lambda i: i["AllocationId"],
        "association-id": lambda i: i.get("AssociationId"),
        "instance-id": lambda i: i.get("InstanceId"),
        "network-border-group": lambda i: i["NetworkBorderGroup"],
        "network-interface-id": lambda i: i.get("NetworkInterfaceId"),
        "network-interface-owner-id": lambda i: i.get("NetworkInterfaceOwnerId"),
        "private-ip-address": lambda i: i.get("PrivateIpAddress"),
        "public-ip": lambda i: i["PublicIp"],
        "domain": lambda i: i["Domain"],
    },
)


@handler("DescribeAddresses", not_found="InvalidAllocationID.NotFound",
         honours=("AllocationIds", "PublicIps", "Filters"))
def describe_addresses(ctx: RequestContext, params: DescribeAddressesRequest) -> DescribeAddressesResult:
    """The caller's elastic IPs by allocation id, public IP and filter."""
    return describe.run(ctx, params, DESCRIBE)


@handler("DescribeAddressesAttribute", honours=("AllocationIds", "Attribute", "MaxResults", "NextToken"))
def describe_addresses_attribute(ctx: RequestContext,
                                 params: DescribeAddressesAttributeRequest) -> DescribeAddressesAttributeResult:
    """The addresses' reverse DNS records: none (this cloud has no DNS service to hold one)."""
    wanted = list(dict.fromkeys(params.get("AllocationIds") or []))
    ids.require_well_formed(KIND, wanted)
    found = only_requested(_fetch(ctx, {}, {"AllocationIds": wanted, "PublicIps": []}), wanted,
                           lambda i: i["AllocationId"], lambda missing: ids.not_found(KIND, missing[0]))
    items = [{"AllocationId": a["AllocationId"], "PublicIp": a["PublicIp"]} for a in found]
    return pagination.page(ctx, params, ctx.operation, "Addresses", items, key=lambda i: i["AllocationId"])


@handler("ModifyAddressAttribute", honours=("AllocationId",))
def modify_address_attribute(ctx: RequestContext, params: ModifyAddressAttributeRequest) -> ModifyAddressAttributeResult:
    """Refused: a reverse DNS record needs a DNS service (Designate), which this cloud does not have."""
    # DomainName is not declared, so the runtime refuses it by name before this runs; a request
    # without it has nothing to set.
    raise EC2Error("InvalidParameterValue", "The parameter DomainName is not supported by this cloud: "
                   "reverse DNS records need a DNS service it does not have.")


@handler("ResetAddressAttribute", honours=("AllocationId", "Attribute"))
def reset_address_attribute(ctx: RequestContext, params: ResetAddressAttributeRequest) -> ResetAddressAttributeResult:
    """Nothing to reset: no address here has a reverse DNS record."""
    allocation_id, fip = _address(ctx, params["AllocationId"], None)
    return {"Address": {"AllocationId": allocation_id, "PublicIp": fip["floating_ip_address"]}}
