"""Names the generator derives from the model: module names, identifiers, wire names."""

from __future__ import annotations

import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")


def snake_case(name: str) -> str:
    """``DescribeInstances`` -> ``describe_instances``; ``AssignIpv6Addresses`` -> ``assign_ipv6_addresses``."""
    return _WORD_BOUNDARY.sub("_", name).lower()


def identifier(name: str) -> str:
    """A Python identifier fragment for a shape name (shape names are alphanumeric in practice)."""
    ident = _NOT_IDENT.sub("_", name)
    return ident if not ident[:1].isdigit() else "_" + ident


def input_wire_name(member_name: str, member: dict) -> str:
    """The form-field name of an input member under the ec2 protocol.

    ``queryName`` wins; else ``locationName`` with its first letter upper-cased; else the member name,
    also with its first letter upper-cased (the protocol's rule; every EC2 member name already is).
    """
    if "queryName" in member:
        return member["queryName"]
    location = member.get("locationName")
    if location:
        return location[0].upper() + location[1:]
    return member_name[:1].upper() + member_name[1:]


def output_element_name(member_name: str, member: dict) -> str:
    """The XML element name of an output member: its ``locationName`` exactly, else the member name."""
    return member.get("locationName") or member_name
