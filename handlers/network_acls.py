"""Network ACLs: each VPC's default ACL, which allows everything, as Neutron does without a firewall.

DescribeNetworkAcls shows, for every VPC, one default ACL (``acl-`` recorded on first use) with the
rules AWS gives a default ACL (rule 100 allows all, the ``*`` rule denies the rest, both ways) and
an association per subnet: a true description, since this cloud filters nothing at the subnet
boundary. Creating or changing ACLs and entries would need a firewall the cloud does not have
(no Neutron FWaaS): those operations answer a clear error, never a stored rule that filters nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ec2api_runtime import describe
from ec2api_runtime.db import ids, tags
from ec2api_runtime.dispatch import handler
from ec2api_runtime.errors import EC2Error
from handlers import _bulk as bulk
from handlers import _vpc

if TYPE_CHECKING:
    from ec2api_runtime.context import RequestContext
    from generated.ec2.types import (
        CreateNetworkAclEntryRequest,
        CreateNetworkAclRequest,
        CreateNetworkAclResult,
        DeleteNetworkAclEntryRequest,
        DeleteNetworkAclRequest,
        DescribeNetworkAclsRequest,
        DescribeNetworkAclsResult,
        ReplaceNetworkAclAssociationRequest,
        ReplaceNetworkAclAssociationResult,
        ReplaceNetworkAclEntryRequest,
    )

KIND = "acl"
PREFIX = "default:"
NO_FIREWALL = ("this cloud has no firewall at the subnet boundary (no Neutron FWaaS), so each VPC has only its "
               "default network ACL, which allows all traffic; use security groups to filter traffic.")
_ENTRIES = [{"CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1", "RuleAction": action, "RuleNumber": number}
            for egress in (True, False) for number, action in ((100, "allow"), (32767, "deny"))]


def _fetch(ctx: Any, params: dict, wanted: dict[str, list[str]]) -> list[dict]:
    requested = wanted["NetworkAclIds"]
    bulk.prepare(ctx, "network")
    if requested:
        with ctx.session() as s:
            known = ids.os_ids(s, ctx.project_id, requested)
        net_ids = [o[len(PREFIX):] for o in known.values() if o.startswith(PREFIX)]
        nets = bulk.get_json(ctx, "network", "/networks", {"id": net_ids, "fields": ["id", "project_id"]})[
            "networks"] if net_ids else []
        nets = [n for n in nets if n.get("project_id") == ctx.project_id]
        subnets = _vpc.vpc_subnets(ctx, [n["id"] for n in nets]) if nets else []
    else:
        nets = bulk.get_json(ctx, "network", "/networks", {"router:external": "false", "project_id": ctx.project_id,
                                                            "fields": ["id"]})["networks"]
        subnets = _vpc.vpc_subnets(ctx, None)
    subnets = [sn for sn in subnets if sn.get("ip_version") == 4]
    with ctx.session() as s:
        vpc_ids = ids.ec2_ids(s, ctx.project_id, "vpc", [n["id"] for n in nets])
        vpc_data = ids.get_data_many(s, ctx.project_id, vpc_ids.values())
        acl_ids = {n["id"]: _vpc.default_acl_id(s, ctx.project_id, n["id"]) for n in nets}
        sub_ids = ids.ec2_ids(s, ctx.project_id, "subnet", [sn["id"] for sn in subnets])
        assoc_ids = ids.ec2_ids(s, ctx.project_id, "aclassoc", [sn["id"] for sn in subnets])
        tags_of = tags.tags_for(s, ctx.project_id, acl_ids.values())
    items = []
    for n in nets:
        mine = [sn for sn in subnets if sn["network_id"] == n["id"]]
        vpc_id = vpc_ids[n["id"]]
        if not vpc_data.get(vpc_id, {}).get("cidrs") and not mine:
            continue   # a network without an IPv4 range is no VPC
        acl_id = acl_ids[n["id"]]
        items.append({"NetworkAclId": acl_id, "VpcId": vpc_id, "OwnerId": ctx.account_id, "IsDefault": True,
                      "Entries": [dict(e) for e in _ENTRIES], "Tags": tags_of.get(acl_id, []),
                      "Associations": [{"NetworkAclAssociationId": assoc_ids[sn["id"]], "NetworkAclId": acl_id,
                                        "SubnetId": sub_ids[sn["id"]]} for sn in sorted(mine, key=lambda x: x["id"])]})
    return items


def _entries(i: dict, key: str, egress: bool | None = None) -> list:
    return [e[key] for e in i["Entries"] if egress is None or e["Egress"] == egress]


DESCRIBE = describe.Describe(
    result_key="NetworkAcls",
    fetch=_fetch,
    sort_key=lambda i: i["NetworkAclId"],
    requested=(describe.Requested("NetworkAclIds", lambda i: i["NetworkAclId"],
                                  lambda missing: ids.not_found(KIND, missing[0]), kind=KIND),),
    filters={
        "association.association-id": lambda i: [a["NetworkAclAssociationId"] for a in i["Associations"]],
        "association.network-acl-id": lambda i: [a["NetworkAclId"] for a in i["Associations"]],
        "association.subnet-id": lambda i: [a["SubnetId"] for a in i["Associations"]],
        "default": lambda i: i["IsDefault"],
        "entry.cidr": lambda i: _entries(i, "CidrBlock"),
        "entry.icmp.code": lambda i: [],
        "entry.icmp.type": lambda i: [],
        "entry.ipv6-cidr": lambda i: [],
        "entry.port-range.from": lambda i: [],
        "entry.port-range.to": lambda i: [],
        "entry.protocol": lambda i: _entries(i, "Protocol"),
        "entry.rule-action": lambda i: _entries(i, "RuleAction"),
        "entry.egress": lambda i: _entries(i, "Egress"),
        "entry.rule-number": lambda i: _entries(i, "RuleNumber"),
        "network-acl-id": lambda i: i["NetworkAclId"],
        "owner-id": lambda i: i["OwnerId"],
        "vpc-id": lambda i: i["VpcId"],
    },
)


@handler("DescribeNetworkAcls", not_found="InvalidNetworkAclID.NotFound",
         honours=("NetworkAclIds", "Filters", "MaxResults", "NextToken"))
def describe_network_acls(ctx: RequestContext, params: DescribeNetworkAclsRequest) -> DescribeNetworkAclsResult:
    """The default ACL of each of the caller's VPCs, with its subnet associations."""
    return describe.run(ctx, params, DESCRIBE)


def _refuse(what: str) -> EC2Error:
    return EC2Error("UnsupportedOperation", f"{what} is not possible here: {NO_FIREWALL}")


# The operations below change nothing and refuse every request; their required members are declared
# so that the refusal is this clear one rather than the runtime's naming of a member.
@handler("CreateNetworkAcl", honours=("VpcId",))
def create_network_acl(ctx: RequestContext, params: CreateNetworkAclRequest) -> CreateNetworkAclResult:
    """Refused: no ACL but the default one can be enforced."""
    raise _refuse("Creating a network ACL")


@handler("DeleteNetworkAcl", honours=("NetworkAclId",))
def delete_network_acl(ctx: RequestContext, params: DeleteNetworkAclRequest) -> None:
    """Refused: the only ACLs are default ones, which AWS does not delete either."""
    raise EC2Error("InvalidParameterValue", f"cannot delete default network ACL {params['NetworkAclId']}")


@handler("CreateNetworkAclEntry", honours=("NetworkAclId", "RuleNumber", "Protocol", "RuleAction", "Egress"))
def create_network_acl_entry(ctx: RequestContext, params: CreateNetworkAclEntryRequest) -> None:
    """Refused: an entry would filter nothing."""
    raise _refuse("Adding a network ACL entry")


@handler("ReplaceNetworkAclEntry", honours=("NetworkAclId", "RuleNumber", "Protocol", "RuleAction", "Egress"))
def replace_network_acl_entry(ctx: RequestContext, params: ReplaceNetworkAclEntryRequest) -> None:
    """Refused: an entry would filter nothing."""
    raise _refuse("Changing a network ACL entry")


@handler("DeleteNetworkAclEntry", honours=("NetworkAclId", "RuleNumber", "Egress"))
def delete_network_acl_entry(ctx: RequestContext, params: DeleteNetworkAclEntryRequest) -> None:
    """Refused: the default entries are what the cloud does."""
    raise _refuse("Deleting a network ACL entry")


@handler("ReplaceNetworkAclAssociation", honours=("AssociationId", "NetworkAclId"))
def replace_network_acl_association(ctx: RequestContext,
                                    params: ReplaceNetworkAclAssociationRequest) -> ReplaceNetworkAclAssociationResult:
    """Refused: each VPC has one ACL, so there is nothing to move a subnet to."""
    raise _refuse("Moving a subnet to another network ACL")
