"""DHCP options sets: records whose ``domain-name-servers`` become the DNS servers of the subnets.

Create/Delete/Describe/AssociateDhcpOptions. A set is a record (``dopt-``, item data
``{"config": [{"Key", "Values"}]}``); associating it with a VPC sets ``dns_nameservers`` on every
Neutron subnet of the VPC (and on the subnets made later), which Neutron's DHCP serves.
``AmazonProvidedDNS`` is the cloud's own resolver (no ``dns_nameservers``). Every other key
(domain-name, ntp-servers, netbios-*) is refused: this cloud would not apply it. The region's
default set (``domain-name-servers = AmazonProvidedDNS``) is every VPC's until another is
associated; associating ``default`` (AWS's word for no options) gives the same.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe, honours
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from ec2api_runtime.tagging import drop_empty_tags, tags_from_specs
from handlers import _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        AssociateDhcpOptionsRequest,
        CreateDhcpOptionsRequest,
        CreateDhcpOptionsResult,
        DeleteDhcpOptionsRequest,
        DescribeDhcpOptionsRequest,
        DescribeDhcpOptionsResult,
    )

KIND = "dopt"
AMAZON_DNS = "AmazonProvidedDNS"
DNS_KEY = "domain-name-servers"
DEFAULT_CONFIG = [{"Key": DNS_KEY, "Values": [AMAZON_DNS]}]
MAX_SERVERS = 4   # AWS's limit of domain name servers in a set


def _view(ctx: Any, dopt_id: str, config: list[dict], dopt_tags: list) -> dict:
    return {"DhcpOptionsId": dopt_id, "OwnerId": ctx.account_id, "Tags": dopt_tags,
            "DhcpConfigurations": [{"Key": c["Key"], "Values": [{"Value": v} for v in c["Values"]]} for c in config]}


def _records(ctx: Any) -> dict[str, list[dict]]:
    """``{dopt id: config}`` of the caller's sets, the default set included."""
    with ctx.session() as s:
        default = _vpc.default_dhcp_id(s, ctx.project_id)
        found = {d: data.get("config") or [] for d, (_, data) in ids.items_with_data(s, ctx.project_id, KIND).items()}
    found[default] = DEFAULT_CONFIG
    return found


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    records = _records(ctx)
    with ctx.session() as s:
        tags_of = tags.tags_for(s, ctx.project_id, records.keys())
    return [_view(ctx, d, config, tags_of.get(d, [])) for d, config in records.items()]


DESCRIBE = describe.Describe(
    result_key="DhcpOptions",
    fetch=_fetch,
    sort_key=lambda i: i["DhcpOptionsId"],
    requested=(describe.Requested("DhcpOptionsIds", lambda i: i["DhcpOptionsId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),),
    filters={
        "dhcp-options-id": lambda i: i["DhcpOptionsId"],
        "key": lambda i: [c["Key"] for c in i["DhcpConfigurations"]],
        "value": lambda i: [v["Value"] for c in i["DhcpConfigurations"] for v in c["Values"]],
        "owner-id": lambda i: i["OwnerId"],
    },
)


@handler("DescribeDhcpOptions", not_found="InvalidDhcpOptionID.NotFound",
         honours=("DhcpOptionsIds", "Filters", "MaxResults", "NextToken"))
def describe_dhcp_options(ctx: RequestContext, params: DescribeDhcpOptionsRequest) -> DescribeDhcpOptionsResult:
    """The caller's DHCP options sets (records: no OpenStack call)."""
    return describe.run(ctx, params, DESCRIBE)


def _servers(values: list[str]) -> list[str]:
    if len(values) > MAX_SERVERS:
        raise EC2Error("InvalidParameterValue", f"At most {MAX_SERVERS} domain name servers can be given.")
    if AMAZON_DNS in values and len(values) > 1:
        raise honours.unsupported(f"DhcpConfigurations.{DNS_KEY}", ",".join(values))
    for v in values:
        if v == AMAZON_DNS:
            continue
        try:
            ipaddress.IPv4Address(v)
        except ValueError:
            raise EC2Error("InvalidParameterValue", f"Value ({v}) for parameter {DNS_KEY} is invalid.") from None
    return values


@handler("CreateDhcpOptions", honours=("DhcpConfigurations", "TagSpecifications"))
def create_dhcp_options(ctx: RequestContext, params: CreateDhcpOptionsRequest) -> CreateDhcpOptionsResult:
    """A set of domain name servers (the one key this cloud applies)."""
    config: list[dict] = []
    for index, c in enumerate(params["DhcpConfigurations"], 1):
        key, values = c.get("Key"), list(c.get("Values") or [])
        if key != DNS_KEY:
            # Neutron cannot serve it to the VPC's instances here (no DNS integration, no per-VPC
            # DHCP options): stored, it would be a setting that does nothing.
            raise honours.unsupported(f"DhcpConfigurations.{index}.Key", key)
        if any(x["Key"] == key for x in config):
            raise EC2Error("InvalidParameterValue", f"The DHCP option {key} is given twice.")
        config.append({"Key": key, "Values": _servers(values)})
    new_tags = tags_from_specs(params.get("TagSpecifications"), "dhcp-options")
    with ctx.session() as s:
        dopt_id = ids.ec2_id(s, ctx.project_id, KIND, str(uuid.uuid4()))
        ids.set_data(s, ctx.project_id, dopt_id, {"config": config})
        if new_tags:
            tags.set_tags(s, ctx.project_id, [dopt_id], new_tags)
    view: Any = _view(ctx, dopt_id, config, new_tags)
    drop_empty_tags([view])
    return {"DhcpOptions": view}


def _dns_of(config: list[dict]) -> list[str]:
    values: list[str] = next((c["Values"] for c in config if c["Key"] == DNS_KEY), [])
    return [v for v in values if v != AMAZON_DNS]


@handler("AssociateDhcpOptions", not_found="InvalidVpcID.NotFound", honours=("DhcpOptionsId", "VpcId"))
def associate_dhcp_options(ctx: RequestContext, params: AssociateDhcpOptionsRequest) -> None:
    """Serve the set's DNS servers on every subnet of the VPC (undone on failure)."""
    dopt_id, vpc_id = params["DhcpOptionsId"], params["VpcId"]
    records = _records(ctx)
    if dopt_id != "default":
        ids.require_well_formed(KIND, [dopt_id])
        if dopt_id not in records:
            raise ids.not_found(KIND, dopt_id)
    net, data = _vpc.resolve_vpc(ctx, vpc_id)
    dns = _dns_of(records.get(dopt_id, DEFAULT_CONFIG))
    subnets = [sn for sn in _vpc.vpc_subnets(ctx, [net["id"]]) if sn.get("ip_version") == 4]
    done: list[dict] = []
    try:
        for sn in subnets:
            _vpc.neutron(ctx, "PUT", f"/subnets/{sn['id']}", {"subnet": {"dns_nameservers": dns}})
            done.append(sn)
        with ctx.session() as s:
            default = _vpc.default_dhcp_id(s, ctx.project_id)
        chosen = default if dopt_id == "default" else dopt_id
        _vpc.update_data(ctx, vpc_id, dhcp=None if chosen == default else chosen, dns=dns)
    except BaseException:
        _vpc.undo(*[lambda sn=sn: _vpc.neutron(ctx, "PUT", f"/subnets/{sn['id']}", {"subnet": {
            "dns_nameservers": sn.get("dns_nameservers") or []}}) for sn in reversed(done)])
        raise


@handler("DeleteDhcpOptions", not_found="InvalidDhcpOptionID.NotFound", honours=("DhcpOptionsId",))
def delete_dhcp_options(ctx: RequestContext, params: DeleteDhcpOptionsRequest) -> None:
    """Delete a set no VPC uses (the default set is every other VPC's, so it stays)."""
    dopt_id = params["DhcpOptionsId"]
    ids.require_well_formed(KIND, [dopt_id])
    records = _records(ctx)
    if dopt_id not in records:
        raise ids.not_found(KIND, dopt_id)
    with ctx.session() as s:
        default = _vpc.default_dhcp_id(s, ctx.project_id)
        vpcs = ids.items_with_data(s, ctx.project_id, "vpc")
    if dopt_id == default or any(d.get("dhcp") == dopt_id for _, d in vpcs.values()):
        raise EC2Error("DependencyViolation", f"The dhcpOptions '{dopt_id}' has dependencies and cannot be deleted.")
    with ctx.session() as s:
        ids.forget(s, ctx.project_id, [dopt_id])
