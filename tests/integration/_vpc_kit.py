"""Helpers of the VPC tests: make VPC objects and tear them down in dependency order."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError

FAST = {"Delay": 1, "MaxAttempts": 60}


def marker() -> str:
    return f"vpc-test-{uuid.uuid4().hex[:8]}"


def _quiet(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except ClientError:
        pass


def teardown_vpc(ec2, vpc_id: str) -> None:
    """Delete a VPC and everything in it, in the order AWS requires (errors of what is gone ignored)."""
    try:
        reservations = ec2.describe_instances(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Reservations"]
    except ClientError:
        reservations = []
    instance_ids = [i["InstanceId"] for r in reservations for i in r["Instances"] if i["State"]["Name"] != "terminated"]
    if instance_ids:
        _quiet(ec2.terminate_instances, InstanceIds=instance_ids)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            left = [i for r in ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
                    for i in r["Instances"] if i["State"]["Name"] != "terminated"]
            if not left:
                break
            time.sleep(2)
        time.sleep(2)   # Nova deletes the ports a moment after the server
    for gw in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
            "InternetGateways"]:
        _quiet(ec2.detach_internet_gateway, InternetGatewayId=gw["InternetGatewayId"], VpcId=vpc_id)
        _quiet(ec2.delete_internet_gateway, InternetGatewayId=gw["InternetGatewayId"])
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
        for a in table["Associations"]:
            if not a["Main"]:
                _quiet(ec2.disassociate_route_table, AssociationId=a["RouteTableAssociationId"])
        if not any(a["Main"] for a in table["Associations"]):
            _quiet(ec2.delete_route_table, RouteTableId=table["RouteTableId"])
    for sn in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
        _quiet(ec2.delete_subnet, SubnetId=sn["SubnetId"])
    _quiet(ec2.delete_vpc, VpcId=vpc_id)


@contextmanager
def vpc(ec2, cidr: str, **tags: str) -> Iterator[dict]:
    """A VPC for the block, torn down with everything in it afterwards."""
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    kwargs = {"TagSpecifications": [{"ResourceType": "vpc", "Tags": tag_list}]} if tag_list else {}
    made = ec2.create_vpc(CidrBlock=cidr, **kwargs)["Vpc"]
    try:
        yield made
    finally:
        teardown_vpc(ec2, made["VpcId"])


def error_code(fn, *args, **kwargs) -> str:
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error")


def main_table_id(ec2, vpc_id: str | None = None) -> str:
    """The id of the main route table (of ``vpc_id``, else of the project's first VPC: its default)."""
    filters = [{"Name": "association.main", "Values": ["true"]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    return ec2.describe_route_tables(Filters=filters)["RouteTables"][0]["RouteTableId"]
