"""RunInstances' network interfaces when Nova cannot make them itself: the ports are made (or
taken) by ec2api and handed to Nova as ``networks: [{"port": id}, ...]`` in device index order.

That is the case for an existing interface (NetworkInterfaceId), more than one interface, secondary
addresses, DeleteOnTermination false, a public address (AssociatePublicIpAddress, or a subnet's
MapPublicIpOnLaunch), or a device index other than 0. Nova deletes with a server only the ports it
made, so the ports made here carry ``delete_on_termination`` in their ENI data and
TerminateInstances deletes them (``terminate``); a public address is a floating IP made here,
recorded in the instance's data (``public_fips``) and released on termination. One instance per
request on this path: each instance needs its own ports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ec2api_runtime.db import ids
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.openstack import checked, versioned_endpoint
from handlers import _interfaces as eni
from handlers import _vpc


@dataclass
class Planned:
    """One interface to launch with: an existing port, or the makings of a new one."""

    index: int
    delete_on_termination: bool
    public: bool
    port: dict | None = None                       # existing
    eni_id: str | None = None
    subnet: dict | None = None                     # new
    group_os_ids: list[str] = field(default_factory=list)
    fixed_ips: list[dict] = field(default_factory=list)
    primary: str | None = None
    description: str = ""


@dataclass
class Plan:
    interfaces: list[Planned]
    network_id: str
    subnet_uuid: str | None
    made_ports: list[str] = field(default_factory=list)
    fips: list[str] = field(default_factory=list)
    port_ids: list[str] = field(default_factory=list)   # in device index order
    taken: list[str] = field(default_factory=list)      # existing ENIs given the launch's attachment data

    @property
    def networks(self) -> list[dict]:
        """Nova's ``networks`` for the server: the ports, in device index order."""
        return [{"port": p} for p in self.port_ids]


def _needs_ports(params: Any, map_public: bool) -> bool:
    nics = params.get("NetworkInterfaces") or []
    if len(nics) > 1 or map_public:
        return True
    return any(n.get("NetworkInterfaceId") or n.get("SecondaryPrivateIpAddressCount") or n.get("PrivateIpAddresses")
               or n.get("DeleteOnTermination") is False or n.get("AssociatePublicIpAddress")
               or n.get("DeviceIndex", 0) != 0 or n.get("Description") for n in nics)


def _map_public(ctx: Any, params: Any) -> bool:
    """Whether the launch's subnet maps public addresses at launch (and the request does not say no)."""
    nics = params.get("NetworkInterfaces") or []
    first: dict = next((n for n in nics if n.get("DeviceIndex", 0) == 0), {})
    if first.get("AssociatePublicIpAddress") is not None:
        return False   # the request decides (_needs_ports looks at it)
    subnet_id = first.get("SubnetId") or params.get("SubnetId")
    if not subnet_id or not ids.is_well_formed("subnet", subnet_id):
        return False
    with ctx.session() as s:
        data = ids.get_data_many(s, ctx.project_id, [subnet_id]).get(subnet_id, {})
    return bool(data.get("map_public_ip"))


def plan(ctx: Any, params: Any) -> Plan | None:
    """What to make, everything checked and nothing made; None when Nova makes the port itself."""
    map_public = _map_public(ctx, params)
    if not _needs_ports(params, map_public):
        return None
    if params.get("NetworkInterfaces") and any(params.get(m) for m in (
            "SubnetId", "SecurityGroupIds", "SecurityGroups", "PrivateIpAddress")):
        raise EC2Error("InvalidParameterCombination",
                       "Network interfaces and an instance-level subnet, security groups or private IP "
                       "addresses cannot be specified on the same request")
    if params["MaxCount"] > 1:
        raise EC2Error("InvalidParameterCombination", "Interfaces made or taken at launch (existing interfaces, "
                       "several interfaces, secondary or public addresses) can be given to one instance per request "
                       "here: MaxCount must be 1.")
    nics = list(params.get("NetworkInterfaces") or [{"DeviceIndex": 0, "SubnetId": params.get("SubnetId")}])
    indexes = [n.get("DeviceIndex", 0) for n in nics]
    if sorted(indexes) != list(range(len(nics))):
        raise EC2Error("InvalidParameterValue", "The network interfaces' device indexes must be 0, 1, ... without "
                       "gaps or repeats.")
    out: list[Planned] = []
    network_id: str | None = None
    for n in sorted(nics, key=lambda n: n.get("DeviceIndex", 0)):
        index = n.get("DeviceIndex", 0)
        public = bool(n.get("AssociatePublicIpAddress")) or (index == 0 and map_public)
        if public and index != 0:
            raise EC2Error("InvalidParameterCombination",
                           "A public IP address can only be associated with the interface at device index 0.")
        if n.get("NetworkInterfaceId"):
            if n.get("SubnetId") or n.get("Groups") or n.get("PrivateIpAddress") or n.get(
                    "SecondaryPrivateIpAddressCount") or n.get("PrivateIpAddresses"):
                raise EC2Error("InvalidParameterCombination", "An existing network interface takes no subnet, "
                               "groups or addresses at launch.")
            port, data = eni.resolve(ctx, n["NetworkInterfaceId"])
            if port.get("device_id"):
                raise EC2Error("InvalidNetworkInterface.InUse", f"Interface: [{n['NetworkInterfaceId']}] in use.")
            item = Planned(index, bool(n.get("DeleteOnTermination", False)), public, port=port,
                           eni_id=n["NetworkInterfaceId"], primary=(eni.v4_ips(port, data) or [{}])[0].get("ip_address"))
            net = port["network_id"]
        else:
            if not n.get("SubnetId"):
                raise EC2Error("MissingParameter", "A new network interface needs a SubnetId.")
            subnet, _ = eni.subnet_of(ctx, n["SubnetId"])
            with ctx.session() as s:
                vpc_id = ids.ec2_id(s, ctx.project_id, "vpc", subnet["network_id"])
            primary, secondary = eni.addresses(n)
            count = int(n.get("SecondaryPrivateIpAddressCount") or 0)
            item = Planned(index, bool(n.get("DeleteOnTermination", True)), public, subnet=subnet,
                           group_os_ids=eni.group_ids_for(ctx, list(n.get("Groups") or []), vpc_id),
                           fixed_ips=eni.fixed_ips(subnet, primary, secondary, count), primary=primary,
                           description=n.get("Description") or "")
            net = subnet["network_id"]
        if network_id is not None and net != network_id:
            raise EC2Error("InvalidParameterValue", "The network interfaces of an instance must be in one VPC.")
        network_id = net
        out.append(item)
    assert network_id is not None
    first = out[0]
    subnet_uuid = (first.subnet or {}).get("id") or (eni.v4_ips(first.port or {}) or [{}])[0].get("subnet_id")
    if any(i.public for i in out):
        _vpc.external_network_id(ctx)   # refused now, before anything is made, when there is none
    return Plan(out, network_id, subnet_uuid)



def _post(ctx: Any, path: str, body: dict) -> Any:
    url = versioned_endpoint(ctx.os, "network").rstrip("/") + path
    return ctx.os.session.post(url, json=body, raise_exc=False)


def create(ctx: Any, p: Plan) -> None:
    """Make the ports and floating IPs of the plan, recording the ENIs' data (undo: ``undo``)."""
    now = datetime.now(UTC).isoformat()
    try:
        for item in p.interfaces:
            if item.port is None:
                assert item.subnet is not None
                port = eni.create_port(ctx, item.subnet, item.group_os_ids, item.fixed_ips, item.description)
                p.made_ports.append(port["id"])
                item.primary = item.primary or (eni.v4_ips(port) or [{}])[0].get("ip_address")
                with ctx.session() as s:
                    eni_id = ids.ec2_id(s, ctx.project_id, eni.KIND, port["id"])
                    ids.set_data(s, ctx.project_id, eni_id, {
                        "made": True, "primary_ip": item.primary, "device_index": item.index, "attach_time": now,
                        "delete_on_termination": item.delete_on_termination})
                item.port, item.eni_id = port, eni_id
            else:
                assert item.eni_id is not None
                _vpc.update_data(ctx, item.eni_id, device_index=item.index, attach_time=now,
                                 delete_on_termination=item.delete_on_termination)
                p.taken.append(item.eni_id)
            p.port_ids.append(item.port["id"])
            if item.public:
                _public_address(ctx, p, item.port, item.primary)
    except BaseException:
        undo(ctx, p)
        raise


def _public_address(ctx: Any, p: Plan, port: dict, primary: str | None) -> None:
    resp = _post(ctx, "/floatingips", {"floatingip": {"floating_network_id": _vpc.external_network_id(ctx),
                                                      "port_id": port["id"], "fixed_ip_address": primary}})
    if resp.status_code == 404 and "external network" in resp.text.lower():
        raise EC2Error("Gateway.NotAttached", "A public address needs an internet gateway attached to the VPC "
                       "(its router has no gateway on the external network).")
    p.fips.append(checked(resp).json()["floatingip"]["id"])


def undo(ctx: Any, p: Plan) -> None:
    """Remove what ``create`` made (floating IPs, then ports, and their ids)."""
    for fip in p.fips:
        _vpc.undo(lambda fip=fip: _vpc.neutron(ctx, "DELETE", f"/floatingips/{fip}", missing_ok=True))
    for port_id in p.made_ports:
        _vpc.undo(lambda port_id=port_id: _vpc.neutron(ctx, "DELETE", f"/ports/{port_id}", missing_ok=True))
    with ctx.session() as s:
        made = ids.ec2_ids(s, ctx.project_id, eni.KIND, p.made_ports)
        ids.forget(s, ctx.project_id, made.values())
        for eni_id, d in ids.get_data_many(s, ctx.project_id, p.taken).items():
            ids.set_data(s, ctx.project_id, eni_id, _detached(d))


def _detached(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("device_index", "attach_time", "delete_on_termination")}


def terminate(ctx: Any, ports: list[Any], instance_data: dict) -> list[str]:
    """After Nova's delete: release the launch's floating IPs, delete the ports ec2api made whose
    DeleteOnTermination is true (Nova leaves them; the others stay, available). Returns the ENI ids
    that go with the instance (Nova's ports and those)."""
    for fip in instance_data.get("public_fips") or []:
        _vpc.undo(lambda fip=fip: _vpc.neutron(ctx, "DELETE", f"/floatingips/{fip}", missing_ok=True))
    port_ids = [p.id for p in ports]
    with ctx.session() as s:
        eni_ids = ids.ec2_ids(s, ctx.project_id, eni.KIND, port_ids)
        data = ids.get_data_many(s, ctx.project_id, eni_ids.values())
    gone = []
    for port_id, eni_id in eni_ids.items():
        d = data.get(eni_id, {})
        if d.get("delete_on_termination") is True:   # Nova's own ports never carry it: Nova deletes those
            _vpc.undo(lambda port_id=port_id: _vpc.neutron(ctx, "DELETE", f"/ports/{port_id}", missing_ok=True))
            gone.append(eni_id)
        elif d:
            with ctx.session() as s:
                ids.set_data(s, ctx.project_id, eni_id, _detached(d))
    if gone:
        with ctx.session() as s:
            ids.forget(s, ctx.project_id, gone)
    return [e for e in eni_ids.values() if eni.delete_on_termination(data.get(e, {}))]
