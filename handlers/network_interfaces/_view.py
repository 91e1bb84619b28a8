"""The EC2 view of Neutron ports (``NetworkInterface``), fetched in bulk: a constant number of calls.

By ids: the ports (``id=`` repeated), their floating IPs (``port_id=``), their groups' names
(``id=``) and, for the ports of instances, the sibling ports of those instances (``device_id=``,
for device indexes). Without ids: the project's ports, floating IPs and groups, each listed once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ec2api_runtime import parallel
from ec2api_runtime.db import ids, tags
from handlers import _bulk as bulk
from handlers import _groups as groups
from handlers import _instance_view as instance_view
from handlers import _interfaces as eni
from handlers._zones import zone_names

_FIPS = ("/floatingips", "floatingips")
_SIBLING_FIELDS = ["id", "device_id", "created_at", "device_owner"]


def fetch_ports(ctx: Any, os_ids: Iterable[str] | None) -> list[dict]:
    """The caller's interface ports: those of ``os_ids`` (by id), or all of them."""
    bulk.prepare(ctx, "network")
    found = (groups.neutron_list(ctx, "/ports", "ports", "id", os_ids) if os_ids is not None
             else groups.neutron_list(ctx, "/ports", "ports"))
    return [p for p in found if eni.is_interface(p)]


def views(ctx: Any, ports: list[dict], whole: bool) -> list[dict]:
    """``NetworkInterface`` dicts (with ``Tags``, renamed ``TagSet`` by the handler) of ``ports``;
    ``whole``: the ports are the project's, so the other collections are listed, not asked by id."""
    if not ports:
        return []
    port_ids = [p["id"] for p in ports]
    servers = sorted({sid for p in ports if (sid := eni.instance_server(p))})
    group_os_ids = {g for p in ports for g in p.get("security_groups") or []}
    if whole:
        fips, group_names = parallel.gather(lambda: groups.neutron_list(ctx, *_FIPS),
                                            lambda: bulk.security_group_names(ctx))
        siblings = ports
    else:
        fips, group_names, siblings = parallel.gather(
            lambda: groups.neutron_list(ctx, *_FIPS, "port_id", port_ids),
            lambda: bulk.security_group_names(ctx, group_os_ids),
            lambda: groups.neutron_list(ctx, "/ports", "ports", "device_id", servers, fields=_SIBLING_FIELDS)
            if servers else [])
    fip_of = {f["port_id"]: f for f in fips if f.get("port_id")}
    subnet_os = {ip["subnet_id"] for p in ports for ip in p.get("fixed_ips") or []}
    sibling_ids = {s["id"] for s in siblings if eni.is_interface(s)}
    with ctx.session() as s:
        eni_ids = ids.ec2_ids(s, ctx.project_id, eni.KIND, port_ids)
        sibling_eni = ids.ec2_ids(s, ctx.project_id, eni.KIND, sibling_ids)
        data_of = ids.get_data_many(s, ctx.project_id, {*eni_ids.values(), *sibling_eni.values()})
        subnet_ids = ids.ec2_ids(s, ctx.project_id, "subnet", subnet_os)
        subnet_data = ids.get_data_many(s, ctx.project_id, subnet_ids.values())
        vpc_ids = ids.ec2_ids(s, ctx.project_id, "vpc", {p["network_id"] for p in ports})
        instance_ids = ids.ec2_ids(s, ctx.project_id, "i", servers)
        sg_ids = ids.ec2_ids(s, ctx.project_id, "sg", group_names)
        sg_names = groups.shown_names(s, ctx.project_id, group_names, sg_ids)
        alloc = ids.ec2_ids(s, ctx.project_id, "eipalloc", [f["id"] for f in fip_of.values()])
        assoc = ids.ec2_ids(s, ctx.project_id, "eipassoc", [f"{f['id']}/{pid}" for pid, f in fip_of.items()])
        tags_of = tags.tags_for(s, ctx.project_id, eni_ids.values())
    zones = zone_names(ctx) if any(not (subnet_data.get(sid) or {}).get("az") for sid in subnet_ids.values()) else []
    by_server: dict[str, list[dict]] = {}
    for sib in siblings:
        if sib.get("device_id") in instance_ids and eni.is_interface(sib):
            by_server.setdefault(sib["device_id"], []).append(sib)
    port_data = {pid: data_of.get(sibling_eni.get(pid, ""), {}) for pid in sibling_ids}
    indexes: dict[str, int] = {}
    for sibs in by_server.values():
        indexes.update(eni.device_indexes(sibs, port_data))
    out = []
    for p in ports:
        eni_id = eni_ids[p["id"]]
        data = data_of.get(eni_id, {})
        v4 = eni.v4_ips(p, data)
        primary = v4[0] if v4 else {}
        sub_id = subnet_ids.get(primary.get("subnet_id", ""), "")
        zone = (subnet_data.get(sub_id) or {}).get("az") or (zones[0] if zones else "")
        fip = fip_of.get(p["id"])
        association = None
        if fip:
            association = {"PublicIp": fip["floating_ip_address"], "PublicDnsName": "", "IpOwnerId": ctx.account_id,
                           "AllocationId": alloc[fip["id"]], "AssociationId": assoc[f"{fip['id']}/{p['id']}"]}
        private_ips = []
        for ip in v4:
            entry: dict[str, Any] = {"Primary": ip is primary, "PrivateIpAddress": ip["ip_address"],
                                     "PrivateDnsName": instance_view.dns_name(ip["ip_address"], ctx.region)}
            if association and fip and fip.get("fixed_ip_address") == ip["ip_address"]:
                entry["Association"] = association
            private_ips.append(entry)
        item: dict[str, Any] = {
            "NetworkInterfaceId": eni_id, "SubnetId": sub_id, "VpcId": vpc_ids[p["network_id"]],
            "AvailabilityZone": zone, "Description": p.get("description") or "", "OwnerId": ctx.account_id,
            "RequesterManaged": False, "Status": "available", "MacAddress": p.get("mac_address") or "",
            "PrivateIpAddress": primary.get("ip_address", ""),
            "PrivateDnsName": instance_view.dns_name(primary.get("ip_address"), ctx.region),
            "SourceDestCheck": eni.source_dest_check(p),
            "Groups": [{"GroupId": sg_ids.get(g, ""), "GroupName": sg_names.get(g, "")}
                       for g in p.get("security_groups") or []],
            "PrivateIpAddresses": private_ips,
            "Ipv6Addresses": [{"Ipv6Address": ip["ip_address"]} for ip in p.get("fixed_ips") or []
                              if ":" in ip.get("ip_address", "")],
            "InterfaceType": "interface", "Ipv4Prefixes": [], "Ipv6Prefixes": [],
            "Tags": tags_of.get(eni_id, []),
        }
        if zone in zones:
            item["AvailabilityZoneId"] = f"{ctx.region.lower()}-az{zones.index(zone) + 1}"
        if association:
            item["Association"] = association
        server = p.get("device_id") if p.get("device_id") in instance_ids else None
        if server:
            item["Status"] = "in-use"
            attachment: dict[str, Any] = {
                "AttachmentId": eni.attachment_id(eni_id), "InstanceId": instance_ids[server],
                "InstanceOwnerId": ctx.account_id, "DeviceIndex": indexes.get(p["id"], 0), "Status": "attached",
                "DeleteOnTermination": eni.delete_on_termination(data), "NetworkCardIndex": 0}
            when = eni.attach_time(p, data)
            if when is not None:
                attachment["AttachTime"] = when
            item["Attachment"] = attachment
        out.append(item)
    return out


def tagset(items: list[dict]) -> list[Any]:
    """``Tags`` (what the pipeline filters on) as the model's ``TagSet``."""
    for item in items:
        if "Tags" in item:
            item["TagSet"] = item.pop("Tags")
    return items
