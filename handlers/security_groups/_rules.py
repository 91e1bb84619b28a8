"""EC2 permissions <-> Neutron security group rules.

An EC2 permission (protocol, port range, and sources) is split into atoms, one per source (an IPv4
CIDR, an IPv6 CIDR or a group); each atom is one Neutron rule. Neutron's way of saying "any
address" (no remote) shows as ``0.0.0.0/0`` / ``::/0``; a rule with a remote group allows IPv4 (the
ethertype of the rule ec2api creates for a group pair); Neutron's own IPv4 and IPv6 rules for one
group (the default group's) show as one pair. Ports: TCP/UDP 0-65535 is Neutron's "no port range";
for ICMP, FromPort/ToPort are the type/code, -1 for any (Neutron: no value).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ec2api_runtime.errors import EC2Error
from ec2api_runtime.honours import unsupported

# Protocol names EC2 takes besides numbers, and what EC2 shows for numbers Neutron may hold.
_NAMES = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
          "icmpv6": "icmpv6", "58": "icmpv6", "-1": "-1", "all": "-1"}
_TO_NEUTRON = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmpv6": "ipv6-icmp", "-1": None}
# Neutron accepts these names (and numbers); EC2 shows them as numbers.
_NEUTRON_NAMES = {"ipv6-icmp": "icmpv6", "icmpv6": "icmpv6", "ah": "51", "dccp": "33", "egp": "8", "esp": "50",
                  "gre": "47", "igmp": "2", "ipip": "4", "ipv6-encap": "41", "ipv6-frag": "44",
                  "ipv6-nonxt": "59", "ipv6-opts": "60", "ipv6-route": "43", "ospf": "89", "pgm": "113",
                  "rsvp": "46", "sctp": "132", "udplite": "136", "vrrp": "112", "any": "-1", "0": "-1"}
ANY4, ANY6 = "0.0.0.0/0", "::/0"


@dataclass(frozen=True)
class Atom:
    """One rule in EC2's terms: direction, protocol (EC2 spelling), ports, and one source."""

    egress: bool
    protocol: str
    from_port: int | None
    to_port: int | None
    cidr4: str | None = None
    cidr6: str | None = None
    group: str | None = None        # Neutron id of the group referenced
    description: str | None = None
    v6: bool | None = None          # the ethertype of a group rule Neutron holds (not part of the key)

    @property
    def key(self) -> tuple:
        """What makes two rules the same rule (the description does not)."""
        return (self.egress, self.protocol, self.from_port, self.to_port, self.cidr4, self.cidr6, self.group)

    def describe(self) -> str:
        """AWS's wording of a rule in InvalidPermission messages."""
        peer = self.cidr4 or self.cidr6 or self.group
        proto = "ALL" if self.protocol == "-1" else self.protocol.upper()
        ports = "" if self.from_port is None else f", from port: {self.from_port}, to port: {self.to_port}"
        return f'peer: {peer}, {proto}{ports}, ALLOW'


def protocol(value: str) -> str:
    """The EC2 spelling of an IpProtocol value (``InvalidParameterValue`` for an unknown one)."""
    text = str(value).strip().lower()
    if text in _NAMES:
        return _NAMES[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return str(int(text))
    raise EC2Error("InvalidParameterValue", f"Invalid value '{value}' for IP protocol. Unknown protocol.")


def ports(proto: str, from_port: int | None, to_port: int | None) -> tuple[int | None, int | None]:
    """The checked port range of an EC2 permission, normalised (``None`` where EC2 shows none)."""
    if proto in ("tcp", "udp"):
        if from_port is None or to_port is None:
            raise EC2Error("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with "
                           "TCP/UDP.' for portRange.")
        if not (0 <= from_port <= 65535 and 0 <= to_port <= 65535) or from_port > to_port:
            raise EC2Error("InvalidParameterValue", f"Invalid value '{from_port}-{to_port}' for portRange: "
                           "ports must be 0-65535 and FromPort not above ToPort.")
        if from_port == 0 and to_port != 65535:
            # Neutron refuses port 0; 0-65535 is its "every port".
            raise EC2Error("InvalidParameterValue", "Port 0 is not supported by this cloud except in the "
                           "range 0-65535 (every port).")
        return from_port, to_port
    if proto in ("icmp", "icmpv6"):
        icmp_type = -1 if from_port is None else from_port
        code = -1 if to_port is None else to_port
        if not (-1 <= icmp_type <= 255 and -1 <= code <= 255) or (icmp_type == -1 and code != -1):
            raise EC2Error("InvalidParameterValue", f"Invalid value '{icmp_type}/{code}' for ICMP type/code: "
                           "each must be -1 (any) or 0-255, and a code needs a type.")
        return icmp_type, code
    return None, None   # every other protocol: all traffic of it (as on AWS, ports do not apply)


def cidr(value: str, version: int, member: str) -> str:
    """A CIDR of the IP version as written (host bits set are refused, as they would be changed)."""
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        net = None
    if net is None or net.version != version or "/" not in value:
        raise EC2Error("InvalidParameterValue", f"Value ({value}) for parameter {member} is invalid. "
                       "This is not a valid CIDR block.")
    return str(net)


GroupResolver = Callable[[dict], str]   # a UserIdGroupPair -> the Neutron id of its group


def atoms_of(permissions: Iterable[dict], egress: bool, resolve_pair: GroupResolver,
             with_description: bool = True) -> list[Atom]:
    """The atoms of EC2 IpPermissions, checked (nothing is created until all are)."""
    out: list[Atom] = []
    for n, perm in enumerate(permissions, 1):
        proto = protocol(perm.get("IpProtocol", ""))
        lo, hi = ports(proto, perm.get("FromPort"), perm.get("ToPort"))
        if perm.get("PrefixListIds"):
            raise EC2Error("InvalidParameterValue", "Prefix lists are not supported by this cloud "
                           f"(IpPermissions.{n}.PrefixListIds).")
        sources: list[dict] = []
        for r in perm.get("IpRanges") or []:
            sources.append({"cidr4": cidr(r.get("CidrIp", ""), 4, "cidrIp"), "description": r.get("Description")})
        for r in perm.get("Ipv6Ranges") or []:
            sources.append({"cidr6": cidr(r.get("CidrIpv6", ""), 6, "cidrIpv6"), "description": r.get("Description")})
        for pair in perm.get("UserIdGroupPairs") or []:
            for member in ("VpcPeeringConnectionId", "PeeringStatus"):
                if pair.get(member):
                    raise unsupported(f"IpPermissions.{n}.Groups.{member}")
            sources.append({"group": resolve_pair(pair), "description": pair.get("Description")})
        if not sources:
            raise EC2Error("InvalidParameterValue", f"IpPermissions.{n}: a CIDR range or a security group is "
                           "required (the source or destination of the rule).")
        for src in sources:
            if proto == "icmpv6" and src.get("cidr4"):
                raise EC2Error("InvalidParameterValue", "ICMPv6 rules take IPv6 ranges only.")
            if proto == "icmp" and src.get("cidr6"):
                raise EC2Error("InvalidParameterValue", "ICMP rules take IPv4 ranges only; use icmpv6.")
            if not with_description:
                src["description"] = None
            out.append(Atom(egress, proto, lo, hi, src.get("cidr4"), src.get("cidr6"), src.get("group"),
                            src.get("description")))
    return out


def legacy_permission(params: dict) -> dict | None:
    """The one IpPermission of the legacy flat form (CidrIp, IpProtocol, ...), or None without it."""
    flat = ("CidrIp", "IpProtocol", "FromPort", "ToPort", "SourceSecurityGroupName", "SourceSecurityGroupOwnerId")
    if not any(k in params for k in flat):
        return None
    if params.get("IpPermissions"):
        raise EC2Error("InvalidParameterCombination", "The parameter IpPermissions cannot be used with the "
                       "parameters CidrIp, IpProtocol, FromPort, ToPort or SourceSecurityGroup*.")
    if params.get("CidrIp") and "IpProtocol" not in params:
        raise EC2Error("MissingParameter", "The request must contain the parameter ipProtocol")
    # Without a CIDR, a source group alone means all traffic from it (AWS's legacy form).
    perm: dict[str, Any] = {"IpProtocol": params.get("IpProtocol", "-1")}
    for k in ("FromPort", "ToPort"):
        if k in params:
            perm[k] = params[k]
    if params.get("CidrIp"):
        if params.get("SourceSecurityGroupName"):
            raise EC2Error("InvalidParameterCombination", "CidrIp cannot be used with SourceSecurityGroupName.")
        perm["IpRanges"] = [{"CidrIp": params["CidrIp"]}]
    elif params.get("SourceSecurityGroupName"):
        pair = {"GroupName": params["SourceSecurityGroupName"]}
        if params.get("SourceSecurityGroupOwnerId"):
            pair["UserId"] = params["SourceSecurityGroupOwnerId"]
        perm["UserIdGroupPairs"] = [pair]
    return perm


def neutron_body(atom: Atom, group_os_id: str) -> dict:
    """The Neutron rule that carries ``atom`` in the group ``group_os_id``."""
    body: dict[str, Any] = {"security_group_id": group_os_id, "direction": "egress" if atom.egress else "ingress",
                            "ethertype": "IPv6" if atom.cidr6 or atom.protocol == "icmpv6" or atom.v6 else "IPv4"}
    proto = _TO_NEUTRON.get(atom.protocol, atom.protocol)
    if proto is not None:
        body["protocol"] = proto
    if atom.protocol in ("tcp", "udp"):
        if (atom.from_port, atom.to_port) != (0, 65535):
            body.update(port_range_min=atom.from_port, port_range_max=atom.to_port)
    elif atom.protocol in ("icmp", "icmpv6"):
        if atom.from_port is not None and atom.from_port >= 0:
            body["port_range_min"] = atom.from_port
            if atom.to_port is not None and atom.to_port >= 0:
                body["port_range_max"] = atom.to_port
    if atom.group:
        body["remote_group_id"] = atom.group
    elif atom.cidr4 or atom.cidr6:
        body["remote_ip_prefix"] = atom.cidr4 or atom.cidr6
    if atom.description:
        body["description"] = atom.description
    return body


def atom_of_rule(rule: dict) -> Atom | None:
    """The EC2 view of a Neutron rule; None for one EC2 cannot show (a remote address group)."""
    if rule.get("remote_address_group_id"):
        return None
    raw = str(rule.get("protocol") or "-1").lower()
    proto = _NAMES.get(raw) or _NEUTRON_NAMES.get(raw) or raw
    lo, hi = rule.get("port_range_min"), rule.get("port_range_max")
    if proto in ("tcp", "udp"):
        from_port, to_port = (0, 65535) if lo is None else (lo, hi if hi is not None else lo)
    elif proto in ("icmp", "icmpv6"):
        from_port, to_port = (-1 if lo is None else lo), (-1 if hi is None else hi)
    elif lo is not None:
        from_port, to_port = lo, hi if hi is not None else lo     # Neutron's ports on e.g. SCTP, as they are
    else:
        from_port = to_port = None
    v6 = rule.get("ethertype") == "IPv6"
    prefix = rule.get("remote_ip_prefix")
    if rule.get("remote_group_id"):
        cidr4 = cidr6 = None
    elif prefix:
        cidr4, cidr6 = (None, str(ipaddress.ip_network(prefix, strict=False))) if v6 else \
            (str(ipaddress.ip_network(prefix, strict=False)), None)
    else:
        cidr4, cidr6 = (None, ANY6) if v6 else (ANY4, None)
    return Atom(rule.get("direction") == "egress", proto, from_port, to_port, cidr4, cidr6,
                rule.get("remote_group_id"), rule.get("description") or None, v6)


def permissions(atoms: Iterable[Atom], group_ref: Callable[[str], dict]) -> list[dict]:
    """EC2 IpPermissions: one per (protocol, from, to), its sources in the order Neutron lists them."""
    perms: dict[tuple, dict] = {}
    seen: set[tuple] = set()
    for a in atoms:
        key = (a.protocol, a.from_port, a.to_port)
        perm = perms.get(key)
        if perm is None:
            perm = {"IpProtocol": a.protocol, "IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": [],
                    "PrefixListIds": []}
            if a.from_port is not None:
                perm.update(FromPort=a.from_port, ToPort=a.to_port)
            perms[key] = perm
        if a.key[1:] in seen:     # Neutron's IPv4 and IPv6 rules for one group pair
            continue
        seen.add(a.key[1:])
        if a.group:
            entry = dict(group_ref(a.group))
        elif a.cidr4:
            entry = {"CidrIp": a.cidr4}
        else:
            entry = {"CidrIpv6": a.cidr6}
        if a.description:
            entry["Description"] = a.description
        perm["UserIdGroupPairs" if a.group else "IpRanges" if a.cidr4 else "Ipv6Ranges"].append(entry)
    return list(perms.values())
